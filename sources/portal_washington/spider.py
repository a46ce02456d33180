"""Washington Attorney General's data-breach notifications: an HTML table, one record per row.

Columns: Date Reported, Organization Name (linking the notice letter, a PDF that is linked,
not fetched), Date of Breach, Number of Washingtonians Affected, Information Compromised.
Pages (?page=N) are followed through the pager's next link, up to `max_pages` (param), and
no further once a page reaches back past --since (the list is newest first).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, record_key, source_param
from sources.breach_notice import parse_us_date
from sources.portal_washington.parser import CONTENT_KIND, column

DEFAULT_MAX_PAGES = 3


class WashingtonPortalSpider(RecordSpider):
    name = "portal-washington"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        rows = table_rows(response)
        if rows is None:
            self.listing_broken(response, "no table with an Organization column")
            return
        oldest = None
        for cells, link in rows:
            organisation = column(cells, "organisation")
            if not organisation:
                self.skip(source, "empty_row")
                continue
            reported = parse_us_date(column(cells, "reported"))
            oldest = min(filter(None, (oldest, reported)), default=None)
            notice = response.urljoin(link) if link else None
            item = self.record_item(
                response,
                {"cells": cells, "notice_url": notice, "list_url": response.url},
                key_url=notice
                or record_key(source.url, organisation, column(cells, "reported"), column(cells, "breach")),
                content_kind=CONTENT_KIND,
                url=notice,
                published=reported,
            )
            if item is not None:
                yield item
        request = self.next_list_page(
            response, next_link(response), oldest, int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        )
        if request is not None:
            yield request


def table_rows(response: Response) -> list[tuple[dict[str, str], str | None]] | None:
    """[(heading → cell text, first link in the row)] of the table with an Organization column."""
    tree = lxml_html.fromstring(response.body)
    for table in tree.iter("table"):
        headings = [" ".join(th.text_content().split()) for th in table.xpath(".//thead//th")]
        if not headings:
            first = table.xpath(".//tr[th]")
            headings = [" ".join(th.text_content().split()) for th in first[0].findall("th")] if first else []
        if not any("organization" in h.lower() or "organisation" in h.lower() for h in headings):
            continue
        rows = []
        for tr in table.xpath(".//tr[td]"):
            cells = [" ".join(td.text_content().split()) for td in tr.findall("td")]
            links = tr.xpath(".//a[@href]/@href")
            rows.append((dict(zip(headings, cells)), links[0] if links else None))
        return rows
    return None


def next_link(response: Response) -> str | None:
    href = response.xpath(
        "//a[@rel='next']/@href | //li[contains(@class, 'pager__item--next')]//a/@href"
        " | //li[contains(@class, 'pager-next')]//a/@href"
    ).get()
    return response.urljoin(href) if href else None
