"""ransomware.live v2 (no key): press-reported attacks, and extortion leak-site claims.

`records = "attacks"` (recentcyberattacks): each item is stored as a record (victim,
country, date, press url, claim_gang) and its press article is fetched and stored as an
article of this source. `records = "claims"` (recentvictims): each item is stored only as a
claim, stripped of every leak-site link; nothing in it is followed. The API answers 429
with Retry-After when polled too fast: BackoffRetryMiddleware waits as told.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, record_key, source_param
from sources.ransomware_live.parser import (
    ATTACK_KIND,
    CLAIM_KIND,
    attack_record,
    claim_record,
    date_field,
    text_field,
)


class RansomwareLiveSpider(RecordSpider):
    name = "ransomware-live"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        try:
            data = json.loads(response.text)
        except ValueError as exc:
            self.listing_broken(response, f"not JSON ({exc})")
            return
        items = data if isinstance(data, list) else None
        if items is None:
            self.listing_broken(response, f"expected a JSON list, got {type(data).__name__}")
            return
        claims = records_kind(source) == "claims"
        for raw in items:
            if not isinstance(raw, dict) or not text_field(raw.get("victim")):
                self.skip(source, "no_victim")
                continue
            yield from self.claim(response, raw) if claims else self.attack(response, raw)

    def attack(self, response: Response, raw: dict) -> Iterable[Any]:
        source: Source = response.meta["source"]
        record = attack_record(raw)
        published = date_field(record["date"]) or date_field(record["added"])
        item = self.record_item(
            response,
            record,
            key_url=record_key(source.url, record["victim"], record["date"], record["press_url"]),
            content_kind=ATTACK_KIND,
            url=record["press_url"],
            published=published,
        )
        if item is None:
            return
        yield item
        if record["press_url"]:
            request = self.article_request(record["press_url"], source, published)
            if request is not None:
                yield request

    def claim(self, response: Response, raw: dict) -> Iterable[Any]:
        source: Source = response.meta["source"]
        record = claim_record(raw)
        item = self.record_item(
            response,
            record,
            key_url=record_key(
                source.url, record["group"], record["victim"], record["attackdate"] or record["discovered"]
            ),
            content_kind=CLAIM_KIND,
            published=date_field(record["discovered"]) or date_field(record["attackdate"]),
        )
        if item is not None:
            yield item


def records_kind(source: Source) -> str:
    """'claims' for leak-site victims, else 'attacks' (press-reported)."""
    kind = source_param(source, "records")
    if kind:
        return str(kind)
    return "claims" if "recentvictims" in source.url else "attacks"
