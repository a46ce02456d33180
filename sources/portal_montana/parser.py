"""Montana DOJ breach notices (a row of the reported-breaches table) → article fields."""

from __future__ import annotations

import json

from core.raw_store import StoredPage
from sources.breach_notice import notice_fields, parse_count, us_dates
from sources.common import date_value, find_column

CONTENT_KIND = "portal-montana"
PORTAL = "Montana Department of Justice"
COLUMNS = {
    "organisation": "Business Name",
    "breach_start": "Start of Breach",
    "breach_end": "End of Breach",
    "reported": "Date Reported",
    "affected": "Montanans Affected",
}


def cell(cells: dict[str, str], field: str) -> str:
    heading = find_column(cells, COLUMNS[field])
    return cells.get(heading, "") if heading else ""


def parse_montana_notice(page: StoredPage) -> dict:
    row = json.loads(page.body)
    cells = row["cells"]
    organisation = cell(cells, "organisation")
    reported = date_value(cell(cells, "reported"))
    breach_dates = us_dates(cell(cells, "breach_start")) + us_dates(cell(cells, "breach_end"))
    affected = parse_count(cell(cells, "affected"))
    record = {
        "organisation": organisation,
        "reported_date": reported.date().isoformat() if reported else None,
        "breach_dates": breach_dates,
        "montanans_affected": affected,
        "notice_url": row.get("notice_url"),
        "row_id": row.get("row_id"),
        "state": "MT",
    }
    return notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=row.get("notice_url") or page.url,
        reported=reported,
        facts=[
            ("Date(s) of breach", breach_dates),
            ("Montanans affected", affected),
            ("Notice", row.get("notice_url")),
        ],
        record=record,
    )
