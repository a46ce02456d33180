"""What spiders yield: a fetched page with the source it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass
class PageItem:
    """A page as received, ready for the raw store."""

    url: str
    requested_url: str
    canonical_url: str
    source: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    publisher: str | None = None
    content_kind: str = "html"
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
