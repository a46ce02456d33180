"""Washington Attorney General's data-breach notifications: an HTML table, one record per row.

Columns: Date Reported, Organization Name (linking the notice letter, a PDF that is linked,
not fetched), Date of Breach, Number of Washingtonians Affected, Information Compromised.
Pages (?page=N) are followed through the pager's next link, up to `max_pages` (param), and
no further once a page reaches back past --since (the list is newest first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, source_param
from sources.breach_notice import parse_us_date
from sources.common import Entry, Listing, decode_body, record_key
from sources.portal_washington.parser import CONTENT_KIND, REQUIRED_COLUMNS, column

DEFAULT_MAX_PAGES = 3


class WashingtonPortalSpider(RecordSpider):
    name = "portal-washington"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        listing = read_table(response.body, response.url, response.headers.get(b"Content-Type", b"").decode())
        yield from self.emit_listing(
            response, listing, max_pages=int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        )


def read_table(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """One page of the notifications table: a record per row (the cells under their own
    headings), its notice letter as the record's page, and the pager's next link."""
    tree = lxml_html.fromstring(decode_body(body, content_type))
    rows = table_rows(tree)
    if rows is None:
        return Listing(broken="no table with an Organization column")
    headings = list(rows[0][0]) if rows else []
    listing = Listing(
        problems=[f"no {name!r} column" for name, found in column_check(headings).items() if not found]
    )
    for cells, link in rows:
        organisation = column(cells, "organisation")
        if not organisation:
            listing.skip("empty_row")
            continue
        notice = urljoin(url, link) if link else None
        listing.entries.append(
            Entry(
                record={"cells": cells, "notice_url": notice, "list_url": url},
                content_kind=CONTENT_KIND,
                key=notice
                or record_key(
                    url.split("?")[0],  # not the page: rows move down the pages over time
                    organisation,
                    column(cells, "reported"),
                    column(cells, "breach"),
                    column(cells, "affected"),
                ),
                url=notice,
                published=parse_us_date(column(cells, "reported")),
            )
        )
    listing.next_url = next_link(tree, url)
    return listing


def column_check(headings: list[str]) -> dict[str, bool]:
    probe = {h: "x" for h in headings}
    return {name: bool(column(probe, field)) for field, name in REQUIRED_COLUMNS.items()}


def table_rows(tree: Any) -> list[tuple[dict[str, str], str | None]] | None:
    """[(heading → cell text, first link in the row)] of the table with an Organization column."""
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


def next_link(tree: Any, url: str) -> str | None:
    href = tree.xpath(
        "//a[@rel='next']/@href | //li[contains(@class, 'pager__item--next')]//a/@href"
        " | //li[contains(@class, 'pager-next')]//a/@href"
    )
    return urljoin(url, href[0]) if href else None
