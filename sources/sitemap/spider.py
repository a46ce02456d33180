"""Sitemaps: indexes, urlsets (with Google News extensions), gzipped or plain-text sitemaps."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file


class SitemapSpider(RecordSpider):
    name = "sitemap"
    listing_kind = "sitemap"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        # Child sitemaps whose lastmod is older than --since are not read (emit_listing).
        yield from self.emit_listing(response, read_sitemap_answer(response.body, response.url))


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
