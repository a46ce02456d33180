"""A RansomLook leak-site post → a claim (never an incident: the group says it, nobody confirmed it)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.raw_store import StoredPage
from sources.common import date_value, text_value

CONTENT_KIND = "ransomlook-claim"
URL_IN_TEXT = re.compile(r"\b(?:https?://|www\.)\S+|\b[a-z2-7]{16,56}\.onion\S*", re.IGNORECASE)
MASKED = re.compile(r"\*{3,}")


def post_record(post: dict[str, Any]) -> dict[str, Any]:
    """What a claim may keep: group, victim, when it was seen; no link of any kind."""
    victim = text_value(post.get("post_title"))
    if victim and (MASKED.search(victim) or URL_IN_TEXT.fullmatch(victim)):
        victim = None
    discovered = date_value(post.get("discovered"))
    description = text_value(post.get("description"))
    return {
        "victim": victim,
        "group": text_value(post.get("group_name")),
        "discovered": discovered.isoformat() if discovered else None,
        "description": URL_IN_TEXT.sub("[link removed]", description) if description else None,
        "claim": True,
    }


def parse_post(page: StoredPage) -> dict:
    record = json.loads(page.body)
    victim, group = record.get("victim"), record.get("group")
    text = f"The {group} extortion group claims on its leak site to have attacked {victim}. This is a claim, not a confirmed incident."
    if record.get("description"):
        text += f"\n{record['description']}"
    return {
        "url": page.url,
        "title": f"Claim: {group} lists {victim}",
        "text": text,
        "published_at": date_value(record.get("discovered")),
        "authors": [],
        "language": "en",
        "parse_error": None,
        "structured": {
            "is_incident": False,
            "incident_types": [],
            "victims": [],
            "attackers": [group] if group else [],
            "organisations": [victim] if victim else [],
        },
        "record_fields": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }
