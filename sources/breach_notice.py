"""What the breach-notification portals share: US dates, counts, and one article-like record.

A notice is the organisation's own report of a data breach to a state attorney general, so
the organisation is the victim, the incident is a data breach (and ransomware when the
notice says so), and the structured fields win over what text analysis would guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
RANSOMWARE = re.compile(r"ransomware", re.IGNORECASE)


def parse_us_date(value: str | None) -> datetime | None:
    """'01/05/2024' or '1/5/24' → 2024-01-05 (UTC midnight); the first date when there are several."""
    dates = us_dates(value)
    return datetime.fromisoformat(dates[0]).replace(tzinfo=UTC) if dates else None


def us_dates(value: str | None) -> list[str]:
    """Every M/D/YYYY date in a cell, as ISO dates, in order ('12/1/2023 - 12/3/2023' gives two)."""
    found = []
    for month, day, year in US_DATE.findall(value or ""):
        year = f"20{year}" if len(year) == 2 else year
        try:
            found.append(datetime(int(year), int(month), int(day)).date().isoformat())
        except ValueError:
            continue
    return found


def parse_count(value: str | None) -> int | None:
    """'1,234' → 1234; 'Unknown' or '' → None."""
    digits = re.sub(r"[,\s]", "", value or "")
    return int(digits) if digits.isdigit() else None


def split_list(value: str | None) -> list[str]:
    """'Name; SSN, Driver\'s License' → the items, in order, without duplicates."""
    items: list[str] = []
    for part in re.split(r"[;\n]|,(?![^()]*\))", value or ""):
        part = " ".join(part.split()).strip(" .")
        if part and part not in items:
            items.append(part)
    return items


def notice_fields(
    *,
    portal: str,
    organisation: str,
    url: str,
    reported: datetime | None,
    facts: Iterable[tuple[str, Any]],
    record: dict[str, Any],
    description: str = "",
) -> dict:
    """The extracted-article fields of one breach notice."""
    lines = [
        f"{organisation} notified the {portal} of a data breach"
        + (f" on {reported.date().isoformat()}." if reported else ".")
    ]
    said = []  # what the notice states, not the names of its links
    for label, value in facts:
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        elif isinstance(value, int):
            value = f"{value:,}"
        lines.append(f"{label}: {value}.")
        if not str(value).startswith(("http://", "https://")):
            said.append(str(value))
    if description:
        lines.append(description)
        said.append(description)
    text = "\n".join(lines)
    types = ["data_breach"] + (["ransomware"] if RANSOMWARE.search(" ".join(said)) else [])
    return {
        "url": url,
        "title": f"{organisation}: data breach notice to the {portal}",
        "text": text,
        "published_at": reported,
        "authors": [],
        "language": "en",
        "parse_error": None,
        "structured": {
            "is_incident": True,
            "incident_types": types,
            "victims": [organisation],
            "organisations": [organisation],
            "countries": ["US"],
        },
        "record_fields": json.dumps({"portal": portal, **record}, ensure_ascii=False, sort_keys=True),
    }


def no_notice(fields: dict, reason: str) -> dict:
    """The fields of a notice page that names no organisation (empty, withdrawn): no title made
    of nothing, no text, no incident, and the reason as its parse error."""
    fields.update(title=None, text="", parse_error=reason)
    fields["structured"] = {"is_incident": False, "incident_types": [], "victims": [], "organisations": []}
    return fields
