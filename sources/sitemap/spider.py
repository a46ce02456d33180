"""Sitemaps: indexes, urlsets (with Google News extensions), gzipped or plain-text sitemaps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number

from crawler.spiders.base import SourceSpider

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file


class SitemapSpider(SourceSpider):
    name = "sitemap"
    listing_kind = "sitemap"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source = response.meta["source"]
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            except Exception as exc:  # a truncated or corrupt archive
                self.listing_broken(response, f"bad gzip: {exc}")
                return
        if not body.lstrip()[:1] == b"<":
            yield from self._plain_text(response, body)
            return
        try:
            kind, entries = read_sitemap(body)
        except etree.XMLSyntaxError as exc:
            self.listing_broken(response, f"not XML: {exc}")
            return
        for loc, when in entries:
            if kind == "sitemapindex":
                if self.since and when and when < self.since:
                    continue
                yield self.listing_request(response.urljoin(loc), source)
            else:
                request = self.article_request(response.urljoin(loc), source, when)
                if request is not None:
                    yield request

    def _plain_text(self, response: Response, body: bytes) -> Iterator[Any]:
        lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines()]
        urls = [line for line in lines if line.startswith(("http://", "https://"))]
        if not urls:
            self.listing_broken(response, "neither XML nor a list of URLs")
            return
        for url in urls:
            request = self.article_request(url, response.meta["source"])
            if request is not None:
                yield request


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
            entries.append((loc, parse_w3c_date(fields.get("publication_date") or fields.get("lastmod"))))
    return kind, entries


def parse_w3c_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
