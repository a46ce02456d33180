"""The portal-washington source kind: the Washington Attorney General's table of breach
notifications (paged), one record per row, linking the notice letter."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-washington",
    spider="sources.portal_washington.spider:WashingtonPortalSpider",
    read="sources.portal_washington.spider:read_table",
    noun="rows",
    parsers={"portal-washington": "sources.portal_washington.parser:parse_washington_notice"},
    required=("Date Reported", "Organization Name", "Date of Breach"),
)
