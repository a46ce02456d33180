"""HHS OCR breach reports (a row of the portal's table or CSV export) → article fields.

Columns as the portal names them: Name of Covered Entity, State, Covered Entity Type,
Individuals Affected, Breach Submission Date (MM/DD/YYYY), Type of Breach (e.g.
"Hacking/IT Incident"), Location of Breached Information, Business Associate Present, Web
Description. Entities are US covered entities or their business associates; a breach of
unsecured health information, reported to HHS, is a data breach of that entity.
"""

from __future__ import annotations

import json

from core.raw_store import StoredPage
from sources.breach_notice import notice_fields, parse_count, split_list
from sources.common import date_value, find_column, text_value

CONTENT_KIND = "hhs-ocr"
PORTAL = "HHS Office for Civil Rights"
PORTAL_URL = "https://ocrportal.hhs.gov/ocr/breach/breach_report.jsf"
COLUMNS = (
    "Name of Covered Entity",
    "State",
    "Covered Entity Type",
    "Individuals Affected",
    "Breach Submission Date",
    "Type of Breach",
    "Location of Breached Information",
    "Business Associate Present",
    "Web Description",
)


def value(row: dict[str, str], name: str) -> str | None:
    heading = find_column(row, name)
    return text_value(row.get(heading)) if heading else None


def parse_hhs_report(page: StoredPage) -> dict:
    row = json.loads(page.body)
    cells = row.get("cells", row)
    organisation = value(cells, "Name of Covered Entity") or ""
    submitted = date_value(value(cells, "Breach Submission Date"))
    breach_type = value(cells, "Type of Breach")
    record = {
        "organisation": organisation,
        "state": value(cells, "State"),
        "entity_type": value(cells, "Covered Entity Type"),
        "individuals_affected": parse_count(value(cells, "Individuals Affected")),
        "submitted_date": submitted.date().isoformat() if submitted else None,
        "breach_type": breach_type,
        "location": split_list(value(cells, "Location of Breached Information")),
        "business_associate_present": value(cells, "Business Associate Present"),
        "report_id": row.get("report_id"),
    }
    return notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=page.url,
        reported=submitted,
        facts=[
            ("Type of breach", breach_type),
            ("Individuals affected", record["individuals_affected"]),
            ("Location of breached information", record["location"]),
            ("Covered entity type", record["entity_type"]),
        ],
        record=record,
        description=value(cells, "Web Description") or "",
    )
