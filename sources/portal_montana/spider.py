"""Montana DOJ's reported data breaches: a WordPress (Ninja Tables) table, the whole list on one
page. Headings BUSINESS NAME, NOTIFICATION DOCUMENTS, START OF BREACH, END OF BREACH, DATE
REPORTED, MONTANANS AFFECTED (matched whatever their case); each row's `data-row_id` is stable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html
from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value, decode_body, find_column
from sources.portal_montana.parser import COLUMNS, CONTENT_KIND


class MontanaPortalSpider(RecordSpider):
    name = "portal-montana"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        listing = read_table(response.body, response.url, response.headers.get(b"Content-Type", b"").decode())
        yield from self.emit_listing(response, listing)


def read_table(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    tree = lxml_html.fromstring(decode_body(body, content_type))
    for table in tree.iter("table"):
        headings = [" ".join(th.text_content().split()) for th in table.xpath(".//thead//th")]
        if find_column(headings, COLUMNS["organisation"]):
            break
    else:
        return Listing(broken="no table with a Business Name column")
    listing = Listing(
        problems=[f"no {name!r} column" for name in COLUMNS.values() if not find_column(headings, name)]
    )
    base = url.split("?")[0].split("#")[0]
    for tr in table.xpath(".//tr[td]"):
        cells = dict(zip(headings, (" ".join(td.text_content().split()) for td in tr.findall("td"))))
        organisation = cells.get(find_column(headings, COLUMNS["organisation"]) or "", "")
        if not organisation:
            listing.skip("empty_row")
            continue
        links = tr.xpath(".//a[@href]/@href")
        notice = urljoin(url, links[0]) if links else None
        row_id = tr.get("data-row_id")
        key = f"{base}#row-{row_id}" if row_id else notice
        if not key:
            listing.skip("no_id_or_notice")
            continue
        reported = cells.get(find_column(headings, COLUMNS["reported"]) or "")
        listing.entries.append(
            Entry(
                record={"cells": cells, "notice_url": notice, "row_id": row_id, "list_url": url},
                content_kind=CONTENT_KIND,
                key=key,
                url=notice,
                published=date_value(reported),
            )
        )
    return listing
