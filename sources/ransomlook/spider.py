"""RansomLook (https://www.ransomlook.io, a leak-site tracker besides ransomware.live): recent posts
of extortion groups' leak sites. `/api/posts?from=YYYY-MM-DD&to=YYYY-MM-DD` answers
{"posts": [...]}, `/api/recent` a bare list; each post has group_name, post_title (the victim
as the group names it) and discovered (UTC). Posts are claims: stored as such, links and
screenshots dropped, nothing followed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.http import Response

from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value, json_answer, record_key
from sources.ransomlook.parser import CONTENT_KIND, post_record


class RansomLookSpider(RecordSpider):
    name = "ransomlook"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        yield from self.emit_listing(response, read_posts(response.body, response.url))


def read_posts(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    data, broken = json_answer(body)
    if broken:
        return broken
    posts = data.get("posts") if isinstance(data, dict) else data
    if not isinstance(posts, list):
        return Listing(broken="neither a list of posts nor {'posts': [...]}")
    listing = Listing(may_be_empty=True)
    for field in ("group_name", "post_title", "discovered"):
        if posts and not any(isinstance(p, dict) and field in p for p in posts):
            listing.problems.append(f"no post has {field}")
    base = url.split("?")[0]
    for post in posts:
        record = post_record(post) if isinstance(post, dict) else None
        if not record or not record["victim"] or not record["group"]:
            listing.skip("no_victim_or_group")
            continue
        listing.entries.append(
            Entry(
                record=record,
                content_kind=CONTENT_KIND,
                key=record_key(base, record["group"], record["victim"], record["discovered"]),
                published=date_value(record["discovered"]),
            )
        )
    return listing
