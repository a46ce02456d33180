"""New Hampshire DOJ breach notices (one document of the API) → article fields."""

from __future__ import annotations

import json
from typing import Any

from core.raw_store import StoredPage
from sources.breach_notice import notice_fields
from sources.common import date_value, text_value

CONTENT_KIND = "portal-new-hampshire"
PORTAL = "New Hampshire Department of Justice"


def first(value: Any) -> Any:
    """Drupal's JSON puts most values in one-element lists."""
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def parse_nh_notice(page: StoredPage) -> dict:
    row = json.loads(page.body)
    fields = row.get("fields") or {}
    organisation = text_value(row.get("title")) or text_value(first(fields.get("title"))) or ""
    posted = date_value(first(fields.get("field_date_posted")))
    notice = (fields.get("field_document_file") or {}).get("uri")
    record = {
        "organisation": organisation,
        "document_id": row.get("id"),
        "posted_date": posted.date().isoformat() if posted else None,
        "notice_url": notice,
        "state": "NH",
    }
    return notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=notice or page.url,
        reported=posted,
        facts=[("Notice", notice)],
        record=record,
    )
