"""Downloader middlewares: retries that back off instead of hammering a struggling site."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

RETRY_DELAY_META = "retry_delay"


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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
