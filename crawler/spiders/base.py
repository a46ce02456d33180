"""What every source spider shares: reading its sources, deciding which articles to fetch,
handing fetched pages to the store and counting every outcome per source."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from core.config import DEFAULT_SOURCES, DataDir
from core.raw_store import RawStore
from core.records import PageItem
from core.sources import Source, load_sources
from core.urls import canonical_url
from crawler.frontier import forget_failed
from crawler.middlewares import RefusedRequest
from crawler.stats import note_first_error, source_key

HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml")


class SourceSpider(scrapy.Spider):
    """Crawls every source of kind `name` in a sources file.

    Arguments (``-a``): ``sources`` (file, default data/sources.toml), ``source``
    (comma-separated names to restrict to), ``since`` (ISO date: skip older entries).
    """

    name: ClassVar[str]
    # What a date passed to article_request came from, kept with the stored page: most
    # listings are feeds (RSS, Atom, news APIs); the sitemap spider says "sitemap".
    listing_kind: ClassVar[str] = "feed"
    # Kinds that list other sites' articles by nature (news aggregators, claim trackers) may fetch
    # off the source's site; others only where the source names the domains (allowed_domains).
    offsite_articles: ClassVar[bool] = False

    def __init__(
        self,
        sources: str | None = None,
        source: str | None = None,
        since: str | datetime | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sources_file = Path(sources) if sources else DEFAULT_SOURCES
        wanted = {s.strip() for s in source.split(",")} if isinstance(source, str) else None
        mine = [
            s
            for s in load_sources(self.sources_file)
            if s.kind == self.name and (wanted is None or s.name in wanted)
        ]
        self.sources = [s for s in mine if s.crawlable]
        # Sources that are gone are not crawled, but the report says so.
        self.unavailable = [s for s in mine if s.enabled and s.unavailable]
        self.since = parse_since(since)
        self._seen: set[str] = set()
        self.previously_listed: dict[str, int] = {}

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        # One job directory per source kind, so an interrupted crawl can be resumed.
        jobs = settings.get("INCIDENTS_JOBS_DIR")
        if jobs and not settings.get("JOBDIR"):
            settings.set("JOBDIR", str(Path(jobs) / cls.name), priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        data_dir = DataDir.resolve(crawler.settings.get("INCIDENTS_DATA_DIR"))
        spider.store = RawStore(data_dir.raw)
        spider.previously_listed = previously_listed(data_dir.reports, spider.name)
        crawler.signals.connect(spider._close_store, signal=scrapy.signals.spider_closed)
        return spider

    def _close_store(self) -> None:
        self.store.close()

    async def start(self) -> AsyncIterator[Any]:
        for source in self.unavailable:
            self.crawler.stats.inc_value(source_key(source.name, "skipped", "source_unavailable"))
            self.logger.warning(
                "source %s is unavailable since %s (%s): not crawled",
                source.name,
                source.unavailable["since"],
                source.unavailable["reason"],
            )
        if not self.sources:
            self.logger.warning("no %s sources in %s", self.name, self.sources_file)
        for source in self.sources:
            for request in self.listing_requests(source):
                yield request

    def listing_requests(self, source: Source) -> Iterable[scrapy.Request]:
        """The first requests for a source: by default its URL, parsed by parse_listing."""
        yield self.listing_request(source.url, source)

    def listing_request(self, url: str, source: Source, **kwargs: Any) -> scrapy.Request:
        # Listings are re-read on every crawl, so they bypass the duplicate filter.
        return scrapy.Request(
            url,
            callback=kwargs.pop("callback", self.parse_listing),
            errback=self.listing_failed,
            headers=source.headers or None,
            meta={"source": source, **kwargs.pop("meta", {})},
            dont_filter=True,
            **kwargs,
        )

    def parse_listing(self, response: Response) -> Iterable[Any]:
        raise NotImplementedError

    def next_list_page(
        self, response: Response, next_url: str | None, oldest: datetime | None, max_pages: int
    ) -> scrapy.Request | None:
        """The next page of a paged list (newest first), unless the list ends, the page limit
        is reached or --since has been passed."""
        page = response.meta.get("page", 1)
        if not next_url or page >= max_pages:
            return None
        if self.since and oldest and oldest < self.since:
            return None
        return self.listing_request(
            response.urljoin(next_url), response.meta["source"], meta={"page": page + 1, "conditional": False}
        )

    def article_request(
        self, url: str, source: Source, published: datetime | None = None, **meta: Any
    ) -> scrapy.Request | None:
        """A request for an article page, or None (with the reason counted) when it is skipped."""
        stats = self.crawler.stats
        stats.inc_value(source_key(source.name, "listed"))
        try:
            canonical = canonical_url(url)
        except ValueError:
            stats.inc_value(source_key(source.name, "skipped", "bad_url"))
            return None
        if self.since and published and published < self.since:
            stats.inc_value(source_key(source.name, "skipped", "older_than_since"))
            return None
        # Stored before wins over seen in this crawl: the reason then does not depend on
        # which listing happened to be read first.
        if self.store.contains(canonical):
            stats.inc_value(source_key(source.name, "skipped", "already_stored"))
            return None
        if canonical in self._seen:
            stats.inc_value(source_key(source.name, "skipped", "duplicate_in_crawl"))
            return None
        self._seen.add(canonical)
        return scrapy.Request(
            canonical,
            callback=self.parse_article,
            errback=self.article_failed,
            headers=source.headers or None,
            meta={"source": source, "canonical_url": canonical, "published": published, **meta},
        )

    def parse_article(self, response: Response) -> Iterable[PageItem]:
        source: Source = response.meta["source"]
        self.crawler.stats.inc_value(source_key(source.name, "fetched"))
        content_type = response.headers.get(b"Content-Type", b"text/html").lower()
        if not any(t in content_type for t in HTML_TYPES):
            self.crawler.stats.inc_value(source_key(source.name, "skipped", "not_html"))
            self.logger.info("skipped %s: content type %s", response.url, content_type.decode())
            return
        # A spider whose "articles" are HTML records of another kind (notice pages) says so in
        # the request's meta; they are stored like any page, under that kind.
        yield self.page_item(response, content_kind=response.meta.get("content_kind", "html"))

    def page_item(
        self, response: Response, content_kind: str = "html", body: bytes | None = None
    ) -> PageItem:
        source: Source = response.meta["source"]
        return PageItem(
            url=response.url,
            requested_url=requested_url(response),
            canonical_url=response.meta.get("canonical_url") or canonical_url(response.url),
            source=source.name,
            publisher=source.publisher,
            status=response.status,
            headers=[
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, values in response.headers.items()
                for v in values
            ],
            body=response.body if body is None else body,
            content_kind=content_kind,
            listed_at=response.meta.get("published"),
            listed_by=self.listing_kind if response.meta.get("published") else None,
        )

    def article_failed(self, failure: Failure) -> None:
        request = failure.request
        source: Source = request.meta["source"]
        outcome, reason = classify_failure(failure)
        self.crawler.stats.inc_value(source_key(source.name, outcome, reason))
        if outcome == "failed":
            note_first_error(
                self.crawler.stats, source.name, f"{request.url}: {failure_text(failure, reason)}"
            )
        forget_failed(self.crawler, request)  # not stored: a later crawl tries it again
        log = self.logger.info if outcome == "skipped" else self.logger.warning
        log("%s %s: %s", outcome, request.url, reason)

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request
        source: Source = request.meta["source"]
        outcome, reason = classify_failure(failure)
        self.crawler.stats.inc_value(source_key(source.name, outcome, f"listing_{reason}"))
        if outcome == "failed":
            note_first_error(
                self.crawler.stats, source.name, f"listing {request.url}: {failure_text(failure, reason)}"
            )
        log = self.logger.warning if outcome == "skipped" else self.logger.error
        log("listing %s of source %s: %s", request.url, source.name, reason)

    def drift(self, response: Response, problem: str) -> None:
        """The answer changed shape but could still be read (a column gone, no entries where
        there were some): logged and counted per source, the crawl goes on."""
        source: Source = response.meta["source"]
        self.crawler.stats.inc_value(source_key(source.name, "drift", problem))
        self.logger.error("source %s changed: %s (%s)", source.name, problem, response.url)

    def listing_broken(self, response: Response, problem: str) -> None:
        """A listing that was fetched but cannot be read: logged and counted, the crawl goes on."""
        source: Source = response.meta["source"]
        self.crawler.stats.inc_value(source_key(source.name, "failed", "listing_unreadable"))
        note_first_error(self.crawler.stats, source.name, f"listing {response.url} is unreadable: {problem}")
        self.logger.error("listing %s of source %s is unreadable: %s", response.url, source.name, problem)


def failure_text(failure: Failure, reason: str) -> str:
    """The reason, with the exception's own words when they add something (DNS, refused...)."""
    detail = str(failure.value).strip()
    return f"{reason} ({detail})" if detail and detail != reason and not failure.check(HttpError) else reason


def requested_url(response: Response) -> str:
    """The URL first asked for: before any redirect (Scrapy keeps the hops in redirect_urls)."""
    hops = response.meta.get("redirect_urls")
    if hops:
        return hops[0]
    return response.request.url if response.request else response.url


def previously_listed(reports: Path, kind: str) -> dict[str, int]:
    """Per source, how many entries the last crawl of this kind listed (0 when no report)."""
    paths = sorted(reports.glob(f"crawl-*-{kind}.json")) if reports.is_dir() else []
    if not paths:
        return {}
    try:
        report = json.loads(paths[-1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: int(entry.get("listed") or 0) for name, entry in (report.get("sources") or {}).items()}


def classify_failure(failure: Failure) -> tuple[str, str]:
    """('skipped' | 'failed', reason) for a request's failure."""
    if failure.check(HttpError):
        return "failed", f"http_{failure.value.response.status}"
    if failure.check(RefusedRequest):
        return "skipped", failure.value.reason
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        if "robots" in message:
            return "skipped", "robots_txt"
        return "skipped", "ignored"
    if failure.check(TwistedTimeoutError):
        return "failed", "timeout"
    name = type(failure.value).__name__
    if "maxsize" in str(failure.value).lower() or "cancel" in name.lower():
        return "failed", "too_large_or_cancelled"
    return "failed", name


def parse_since(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"--since: not an ISO date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
