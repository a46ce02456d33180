"""California Attorney General's data-breach notices: the list export (CSV), one record per row.

The CSV holds "Organization Name", "Date(s) of Breach (if known)" and "Reported Date"; the
HTML list (param `list_url`) links each notice's page (/ecrime/databreach/reports/sb24-…),
which holds the letters sent to Californians. The list is read first, when configured, so
each record carries the link to its notice; a list that fails leaves records without links.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import scrapy
from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, record_key, source_param
from sources.breach_notice import parse_us_date
from sources.portal_california.parser import BREACH_DATES, CONTENT_KIND, ORGANIZATION, REPORTED_DATE


class CaliforniaPortalSpider(RecordSpider):
    name = "portal-california"

    def listing_requests(self, source: Source) -> Iterable[scrapy.Request]:
        list_url = source_param(source, "list_url")
        if list_url:
            # Only a helper for the CSV: always read whole, so a 304 cannot hold the CSV back.
            request = self.listing_request(
                list_url, source, callback=self.parse_list_page, meta={"conditional": False}
            )
            yield request.replace(errback=self.list_page_failed)
        else:
            yield self.listing_request(source.url, source, meta={"notice_links": {}})

    def parse_list_page(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        yield self.listing_request(source.url, source, meta={"notice_links": notice_links(response)})

    def list_page_failed(self, failure) -> Iterable[Any]:
        self.listing_failed(failure)
        source: Source = failure.request.meta["source"]
        yield self.listing_request(source.url, source, meta={"notice_links": {}})

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        links: dict[tuple[str, str], str] = response.meta.get("notice_links") or {}
        text = response.body.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or ORGANIZATION not in [f.strip() for f in reader.fieldnames]:
            self.listing_broken(response, f"no {ORGANIZATION!r} column in the CSV header {reader.fieldnames}")
            return
        for row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            organisation = row.get(ORGANIZATION, "")
            if not organisation:
                self.skip(source, "empty_row")
                continue
            reported = row.get(REPORTED_DATE, "")
            notice = links.get((normalise(organisation), reported))
            record = {**row, "notice_url": notice, "list_url": source_param(source, "list_url")}
            item = self.record_item(
                response,
                record,
                key_url=record_key(source.url, organisation, row.get(BREACH_DATES), reported),
                content_kind=CONTENT_KIND,
                url=notice,
                published=parse_us_date(reported),
            )
            if item is not None:
                yield item


def notice_links(response: Response) -> dict[tuple[str, str], str]:
    """(organisation, reported date) → the notice page, from the HTML list's table rows."""
    links: dict[tuple[str, str], str] = {}
    tree = lxml_html.fromstring(response.body)
    for row in tree.iter("tr"):
        cells = row.findall("td")
        anchors = row.xpath(".//td//a[@href]")
        if len(cells) < 3 or not anchors:
            continue
        organisation = anchors[0].text_content().strip()
        reported = cells[-1].text_content().strip()
        links[(normalise(organisation), reported)] = response.urljoin(anchors[0].get("href"))
    return links


def normalise(name: str) -> str:
    return " ".join(name.split()).casefold()
