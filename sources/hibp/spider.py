"""Have I Been Pwned: every breach the service has loaded (https://haveibeenpwned.com/api/v3/breaches,
no key needed; about 900 in 2026), one record per breach keyed by its Name. The list is
re-read whole each crawl (it is one small answer); records already stored are skipped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value, json_answer
from sources.hibp.parser import CONTENT_KIND, breach_page

REQUIRED = ("Name", "Title", "BreachDate", "AddedDate", "IsVerified")


class HibpSpider(RecordSpider):
    name = "hibp"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        yield from self.emit_listing(response, read_breaches(response.body, response.url))


def read_breaches(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    data, broken = json_answer(body)
    if broken:
        return broken
    if not isinstance(data, list):
        return Listing(broken=f"expected a JSON list, got {type(data).__name__}")
    listing = Listing(total=len(data))
    for field in REQUIRED:
        if data and not any(isinstance(b, dict) and field in b for b in data):
            listing.problems.append(f"no breach has {field}")
    for breach in data:
        if not isinstance(breach, dict) or not breach.get("Name"):
            listing.skip("no_name")
            continue
        listing.entries.append(
            Entry(
                record=breach,
                content_kind=CONTENT_KIND,
                key=breach_page(breach["Name"]),
                url=breach_page(breach["Name"]),
                published=date_value(breach.get("AddedDate")),
            )
        )
    return listing
