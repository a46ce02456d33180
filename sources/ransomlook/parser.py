"""A RansomLook leak-site post → a claim (never an incident: the group says it, nobody confirmed it)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.raw_store import StoredPage
from sources.common import LINK_IN_TEXT, claim_fields, date_value, text_value

CONTENT_KIND = "ransomlook-claim"
MASKED = re.compile(r"\*{3,}")


def post_record(post: dict[str, Any]) -> dict[str, Any]:
    """What a claim may keep: group, victim, when it was seen; no link of any kind."""
    victim = text_value(post.get("post_title"))
    if victim and (MASKED.search(victim) or LINK_IN_TEXT.fullmatch(victim)):
        victim = None
    discovered = date_value(post.get("discovered"))
    description = text_value(post.get("description"))
    return {
        "victim": victim,
        "group": text_value(post.get("group_name")),
        "discovered": discovered.isoformat() if discovered else None,
        "description": LINK_IN_TEXT.sub("[link removed]", description) if description else None,
        "claim": True,
    }


def parse_post(page: StoredPage) -> dict:
    record = json.loads(page.body)
    return claim_fields(page.url, record, date_value(record.get("discovered")))
