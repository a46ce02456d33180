"""What the spiders of structured sources share: records stored as pages of their own kind.

Portals, filings and APIs publish records (a CSV row, a table row, a JSON object), not
articles. Each record is stored as one page whose body is the record as JSON, under a
stable key URL, so it passes the same de-duplication (within a crawl, against the store,
--since) and the same per-source counting as an article, and flows through extract.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Response

from core.records import PageItem
from core.sources import Source
from crawler.spiders.base import SourceSpider
from crawler.stats import source_key

JSON_TYPE = "application/json; charset=utf-8"


class RecordSpider(SourceSpider):
    """A SourceSpider whose listings hold records; `record_item` stores one of them."""

    def record_item(
        self,
        response: Response,
        record: dict[str, Any],
        *,
        key_url: str,
        content_kind: str,
        url: str | None = None,
        published: datetime | None = None,
    ) -> PageItem | None:
        """The record as a stored page, or None when it is skipped (duplicate, older than --since)."""
        source: Source = response.meta["source"]
        claim = self.article_request(key_url, source, published)
        if claim is None:
            return None
        self.crawler.stats.inc_value(source_key(source.name, "fetched"))
        return self._json_item(response, record, content_kind, url or claim.url, claim.meta["canonical_url"])

    def envelope_item(self, response: Response, record: dict[str, Any], content_kind: str) -> PageItem:
        """A fetched page wrapped with what its listing said about it (e.g. a search hit)."""
        return self._json_item(
            response, record, content_kind, response.url, response.meta.get("canonical_url") or response.url
        )

    def _json_item(
        self, response: Response, record: dict[str, Any], content_kind: str, url: str, canonical: str
    ) -> PageItem:
        source: Source = response.meta["source"]
        headers = [("Content-Type", JSON_TYPE)]
        for name in (b"Date", b"Last-Modified"):
            if response.headers.get(name):
                headers.append((name.decode(), response.headers[name].decode("latin-1")))
        return PageItem(
            url=url,
            requested_url=response.url,
            canonical_url=canonical,
            source=source.name,
            publisher=source.publisher,
            status=response.status,
            headers=headers,
            body=json.dumps(record, ensure_ascii=False, indent=1, default=str).encode("utf-8"),
            content_kind=content_kind,
        )

    def skip(self, source: Source, reason: str, n: int = 1) -> None:
        """Count records left out on purpose (the report says why)."""
        self.crawler.stats.inc_value(source_key(source.name, "listed"), n)
        self.crawler.stats.inc_value(source_key(source.name, "skipped", reason), n)


def record_key(base_url: str, *parts: Any) -> str:
    """A stable URL naming a record that has no page of its own: base?record=<hash of parts>."""
    digest = hashlib.sha1("\x1f".join(str(p or "") for p in parts).encode("utf-8")).hexdigest()[:20]
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode({'record': digest})}"


def source_param(source: Source, name: str, default: Any = None) -> Any:
    return source.params.get(name, default)
