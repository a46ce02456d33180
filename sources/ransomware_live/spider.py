"""ransomware.live v2 (no key): press-reported attacks, and extortion leak-site claims.

`records = "attacks"` (recentcyberattacks): each item is stored as a record (victim,
country, date, press url, claim_gang) and its press article is fetched and stored as an
article of this source. `records = "claims"` (recentvictims): each item is stored only as a
claim, stripped of every leak-site link; nothing in it is followed. The API answers 429
with Retry-After when polled too fast: BackoffRetryMiddleware waits as told.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, record_key
from sources.ransomware_live.parser import (
    ATTACK_KIND,
    CLAIM_KIND,
    attack_record,
    claim_record,
    date_field,
    victim_field,
)


class RansomwareLiveSpider(RecordSpider):
    name = "ransomware-live"
    offsite_articles = True  # it lists other sites' articles

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        yield from self.emit_listing(response, read_api(response.body, response.url, params=source.params))


def read_api(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """A v2 answer: press-reported attacks (a record each, and its press article to fetch) or,
    with `records = "claims"`, leak-site claims (a record each, nothing followed)."""
    try:
        # Python's json reads the NaN that snapshots of this API carry; it is read as missing.
        data = json.loads(body)
    except ValueError as exc:
        return Listing(broken=f"not JSON ({exc})")
    if not isinstance(data, list):
        return Listing(broken=f"expected a JSON list, got {type(data).__name__}")
    claims = records_kind(url, params or {}) == "claims"
    listing = Listing()
    needed = ("victim", "group") if claims else ("victim", "date")
    absent = [name for name in needed if data and not any(isinstance(r, dict) and name in r for r in data)]
    if absent:
        listing.problems.append(f"no record has {', '.join(absent)}")
    for raw in data:
        if not isinstance(raw, dict) or not victim_field(raw.get("victim")):
            listing.skip("no_victim")
            continue
        listing.entries.append(claim_entry(url, raw) if claims else attack_entry(url, raw))
    return listing


def attack_entry(url: str, raw: dict) -> Entry:
    record = attack_record(raw)
    return Entry(
        record=record,
        content_kind=ATTACK_KIND,
        key=record_key(url, record["victim"], record["date"], record["press_url"]),
        url=record["press_url"],
        published=date_field(record["date"]) or date_field(record["added"]),
        fetch=record["press_url"],
    )


def claim_entry(url: str, raw: dict) -> Entry:
    record = claim_record(raw)
    return Entry(
        record=record,
        content_kind=CLAIM_KIND,
        key=record_key(url, record["group"], record["victim"], record["attackdate"] or record["discovered"]),
        published=date_field(record["discovered"]) or date_field(record["attackdate"]),
    )


def records_kind(url: str, params: Mapping[str, Any]) -> str:
    """'claims' for leak-site victims, else 'attacks' (press-reported)."""
    kind = params.get("records")
    if kind:
        return str(kind)
    return "claims" if "recentvictims" in url else "attacks"
