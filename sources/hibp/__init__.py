"""The hibp source kind: Have I Been Pwned's list of breached sites (api/v3/breaches, no key),
one record per breach; verified breaches are incidents of the named site, the others claims."""

from sources.common import SourceKind

KIND = SourceKind(
    name="hibp",
    spider="sources.hibp.spider:HibpSpider",
    read="sources.hibp.spider:read_breaches",
    noun="breaches",
    parsers={"hibp-breach": "sources.hibp.parser:parse_breach"},
    required=("Name", "Title", "BreachDate", "AddedDate", "IsVerified"),
)
