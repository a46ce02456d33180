"""Maine Attorney General's data-breach notices: list pages, then one detail page per notice.

The list (list.html?page=N, followed through its next link up to `max_pages`) gives each
notice's date and detail page; the detail page (the submitted form: entity, persons and
Maine residents affected, dates, information acquired, the notice letter) is stored as
fetched, as a "portal-maine" page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, source_param
from sources.common import Entry, Listing, date_value, decode_body
from sources.portal_maine.parser import CONTENT_KIND

DEFAULT_MAX_PAGES = 3


class MainePortalSpider(RecordSpider):
    name = "portal-maine"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        listing = read_list(response.body, response.url, response.headers.get(b"Content-Type", b"").decode())
        yield from self.emit_listing(
            response, listing, max_pages=int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        )


def read_list(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """One list page: each notice's detail page (stored as a portal-maine page) with its date.
    The page that replaced the list in 2026 ("will remain offline") is no list: broken."""
    tree = lxml_html.fromstring(decode_body(body, content_type))
    listing = Listing()
    for tr in tree.xpath("//table//tr[td]"):
        links = tr.xpath(".//a[@href]/@href")
        if not links:
            continue
        dates = [date_value(td.text_content()) for td in tr.findall("td")]
        listing.entries.append(
            Entry(
                fetch=urljoin(url, links[0]),
                fetch_kind=CONTENT_KIND,
                published=next((d for d in dates if d), None),
            )
        )
    if not listing.entries:
        offline = "remain offline" in " ".join(tree.text_content().split()).lower()
        listing.broken = (
            "the database is offline (the page says so)" if offline else "no table of notices with links"
        )
        return listing
    next_page = tree.xpath("//a[@rel='next']/@href | //a[normalize-space()='Next']/@href")
    listing.next_url = urljoin(url, next_page[0]) if next_page else None
    return listing
