"""A Have I Been Pwned breach record → article fields.

HIBP's breach metadata is published under CC BY 4.0. A verified breach (IsVerified, not
IsFabricated) of a site is a data breach of that site's owner; an unverified one is a claim;
a spam list or fabricated breach is no incident of the named site (it names a source of
addresses, not a victim).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import lxml.html

from core.raw_store import StoredPage
from sources.common import count_value, date_value, text_value

CONTENT_KIND = "hibp-breach"


def breach_page(name: str) -> str:
    return f"https://haveibeenpwned.com/Breach/{quote(name)}"


def plain(html_text: str | None) -> str:
    if not html_text:
        return ""
    return " ".join(lxml.html.fromstring(f"<p>{html_text}</p>").text_content().split())


def parse_breach(page: StoredPage) -> dict:
    breach = json.loads(page.body)
    title = text_value(breach.get("Title")) or text_value(breach.get("Name")) or ""
    added = date_value(breach.get("AddedDate"))
    breached = date_value(breach.get("BreachDate"))
    verified = bool(breach.get("IsVerified")) and not breach.get("IsFabricated")
    not_a_victim = bool(breach.get("IsSpamList") or breach.get("IsFabricated") or breach.get("IsMalware"))
    record = {
        "name": breach.get("Name"),
        "title": title,
        "domain": text_value(breach.get("Domain")),
        "breach_date": breached.date().isoformat() if breached else None,
        "added_date": added.isoformat() if added else None,
        "pwn_count": count_value(breach.get("PwnCount")),
        "data_classes": [c for c in (text_value(d) for d in breach.get("DataClasses") or []) if c],
        "verified": verified,
        "spam_list": bool(breach.get("IsSpamList")),
        "fabricated": bool(breach.get("IsFabricated")),
        "sensitive": bool(breach.get("IsSensitive")),
        "claim": not verified and not not_a_victim,
    }
    incident = verified and not not_a_victim
    structured = {
        "is_incident": incident,
        "incident_types": ["data_breach"] if incident else [],
        "victims": [title] if incident and title else [],
        "organisations": [title] if title else [],
    }
    return {
        "url": page.url,
        "title": f"{title}: data breach loaded into Have I Been Pwned" if title else None,
        "text": plain(breach.get("Description")),
        "published_at": added,
        "authors": [],
        "language": "en",
        "parse_error": None if title else "no Title in the breach",
        "structured": structured,
        "record_fields": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }
