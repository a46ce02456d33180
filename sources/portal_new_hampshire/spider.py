"""New Hampshire DOJ security-breach notifications: the public document API behind
https://www.doj.nh.gov/citizens/consumer-protection-antitrust-bureau/security-breach-notifications
(`/content/api/documents?…&q=@field_document_category|=|2146&sort=field_date_posted|desc|ALLOW_NULLS&page=N&size=S`),
newest first. Answers {"item_count", "total", "last_page", "data": [...]}; each notice's `id`
(= fields.nid) is its key, `fields.field_date_posted` its date, `fields.field_document_file.uri`
the notice letter (a PDF, linked, not fetched). Pages are followed to `last_page`, bounded by
`max_pages` and --since. In 2026 the site answered 403 to clients other than desktop browsers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, source_param
from sources.common import Entry, Listing, date_value
from sources.portal_new_hampshire.parser import CONTENT_KIND, first

DEFAULT_MAX_PAGES = 10
PAGE = re.compile(r"([?&]page=)(\d+)")


class NewHampshirePortalSpider(RecordSpider):
    name = "portal-new-hampshire"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        listing = read_documents(response.body, response.url)
        yield from self.emit_listing(
            response, listing, max_pages=int(source_param(source, "max_pages", DEFAULT_MAX_PAGES))
        )


def read_documents(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    try:
        data = json.loads(body)
        rows = data["data"]
    except (ValueError, KeyError, TypeError) as exc:
        return Listing(broken=f"not the document API's answer ({exc})")
    if not isinstance(rows, list):
        return Listing(broken="data is not a list")
    listing = Listing(total=data.get("total"))
    if "last_page" not in data:
        listing.problems.append("no last_page: paging cannot be followed")
    for row in rows:
        fields = row.get("fields") or {} if isinstance(row, dict) else {}
        native = str(row.get("id") or first(fields.get("nid")) or "") if isinstance(row, dict) else ""
        if not native or not (row.get("title") or first(fields.get("title"))):
            listing.skip("no_id_or_title")
            continue
        if "field_date_posted" not in fields:
            listing.problems.append(f"notice {native} has no field_date_posted")
        listing.entries.append(
            Entry(
                record=row,
                content_kind=CONTENT_KIND,
                key=f"https://www.doj.nh.gov/node/{native}",
                url=((fields.get("field_document_file") or {}).get("uri")),
                published=date_value(first(fields.get("field_date_posted"))),
            )
        )
    page = PAGE.search(url)
    last = data.get("last_page")
    if page and isinstance(last, int) and int(page.group(2)) < last:
        listing.next_url = PAGE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", url, count=1)
    return listing
