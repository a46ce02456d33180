"""SEC EDGAR: 8-K filings disclosing cybersecurity incidents, found with EDGAR full-text search.

Per source (params): `q` the full-text query, `forms` (8-K), `item` the 8-K item the hit
must list in `_source.items` ("1.05", or "8.01" for incidents not judged material), `days`
the look-back window when --since is not given (or fixed `startdt`/`enddt`), `archives` the
EDGAR archive root. The text query also matches filings that only mention "Item 1.05" in
passing: only hits whose `items` list the item are kept, and an 8.01 filing is kept only
when its 8.01 section speaks of a cyber incident.

EDGAR's fair-access rules are hard requirements, enforced here whatever the settings say:
a User-Agent carrying the operator's contact (the spider refuses to run without
INCIDENTS_CONTACT), and at most 10 requests per second in total (every request goes through
one download slot, one at a time, at least EDGAR_MIN_DELAY = 0.1 s apart, never randomised
below it, never lowered by AutoThrottle).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from scrapy.settings import Settings

from core.sources import Source
from crawler.middlewares import FIXED_DELAY_META
from crawler.spiders.records import RecordSpider, source_param
from crawler.stats import note_first_error, source_key
from sources.common import Entry, Listing
from sources.sec_edgar.parser import CONTENT_KIND, has_cyber_wording, incident_text

SLOT = "sec.gov"
FAIR_ACCESS_MIN_DELAY = 0.1  # 10 requests per second
ARCHIVES = "https://www.sec.gov/Archives/edgar/data"
MAX_RESULTS = 10_000  # full-text search pages no further than this
DEFAULT_DAYS = 14


class SecEdgarSpider(RecordSpider):
    name = "sec-edgar"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        enforce_fair_access(crawler.settings, spider.sources)
        spider.contact_problem = contact_problem(crawler.settings)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.sources and self.contact_problem:
            refusal = (
                f"refusing to crawl EDGAR: {self.contact_problem}. EDGAR's fair-access policy requires a "
                "User-Agent with your contact e-mail: set INCIDENTS_CONTACT or pass --contact."
            )
            self.logger.error("sec-edgar: %s", refusal)
            for source in self.sources:
                self.crawler.stats.inc_value(source_key(source.name, "failed", "no_contact"))
                note_first_error(self.crawler.stats, source.name, refusal)
            return
        async for request in super().start():
            yield request

    def listing_requests(self, source: Source) -> Iterable[scrapy.Request]:
        start, end = self.search_window(source)
        yield self.search_request(source, start, end, 0)

    def search_window(self, source: Source) -> tuple[date, date]:
        today = datetime.now(UTC).date()
        end = date.fromisoformat(str(source_param(source, "enddt", today)))
        if source_param(source, "startdt"):
            start = date.fromisoformat(str(source_param(source, "startdt")))
        elif self.since:
            start = self.since.date()
        else:
            start = end - timedelta(days=int(source_param(source, "days", DEFAULT_DAYS)))
        return start, end

    def search_request(self, source: Source, start: date, end: date, offset: int) -> scrapy.Request:
        return self.listing_request(
            search_url(source, start, end, offset),
            source,
            callback=self.parse_search,
            meta={
                "window": (start.isoformat(), end.isoformat()),
                "offset": offset,
                "download_slot": SLOT,
                FIXED_DELAY_META: True,
                "conditional": False,
            },
        )

    def parse_search(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        listing = read_search(response.body, response.url, params=source.params)
        if listing.broken:
            self.listing_broken(response, listing.broken)
            return
        for problem in listing.problems:
            self.drift(response, problem)
        for reason, n in listing.skipped.items():
            self.skip(source, reason, n)
        for entry in listing.entries:
            request = self.article_request(
                entry.fetch,
                source,
                entry.published,
                download_slot=SLOT,
                **entry.meta,
                **{FIXED_DELAY_META: True},
            )
            if request is not None:
                yield request.replace(callback=self.parse_filing)
        offset = response.meta["offset"] + (listing.size or 0)
        if listing.size and offset < min(listing.total or 0, MAX_RESULTS):
            start, end = (date.fromisoformat(d) for d in response.meta["window"])
            yield self.search_request(source, start, end, offset)

    def parse_filing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        self.crawler.stats.inc_value(source_key(source.name, "fetched"))
        item = response.meta["item"]
        document = response.text
        if item != "1.05" and not has_cyber_wording(incident_text(document, item).text):
            self.crawler.stats.inc_value(source_key(source.name, "skipped", "no_cyber_wording"))
            return
        envelope = {
            "search_hit": response.meta["search_hit"],
            "item": item,
            "document_url": response.url,
            "document": document,
        }
        yield self.envelope_item(response, envelope, CONTENT_KIND)


def read_search(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """One page of full-text search hits: the filings whose `items` list the source's item,
    one per accession number (its main document rather than an exhibit), to fetch."""
    params = params or {}
    try:
        data = json.loads(body)
        hits = data["hits"]["hits"]
        total = int((data["hits"].get("total") or {}).get("value") or 0)
    except (ValueError, KeyError, TypeError) as exc:
        return Listing(broken=f"not an EDGAR full-text search answer ({exc})")
    listing = Listing(total=total, size=len(hits), may_be_empty=True)
    item = str(params.get("item", "1.05"))
    filings: dict[str, dict] = {}
    without_items = 0
    for hit in hits:
        meta = hit.get("_source") or {}
        if "items" not in meta:
            without_items += 1
        items = [str(i) for i in meta.get("items") or []]
        if item not in items:
            listing.skip(f"not_item_{item.replace('.', '_')}")
            continue
        if item != "1.05" and "1.05" in items:
            listing.skip("item_1_05_filing")  # the Item 1.05 source takes it
            continue
        adsh = meta.get("adsh") or str(hit.get("_id", "")).split(":")[0]
        kept = filings.get(adsh)
        if kept is None or (is_main_document(hit) and not is_main_document(kept)):
            filings[adsh] = hit
    if without_items:
        listing.problems.append(f"{without_items} of {len(hits)} hits have no _source.items")
    archives = str(params.get("archives", ARCHIVES)).rstrip("/")
    for hit in filings.values():
        document = document_url(archives, hit)
        if document is None:
            listing.skip("no_document")
            continue
        listing.entries.append(
            Entry(
                fetch=document,
                published=published_day((hit.get("_source") or {}).get("file_date")),
                meta={"search_hit": hit, "item": item},
            )
        )
    return listing


def check_url(source: Source) -> str:
    """What `incidents sources --check` asks: the first page of the source's query."""
    end = datetime.now(UTC).date()
    return search_url(source, end - timedelta(days=int(source_param(source, "days", DEFAULT_DAYS))), end, 0)


def search_url(source: Source, start: date, end: date, offset: int) -> str:
    """The full-text search URL for one page of a source's query."""
    query = {
        "q": source_param(source, "q", '"Item 1.05"'),
        "forms": source_param(source, "forms", "8-K"),
        "dateRange": "custom",
        "startdt": start.isoformat(),
        "enddt": end.isoformat(),
        "from": offset,
    }
    return f"{source.url}?{urlencode(query)}"


def document_url(archives: str, hit: dict) -> str | None:
    """https://www.sec.gov/Archives/edgar/data/{cik}/{adsh without dashes}/{file name}."""
    meta = hit.get("_source") or {}
    adsh, _, filename = str(hit.get("_id", "")).partition(":")
    adsh = meta.get("adsh") or adsh
    ciks = meta.get("ciks") or []
    if not (adsh and filename and ciks):
        return None
    return f"{archives}/{int(ciks[0])}/{adsh.replace('-', '')}/{filename}"


def is_main_document(hit: dict) -> bool:
    meta = hit.get("_source") or {}
    return str(meta.get("file_type", "")).upper().startswith(str(meta.get("form") or "8-K").upper())


def published_day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)[:10]).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


def contact_problem(settings: Settings) -> str | None:
    """Why the configured identity does not satisfy EDGAR, or None when it does."""
    contact = (settings.get("INCIDENTS_CONTACT") or "").strip()
    if not contact:
        return "no contact is set"
    if "@" not in contact:
        return f"the contact {contact!r} is not an e-mail address"
    if contact not in (settings.get("USER_AGENT") or ""):
        return "the User-Agent does not carry the contact"
    return None


def enforce_fair_access(settings: Settings, sources: Iterable[Source] = ()) -> dict:
    """One slot for every EDGAR host: one request at a time, >= 0.1 s apart (<= 10/s)."""
    delays = [FAIR_ACCESS_MIN_DELAY, settings.getfloat("EDGAR_MIN_DELAY", FAIR_ACCESS_MIN_DELAY)]
    delays += [float(s.settings["delay"]) for s in sources if "delay" in s.settings]
    slots = settings.getdict("DOWNLOAD_SLOTS")
    slot = dict(slots.get(SLOT) or {})
    slot.update(
        delay=max(delays + [float(slot.get("delay", 0))]),
        concurrency=1,
        jitter=0,
    )
    slots[SLOT] = slot
    priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, 40)
    settings.set("DOWNLOAD_SLOTS", slots, priority=priority)
    return slot
