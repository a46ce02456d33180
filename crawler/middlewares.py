"""Downloader middlewares: no fetches of internal addresses, retries that back off instead of
hammering a struggling site, per-source delays that AutoThrottle may not lower, and conditional
requests for listings polled often."""

from __future__ import annotations

import ipaddress
import logging
import socket
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlparse

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from tldextract import TLDExtract
from twisted.internet import task
from twisted.internet.threads import deferToThread

from core.config import DataDir
from crawler.stats import per_source, source_key

logger = logging.getLogger(__name__)
RETRY_DELAY_META = "retry_delay"


class RefusedRequest(IgnoreRequest):
    """A request the crawler will not make; `reason` is its crawl-report reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def address_problem(address: str) -> str | None:
    """Why an IP address is no public host to fetch from ("loopback", "private", ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for problem, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),  # 169.254.169.254 and the other metadata endpoints
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("reserved", not ip.is_global),  # shared address space (100.64.0.0/10) and the like
    ):
        if flag:
            return problem
    return None


def origin(url_or_request: str | Request) -> tuple[str, int | None]:
    """(host, port) of a URL or request: what a per-source private-address allowance covers."""
    parsed = (
        urlparse_cached(url_or_request) if isinstance(url_or_request, Request) else urlparse(url_or_request)
    )
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    return (parsed.hostname or "", parsed.port or default)


def internal_host(url: str, allowed: Iterable[str] = ()) -> str | None:
    """Why a URL's host is internal ("h resolves to a (private)"), or None; blocking, for code
    outside the crawl (`incidents sources --check`). URLs whose origin is in `allowed` pass."""
    if origin(url) in {origin(a) for a in allowed}:
        return None
    host = urlparse(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except OSError:
        return None  # unresolvable: the fetch fails with its own error
    for address in sorted(addresses):
        problem = address_problem(address)
        if problem:
            return f"{host} resolves to {address} ({problem})"
    return None


# Registrable domains from the public-suffix list bundled with tldextract (no download).
_DOMAINS = TLDExtract(suffix_list_urls=(), cache_dir=None)


def site_domain(host: str) -> str:
    """The registrable domain of a host (www.ncsc.gov.uk → ncsc.gov.uk; an IP stays itself)."""
    host = host.lower().rstrip(".")
    return _DOMAINS(host).top_domain_under_public_suffix or host


class SourceDomainsMiddleware:
    """Keeps each source on its own site: a request made for a source (a listing, an article, a
    redirect hop) whose host is outside the site of the source's URL is refused, counted as
    `offsite`, unless the source names that domain in `allowed_domains` ("*": any) or its
    kind lists other sites' articles by nature (SourceSpider.offsite_articles)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None) -> None:
        source = request.meta.get("source")
        host = urlparse_cached(request).hostname
        if source is None or not host or getattr(self.crawler.spider, "offsite_articles", False):
            return None
        allowed = {site_domain(urlparse(source.url).hostname or ""), *source.allowed_domains}
        if "*" in allowed or any(_within(host, domain) for domain in allowed):
            return None
        self.crawler.stats.inc_value("incidents/refused/offsite")
        logger.warning(
            "refused %s: off the site of source %s (%s); allow it with allowed_domains = [%r]",
            request.url,
            source.name,
            ", ".join(sorted(allowed)),
            site_domain(host),
        )
        raise RefusedRequest("offsite", f"off the source's site: {request.url}")


def _within(host: str, domain: str) -> bool:
    domain = domain.lower().strip(".")
    return host == domain or host.endswith("." + domain)


class PrivateAddressMiddleware:
    """Refuses requests to hosts on loopback, private, link-local (cloud metadata) or reserved
    addresses, so a listing or a redirect cannot make the crawler fetch from the operator's
    own network.

    Checked before every request (each redirect hop comes back through here) on every address
    the host resolves to, and after it on the address actually connected to (a DNS answer that
    changed in between). Allowed for a whole run with ALLOW_PRIVATE_ADDRESSES, or per source
    with `allow_private_addresses = true`, which covers the host and port of the source's URL
    (its listings, pages and robots.txt there), not other internal hosts it links to.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.allow_all = crawler.settings.getbool("ALLOW_PRIVATE_ADDRESSES")
        self.resolved: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def allowed(self, request: Request) -> bool:
        if self.allow_all:
            return True
        target = origin(request)
        return any(
            source.allow_private_addresses and origin(source.url) == target
            for source in getattr(self.crawler.spider, "sources", ())
        )

    async def process_request(self, request: Request, spider=None) -> None:
        host = urlparse_cached(request).hostname
        if not host or self.allowed(request):
            return None
        for address in await self._addresses(host):
            problem = address_problem(address)
            if problem:
                self._refuse(request, f"{host} resolves to {address} ({problem})")
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        address = getattr(response, "ip_address", None)
        if address is not None and not self.allowed(request):
            problem = address_problem(str(address))
            if problem:
                self._refuse(request, f"connected to {address} ({problem})")
        return response

    async def _addresses(self, host: str) -> list[str]:
        if host not in self.resolved:
            try:
                self.resolved[host] = [str(ipaddress.ip_address(host))]
            except ValueError:
                try:
                    infos = await maybe_deferred_to_future(
                        deferToThread(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
                    )
                except OSError:
                    return []  # unresolvable: the download fails with its own DNS error
                self.resolved[host] = sorted({info[4][0] for info in infos})
        return self.resolved[host]

    def _refuse(self, request: Request, why: str) -> None:
        self.crawler.stats.inc_value("incidents/refused/private_address")
        logger.warning(
            "refused %s: %s; allow it with allow_private_addresses = true on the source "
            "or -s ALLOW_PRIVATE_ADDRESSES=True",
            request.url,
            why,
        )
        raise RefusedRequest("private_address", f"private address refused: {request.url}: {why}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries with exponential back-off, honouring Retry-After on 429 and 503."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    async def process_request(self, request: Request, spider=None) -> None:
        delay = request.meta.pop(RETRY_DELAY_META, 0)
        if delay:
            # Imported here: importing the reactor at module level would install the
            # default one before Scrapy installs the asyncio reactor it is configured for.
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, delay, lambda: None))

    def process_response(self, request: Request, response: Response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
            self._schedule_delay(result, retry_after)
        return result

    def process_exception(self, request: Request, exception: Exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._schedule_delay(result, None)
        return result

    def _schedule_delay(self, request: Request, retry_after: float | None) -> None:
        attempt = request.meta.get("retry_times", 1)
        backoff = self.backoff_base * (2 ** (attempt - 1))
        request.meta[RETRY_DELAY_META] = min(self.backoff_max, max(backoff, retry_after or 0))


def retry_after_seconds(value: bytes | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


FIXED_DELAY_META = "autothrottle_dont_adjust_delay"
CONDITIONAL_META = "conditional"


class ListingOnceMiddleware:
    """Each listing (feed, sitemap, list page, API page) is read at most once per source and crawl.

    Listings bypass the duplicate filter (they are re-read on every crawl), so a sitemap index
    that lists itself, or list pages that link in a circle, would otherwise be fetched forever.
    Retries of a failed listing are not repeats.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.seen: set[tuple[str, bytes]] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None) -> None:
        if not ConditionalListingMiddleware.is_listing(request, conditional_only=False):
            return None
        if request.meta.get("retry_times"):
            return None
        key = (request.meta["source"].name, self.crawler.request_fingerprinter.fingerprint(request))
        if key in self.seen:
            raise RefusedRequest("repeated", f"listing already read in this crawl: {request.url}")
        self.seen.add(key)
        return None


class SourceSlotsMiddleware:
    """Keeps the delay a source's entry asks for (DOWNLOAD_SLOTS, filled by crawler.run), and the
    Crawl-delay a site's robots.txt asks for (capped at ROBOTSTXT_MAX_CRAWL_DELAY).

    AutoThrottle would otherwise lower a slot's delay down to DOWNLOAD_DELAY; a delay the
    source entry, a site's terms (EDGAR) or its robots.txt sets is a floor, so those slots are
    fixed.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
        self.fixed = {key for key, value in slots.items() if "delay" in value}
        self.max_crawl_delay = crawler.settings.getfloat("ROBOTSTXT_MAX_CRAWL_DELAY", 60.0)

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        return middleware

    def process_request(self, request: Request, spider=None) -> None:
        key = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        if key in self.fixed:
            request.meta.setdefault(FIXED_DELAY_META, True)
        return None

    def robots_parsed(self, robotparser, request: Request) -> None:
        """Slow the site's download slot down to the robots.txt Crawl-delay for our agent."""
        settings = self.crawler.settings
        agent = (
            settings.get("ROBOTSTXT_USER_AGENT")
            or request.headers.get(b"User-Agent")
            or settings["USER_AGENT"]
        )
        delay = robotparser.crawl_delay(agent)
        if not delay or delay <= 0:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if delay > self.max_crawl_delay:
            logger.warning(
                "robots.txt of %s asks for %.0f s between requests; using ROBOTSTXT_MAX_CRAWL_DELAY = %.0f s",
                key,
                delay,
                self.max_crawl_delay,
            )
            delay = self.max_crawl_delay
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        slot_settings.update(delay=max(float(delay), float(slot_settings.get("delay", 0.0))), jitter=0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = max(slot.delay, float(delay)), 0
        self.fixed.add(key)
        logger.info("robots.txt of %s asks for %.1f s between requests", key, delay)


class ConditionalListingMiddleware:
    """Conditional GETs for listings (feeds, sitemaps, list pages, APIs) polled often.

    Remembers each listing's ETag and Last-Modified in the data directory and sends
    If-None-Match / If-Modified-Since; a 304 is counted as 'skipped: listing_unchanged'
    in the crawl report, not as a failure. Validators are saved only when the crawl
    finished, without --since, and the source had no failed fetch, so an article that failed
    or was filtered out is fetched next time instead of hiding behind an unchanged listing.
    """

    def __init__(self, crawler, store: ValidatorStore) -> None:
        self.crawler = crawler
        self.store = store
        self.pending: dict[str, tuple[str, str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        data_dir = DataDir.resolve(crawler.settings.get("INCIDENTS_DATA_DIR"))
        middleware = cls(crawler, ValidatorStore(data_dir.root / VALIDATORS_FILE))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @staticmethod
    def is_listing(request: Request, conditional_only: bool = True) -> bool:
        """A listing request (not an article); with `conditional_only`, one to poll conditionally."""
        source = request.meta.get("source")
        if source is None or "canonical_url" in request.meta:
            return False
        if not conditional_only:
            return True
        if request.method != "GET" or not request.meta.get(CONDITIONAL_META, True):
            return False
        return bool(getattr(source, "settings", {}).get("conditional", True))

    def process_request(self, request: Request, spider=None) -> None:
        if not self.is_listing(request):
            return None
        etag, last_modified = self.store.get(request.url)
        if etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = etag
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = last_modified
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        if not self.is_listing(request):
            return response
        source = request.meta["source"]
        if response.status == 304:
            self.crawler.stats.inc_value(source_key(source.name, "skipped", "listing_unchanged"))
            # Not a failure: the listing's errback would count it as one.
            request.errback = None
            raise IgnoreRequest(f"listing unchanged since the last crawl (304): {request.url}")
        if response.status == 200:
            etag = header_text(response, b"ETag")
            last_modified = header_text(response, b"Last-Modified")
            if etag or last_modified:
                self.pending[request.url] = (source.name, etag, last_modified)
        return response

    def spider_closed(self, spider, reason: str) -> None:
        try:
            # A crawl that stopped early or skipped entries (--since) has not read all a
            # listing holds: the next crawl must read it whole.
            if reason != "finished" or getattr(spider, "since", None):
                return
            report = per_source(self.crawler.stats.get_stats())
            clean = {
                url: (etag, last_modified)
                for url, (name, etag, last_modified) in self.pending.items()
                if not report.get(name, {}).get("failed")
            }
            self.store.put(clean)
        finally:
            self.store.close()


VALIDATORS_FILE = "listing-validators.sqlite"


class ValidatorStore:
    """ETag / Last-Modified per listing URL, in SQLite (several crawlers write it at once)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS validators "
            "(url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, saved_at TEXT NOT NULL)"
        )
        self._db.commit()

    def get(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def put(self, validators: dict[str, tuple[str | None, str | None]]) -> None:
        now = datetime.now(UTC).isoformat()
        self._db.executemany(
            "INSERT OR REPLACE INTO validators VALUES (?,?,?,?)",
            [(url, etag, modified, now) for url, (etag, modified) in validators.items()],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def header_text(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None
