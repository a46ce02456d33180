"""Maine Attorney General's data-breach notices: list pages, then one detail page per notice.

The list (list.html?page=N, followed through its next link up to `max_pages`) gives each
notice's date and detail page; the detail page (the submitted form: entity, persons and
Maine residents affected, dates, information acquired, the notice letter) is stored as
fetched, as a "portal-maine" page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.base import SourceSpider
from crawler.spiders.records import source_param
from sources.breach_notice import parse_us_date
from sources.portal_maine.parser import CONTENT_KIND

DEFAULT_MAX_PAGES = 3


class MainePortalSpider(SourceSpider):
    name = "portal-maine"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        rows = list_rows(response)
        if rows is None:
            self.listing_broken(response, "no table of notices with links")
            return
        oldest = None
        for href, when in rows:
            oldest = min(filter(None, (oldest, when)), default=None)
            request = self.article_request(response.urljoin(href), source, when, content_kind=CONTENT_KIND)
            if request is not None:
                yield request
        next_page = response.xpath("//a[@rel='next']/@href | //a[normalize-space()='Next']/@href").get()
        request = self.next_list_page(
            response, next_page, oldest, int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        )
        if request is not None:
            yield request


def list_rows(response: Response) -> list[tuple[str, Any]] | None:
    """[(detail page link, date)] of the list's table rows; None when there is no such table."""
    tree = lxml_html.fromstring(response.body)
    rows = []
    for tr in tree.xpath("//table//tr[td]"):
        links = tr.xpath(".//a[@href]/@href")
        if not links:
            continue
        dates = [parse_us_date(td.text_content()) for td in tr.findall("td")]
        rows.append((links[0], next((d for d in dates if d), None)))
    return rows or None
