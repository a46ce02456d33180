"""The hhs-ocr source kind: the HHS Office for Civil Rights breach portal (the "wall of shame":
breaches of health information affecting 500 or more people), its JSF report table read page
by page (or its CSV export), one record per report."""

from sources.common import SourceKind

KIND = SourceKind(
    name="hhs-ocr",
    spider="sources.hhs_ocr.spider:HhsOcrSpider",
    read="sources.hhs_ocr.spider:read_report",
    noun="reports",
    parsers={"hhs-ocr": "sources.hhs_ocr.parser:parse_hhs_report"},
    required=(
        "Name of Covered Entity",
        "State",
        "Individuals Affected",
        "Breach Submission Date",
        "Type of Breach",
    ),
)
