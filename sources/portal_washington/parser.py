"""Washington Attorney General breach notices (a row of the notifications table) → article fields.

The stored record keeps the table's cells under its own column headings, whatever their
exact wording; columns are found by what the heading says (reported, organization, breach,
affected, information).
"""

from __future__ import annotations

import json

from core.raw_store import StoredPage
from sources.breach_notice import notice_fields, parse_count, parse_us_date, split_list, us_dates

CONTENT_KIND = "portal-washington"
PORTAL = "Washington State Attorney General"
COLUMNS = {
    "reported": ("date reported", "reported"),
    "organisation": ("organization", "organisation", "name"),
    "breach": ("date of breach", "breach"),
    "affected": ("washingtonians", "affected"),
    "information": ("information", "compromised"),
}


# The columns a page must have, by the field they hold (drift when one is gone).
REQUIRED_COLUMNS = {
    "reported": "Date Reported",
    "organisation": "Organization Name",
    "breach": "Date of Breach",
}


def column(row: dict[str, str], field: str) -> str:
    """The cell of the first heading that names `field` (headings vary slightly over time)."""
    for needle in COLUMNS[field]:
        for heading, value in row.items():
            if needle in heading.lower() and not heading.startswith("notice_"):
                return value
    return ""


def parse_washington_notice(page: StoredPage) -> dict:
    row = json.loads(page.body)
    cells = row["cells"]
    organisation = column(cells, "organisation")
    reported = parse_us_date(column(cells, "reported"))
    breach_dates = us_dates(column(cells, "breach"))
    affected = parse_count(column(cells, "affected"))
    information = split_list(column(cells, "information"))
    record = {
        "organisation": organisation,
        "reported_date": reported.date().isoformat() if reported else None,
        "breach_dates": breach_dates,
        "washingtonians_affected": affected,
        "information_compromised": information,
        "notice_url": row.get("notice_url"),
        "state": "WA",
    }
    return notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=row.get("notice_url") or page.url,
        reported=reported,
        facts=[
            ("Date(s) of breach", breach_dates),
            ("Washingtonians affected", affected),
            ("Information compromised", information),
            ("Notice", row.get("notice_url")),
        ],
        record=record,
    )
