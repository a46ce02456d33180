"""The portal-california source kind: the California Attorney General's breach-notice list
(CSV export, linked to each notice's page through the paged HTML list)."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-california",
    spider="sources.portal_california.spider:CaliforniaPortalSpider",
    read="sources.portal_california.spider:read_export",
    noun="rows",
    parsers={"portal-california": "sources.portal_california.parser:parse_california_notice"},
    required=("Organization Name", "Date(s) of Breach (if known)", "Reported Date"),
)
