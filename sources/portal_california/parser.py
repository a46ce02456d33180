"""California Attorney General breach notices (a row of the list-export CSV) → article fields."""

from __future__ import annotations

import json

from core.raw_store import StoredPage
from sources.breach_notice import notice_fields, parse_us_date, us_dates
from sources.common import find_column

CONTENT_KIND = "portal-california"
PORTAL = "California Attorney General"
# The CSV's column names (the real header has two spaces before "(if known)"; columns are
# matched whatever the spacing and case, sources.common.find_column).
ORGANIZATION = "Organization Name"
BREACH_DATES = "Date(s) of Breach (if known)"
REPORTED_DATE = "Reported Date"


def parse_california_notice(page: StoredPage) -> dict:
    stored = json.loads(page.body)
    # Records keep the export's column names; older ones kept the header's own spacing.
    row = {
        name: stored.get(find_column(stored, name) or name)
        for name in (ORGANIZATION, BREACH_DATES, REPORTED_DATE)
    }
    row.update({k: v for k, v in stored.items() if k in ("notice_url", "list_url")})
    organisation = row[ORGANIZATION]
    reported = parse_us_date(row.get(REPORTED_DATE))
    breach_dates = us_dates(row.get(BREACH_DATES))
    record = {
        "organisation": organisation,
        "breach_dates": breach_dates,
        "breach_dates_as_published": row.get(BREACH_DATES) or None,
        "reported_date": reported.date().isoformat() if reported else None,
        "notice_url": row.get("notice_url"),
        "state": "CA",
    }
    return notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=row.get("notice_url") or page.url,
        reported=reported,
        facts=[
            ("Date(s) of breach", breach_dates or row.get(BREACH_DATES)),
            ("Notice", row.get("notice_url")),
        ],
        record=record,
    )
