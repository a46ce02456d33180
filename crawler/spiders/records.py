"""What the spiders of structured sources share: records stored as pages of their own kind.

Portals, filings and APIs publish records (a CSV row, a table row, a JSON object), not
articles. Each record is stored as one page whose body is the record as JSON, under a
stable key URL, so it passes the same de-duplication (within a crawl, against the store,
--since) and the same per-source counting as an article, and flows through extract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from scrapy.http import Response

from core.records import PageItem
from core.sources import Source
from core.urls import canonical_url
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

    def is_stored(self, url: str | None) -> bool:
        try:
            return bool(url) and self.store.contains(canonical_url(url))
        except ValueError:
            return False

    def skip(self, source: Source, reason: str, n: int = 1) -> None:
        """Count records left out on purpose (the report says why)."""
        self.crawler.stats.inc_value(source_key(source.name, "listed"), n)
        self.crawler.stats.inc_value(source_key(source.name, "skipped", reason), n)

    def emit_listing(self, response: Response, listing: Any, max_pages: int | None = None) -> Iterable[Any]:
        """What a source kind's reader found in one answer, as items and requests.

        `listing` is a sources.common.Listing: its records are stored, its pages requested,
        its problems reported as drift (logged, counted per source, the crawl goes on), and
        its next page followed while `max_pages` and --since allow."""
        source: Source = response.meta["source"]
        if listing.broken:
            self.listing_broken(response, listing.broken)
            return
        for problem in listing.problems:
            self.drift(response, problem)
        if not listing.entries and not listing.may_be_empty and response.meta.get("page", 1) == 1:
            before = self.previously_listed.get(source.name)
            self.drift(response, f"no entries (the last crawl listed {before})" if before else "no entries")
        for reason, n in listing.skipped.items():
            self.skip(source, reason, n)
        # A page whose every entry was stored by an earlier crawl: the rest of the list (older,
        # newest first) was read then too, so paging stops here.
        known = bool(listing.entries) and all(
            self.is_stored(response.urljoin(e.key or e.fetch or "")) for e in listing.entries
        )
        for entry in listing.entries:
            if entry.record is not None:
                item = self.record_item(
                    response,
                    entry.record,
                    key_url=entry.key,
                    content_kind=entry.content_kind,
                    url=entry.url,
                    published=entry.published,
                )
                if item is None:
                    continue
                yield item
            if entry.fetch:
                request = self.article_request(
                    response.urljoin(entry.fetch),
                    source,
                    entry.published,
                    content_kind=entry.fetch_kind,
                    **entry.meta,
                )
                if request is not None:
                    yield request
        for more in listing.listings:
            if not (self.since and more.published and more.published < self.since):
                yield self.listing_request(response.urljoin(more.fetch), source, meta=dict(more.meta))
        if max_pages is not None and not known:
            request = self.next_list_page(response, listing.next_url, listing.oldest(), max_pages)
            if request is not None:
                yield request


def source_param(source: Source, name: str, default: Any = None) -> Any:
    return source.params.get(name, default)
