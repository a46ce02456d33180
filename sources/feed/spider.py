"""RSS and Atom feeds: every entry's link is an article to fetch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import feedparser
from scrapy.http import Response

from crawler.spiders.base import SourceSpider
from sources.common import entry_date


class FeedSpider(SourceSpider):
    name = "feed"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source = response.meta["source"]
        parsed = feedparser.parse(
            response.body,
            response_headers={"content-type": response.headers.get(b"Content-Type", b"").decode("latin-1")},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        if not parsed.entries and (parsed.bozo or not parsed.version):
            problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
            self.listing_broken(response, f"not a feed ({problem})")
            return
        if parsed.bozo:
            self.logger.warning(
                "feed %s of %s is malformed (%s); using the %d entries read",
                response.url,
                source.name,
                parsed.get("bozo_exception"),
                len(parsed.entries),
            )
        for entry in parsed.entries:
            link = entry_link(entry)
            if not link:
                continue
            request = self.article_request(response.urljoin(link), source, entry_date(entry))
            if request is not None:
                yield request


def entry_link(entry: Any) -> str | None:
    """The entry's article URL: its link, else the first alternate link."""
    if entry.get("link"):
        return entry["link"]
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None
