"""California Attorney General's data-breach notices: the list export (CSV), one record per row.

The CSV holds "Organization Name", "Date(s) of Breach  (if known)" (two spaces in the real
header) and "Reported Date"; columns are found whatever their spacing and case, and a missing
one is reported as drift. The CSV has no link: the HTML list (param `list_url`, 50 notices a
page, about 106 pages in 2026) links each notice's page (/ecrime/databreach/reports/sb24-…,
a native id). Its pages are read first, newest first, following the pager to its end unless
`max_pages` (default 120), --since, or a page whose notices are all stored already stops it
(an interrupted crawl resumes through its job directory). Rows are then linked to their
notice by organisation and reported date; a row that no list page linked keeps a key made of
all its fields and its place among identical rows, so two notices never collapse into one.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

import scrapy
from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from core.urls import canonical_url
from crawler.spiders.records import RecordSpider, source_param
from sources.common import Entry, Listing, date_value, decode_body, find_column, record_key, text_value
from sources.portal_california.parser import BREACH_DATES, CONTENT_KIND, ORGANIZATION, REPORTED_DATE

DEFAULT_MAX_PAGES = 120


class CaliforniaPortalSpider(RecordSpider):
    name = "portal-california"

    def listing_requests(self, source: Source) -> Iterable[scrapy.Request]:
        list_url = source_param(source, "list_url")
        if list_url:
            # Only a helper for the CSV: always read whole, so a 304 cannot hold the CSV back.
            request = self.listing_request(
                list_url,
                source,
                callback=self.parse_list_page,
                meta={"conditional": False, "notice_links": {}},
            )
            yield request.replace(errback=self.list_page_failed)
        else:
            yield self.export_request(source, {})

    def export_request(self, source: Source, links: dict) -> scrapy.Request:
        return self.listing_request(source.url, source, meta={"notice_links": links})

    def parse_list_page(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        links: dict[str, list[str]] = response.meta["notice_links"]
        page = read_list_page(
            response.body, response.url, response.headers.get(b"Content-Type", b"").decode()
        )
        if page.broken:
            self.listing_broken(response, page.broken)
        new = 0
        for entry in page.entries:
            links.setdefault(link_key(entry.record), []).append(entry.url)
            new += not self.store.contains(canonical_url(entry.url))
        page_number = response.meta.get("page", 1)
        max_pages = int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        stop = (
            not page.next_url
            or page_number >= max_pages
            or (self.since and page.oldest() and page.oldest() < self.since)
            or (page.entries and not new)  # everything from here on was read before
        )
        if stop:
            yield self.export_request(source, links)
            return
        request = self.listing_request(
            response.urljoin(page.next_url),
            source,
            callback=self.parse_list_page,
            meta={"conditional": False, "notice_links": links, "page": page_number + 1},
        )
        yield request.replace(errback=self.list_page_failed)

    def list_page_failed(self, failure) -> Iterable[Any]:
        self.listing_failed(failure)
        source: Source = failure.request.meta["source"]
        yield self.export_request(source, failure.request.meta.get("notice_links") or {})

    def parse_listing(self, response: Response) -> Iterable[Any]:
        listing = read_export(
            response.body, response.url, response.headers.get(b"Content-Type", b"").decode()
        )
        links = {key: list(urls) for key, urls in (response.meta.get("notice_links") or {}).items()}
        list_url = source_param(response.meta["source"], "list_url")
        for entry in listing.entries:
            queue = links.get(link_key(entry.record))
            if queue:
                entry.url = queue.pop(0)
                entry.key = entry.url
            entry.record["notice_url"] = entry.url
            entry.record["list_url"] = list_url
        yield from self.emit_listing(response, listing)


def read_export(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """The CSV export's rows as notice records (columns as published, values trimmed)."""
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    headings = [h for h in reader.fieldnames or [] if h]
    columns = {name: find_column(headings, name) for name in (ORGANIZATION, BREACH_DATES, REPORTED_DATE)}
    if not columns[ORGANIZATION]:
        return Listing(broken=f"no {ORGANIZATION!r} column in the CSV header {headings}")
    listing = Listing(problems=[f"no {name!r} column" for name, found in columns.items() if not found])
    seen: dict[tuple, int] = defaultdict(int)
    for row in reader:
        cells = {name: " ".join((row.get(found) or "").split()) for name, found in columns.items() if found}
        organisation = cells.get(ORGANIZATION, "")
        if not organisation:
            listing.skip("empty_row")
            continue
        fields = (organisation, cells.get(BREACH_DATES, ""), cells.get(REPORTED_DATE, ""))
        seen[fields] += 1
        record = {ORGANIZATION: organisation, BREACH_DATES: fields[1], REPORTED_DATE: fields[2]}
        listing.entries.append(
            Entry(
                record=record,
                content_kind=CONTENT_KIND,
                key=record_key(url, *fields, seen[fields]),
                published=date_value(fields[2]),
            )
        )
    return listing


def read_list_page(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """One page of the HTML list: each notice's page with its organisation and dates, and the
    pager's next link. The page is decoded with the HTTP charset first ("See’s Candies")."""
    tree = lxml_html.fromstring(decode_body(body, content_type))
    listing = Listing()
    for row in tree.iter("tr"):
        cells = row.findall("td")
        anchors = row.xpath(".//td//a[@href]")
        if len(cells) < 3 or not anchors:
            continue
        record = {
            ORGANIZATION: " ".join(anchors[0].text_content().split()),
            BREACH_DATES: text_value(cells[1].text_content()) or "",
            REPORTED_DATE: " ".join(cells[-1].text_content().split()),
        }
        listing.entries.append(
            Entry(
                record=record,
                url=urljoin(url, anchors[0].get("href") or ""),
                published=date_value(record[REPORTED_DATE]),
            )
        )
    if not listing.entries:
        listing.broken = "no notices in the list page"
    next_href = tree.xpath("//li[contains(@class, 'next')]//a/@href | //a[@rel='next']/@href")
    listing.next_url = urljoin(url, next_href[0]) if next_href else None
    return listing


def link_key(record: dict) -> str:
    """Organisation and reported date, as the CSV and the list both spell them."""
    return f"{' '.join(record[ORGANIZATION].split()).casefold()}|{record.get(REPORTED_DATE, '').strip()}"
