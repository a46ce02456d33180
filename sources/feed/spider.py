"""RSS and Atom feeds: every entry's link is an article to fetch.

Feeds are read with feedparser, which survives what real feeds do: undeclared namespace
prefixes (BleepingComputer uses dc: and atom: without declaring them), dates with zone
abbreviations ("EDT"), an encoding named only in the XML prolog (Golem.de, ISO-8859-1) or
only in the HTTP header. Links through a known redirector (The Register's
go.theregister.com/feed/<host>/<path>) are replaced by the article's own URL.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import feedparser
from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, entry_date

REDIRECTORS = Path(__file__).with_name("redirectors.toml")
# What feedparser flags but every real feed does: a media type that is not XML's, a charset
# the HTTP header and the XML prolog disagree on (the header wins, as it should).
LENIENT = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


class FeedSpider(RecordSpider):
    name = "feed"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        listing = read_feed(response.body, response.url, content_type)
        if listing.problems and not listing.broken:
            self.logger.warning(
                "feed %s is malformed (%s); using the %d entries read",
                response.url,
                "; ".join(listing.problems),
                len(listing.entries),
            )
            listing.problems = []  # feedparser's leniency is the norm for feeds, not drift
        yield from self.emit_listing(response, listing)


def read_feed(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """The feed's entries as articles to fetch (their link, date and title)."""
    parsed = feedparser.parse(
        body,
        response_headers={"content-type": content_type},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
        return Listing(broken=f"not a feed ({problem})")
    listing = Listing()
    problem = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(problem, LENIENT):
        listing.problems.append(f"malformed feed ({problem})")
    for entry in parsed.entries:
        link = entry_link(entry)
        if not link:
            listing.skip("no_link")
            continue
        listing.entries.append(
            Entry(
                fetch=unwrap_redirect(link),
                published=entry_date(entry),
                meta={"feed_title": entry.get("title")},
            )
        )
    return listing


def entry_link(entry: Any) -> str | None:
    """The entry's article URL: its link, else the first alternate link."""
    if entry.get("link"):
        return entry["link"]
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


@cache
def redirectors() -> dict[str, str]:
    """Redirector host → the path prefix followed by <host>/<path> of the real article."""
    data = tomllib.loads(REDIRECTORS.read_text(encoding="utf-8"))
    return {r["host"]: r["prefix"] for r in data.get("redirector", [])}


def unwrap_redirect(link: str) -> str:
    parsed = urlparse(link)
    prefix = redirectors().get(parsed.hostname or "")
    if prefix and parsed.path.startswith(prefix) and len(parsed.path) > len(prefix):
        rest = parsed.path[len(prefix) :]
        return f"https://{rest}" + (f"?{parsed.query}" if parsed.query else "")
    return link
