"""The portal-montana source kind: the Montana Department of Justice's table of reported data
breaches (one page), one record per row, linking the notification letter."""

from sources.common import SourceKind

KIND = SourceKind(
    name="portal-montana",
    spider="sources.portal_montana.spider:MontanaPortalSpider",
    read="sources.portal_montana.spider:read_table",
    noun="rows",
    parsers={"portal-montana": "sources.portal_montana.parser:parse_montana_notice"},
    required=("Business Name", "Start of Breach", "Date Reported", "Montanans Affected"),
)
