"""Sitemaps: indexes, urlsets (with Google News extensions), gzipped or plain-text sitemaps."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file


class SitemapSpider(RecordSpider):
    """Sitemaps, bounded: indexes are followed SITEMAP_MAX_DEPTH levels deep, one file gives at
    most SITEMAP_MAX_URLS entries and a source SITEMAP_MAX_URLS_PER_SOURCE in a crawl; what is
    cut is logged and counted (and each listing is read once per crawl: crawler.middlewares)."""

    name = "sitemap"
    listing_kind = "sitemap"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        # Child sitemaps whose lastmod is older than --since are not read (emit_listing).
        listing = read_sitemap_answer(response.body, response.url)
        yield from self.emit_listing(response, self.bounded(response, listing))

    @cached_property
    def taken(self) -> dict[str, int]:
        """Sitemap URLs taken per source in this crawl."""
        return {}

    def bounded(self, response: Response, listing: Listing) -> Listing:
        """The listing within the depth and URL limits; each cut logged and counted."""
        settings = self.crawler.settings
        source = response.meta["source"]
        depth = response.meta.get("sitemap_depth", 0)
        per_file = settings.getint("SITEMAP_MAX_URLS")
        too_many = (per_file, "too_many_urls", f"over the limit of {per_file} URLs")
        listing.entries = self._cut(response, listing, listing.entries, *too_many)
        listing.listings = self._cut(response, listing, listing.listings, *too_many)
        max_depth = settings.getint("SITEMAP_MAX_DEPTH")
        if depth >= max_depth:
            why = f"sitemap indexes nested more than {max_depth} deep"
            listing.listings = self._cut(response, listing, listing.listings, 0, "too_deep", why)
        for child in listing.listings:
            child.meta["sitemap_depth"] = depth + 1
        per_source = settings.getint("SITEMAP_MAX_URLS_PER_SOURCE")
        room = max(0, per_source - self.taken.get(source.name, 0))
        why = f"the source's limit of {per_source} URLs in a crawl"
        listing.entries = self._cut(response, listing, listing.entries, room, "source_url_limit", why)
        self.taken[source.name] = self.taken.get(source.name, 0) + len(listing.entries)
        return listing

    def _cut(
        self, response: Response, listing: Listing, items: list[Entry], limit: int, reason: str, why: str
    ) -> list[Entry]:
        if len(items) <= limit:
            return items
        cut = len(items) - limit
        listing.skipped[f"sitemap_{reason}"] = listing.skipped.get(f"sitemap_{reason}", 0) + cut
        self.logger.warning(
            "sitemap %s of source %s: %d entries not followed (%s)",
            response.url,
            response.meta["source"].name,
            cut,
            why,
        )
        return items[:limit]


def read_sitemap_answer(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """A sitemap (XML, gzipped or plain text): its pages as articles to fetch, or for an index
    its sitemaps as further answers to read."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip_decompress(body, MAX_SITEMAP_BYTES)
        except (OSError, EOFError, ValueError) as exc:  # a truncated or corrupt archive
            return Listing(broken=f"bad gzip: {exc}")
    if not body.lstrip()[:1] == b"<":
        lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
        urls = [line for line in lines if line.startswith(("http://", "https://"))]
        if not urls:
            return Listing(broken="neither XML nor a list of URLs")
        return Listing(entries=[Entry(fetch=u) for u in urls])
    try:
        kind, entries = read_sitemap(body)
    except etree.XMLSyntaxError as exc:
        return Listing(broken=f"not XML: {exc}")
    if kind == "sitemapindex":
        return Listing(
            listings=[Entry(fetch=loc, published=when) for loc, when in entries], may_be_empty=True
        )
    return Listing(entries=[Entry(fetch=loc, published=when) for loc, when in entries])


def gzip_decompress(body: bytes, max_size: int) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as archive:
        data = archive.read(max_size + 1)
    if len(data) > max_size:
        raise ValueError(f"more than {max_size} bytes uncompressed")
    return data


def read_sitemap(body: bytes) -> tuple[str, list[tuple[str, datetime | None]]]:
    """('sitemapindex' | 'urlset', [(loc, date)]); news publication dates win over lastmod."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser=parser)
    if root is None:
        raise etree.XMLSyntaxError("empty document", None, 0, 0, "sitemap")
    kind = etree.QName(root).localname
    entries = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        fields = {}
        for child in node.iter():
            if isinstance(child.tag, str) and child.text and child.text.strip():
                fields.setdefault(etree.QName(child).localname, child.text.strip())
        loc = fields.get("loc")
        if loc:
            entries.append(
                (" ".join(loc.split()), date_value(fields.get("publication_date") or fields.get("lastmod")))
            )
    return kind, entries
