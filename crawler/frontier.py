"""The shared crawl frontier's duplicate filter (scrapy-redis), with the policy this project needs.

scrapy-redis keeps one fingerprint set per key in redis; with SCHEDULER_PERSIST it outlives the
crawl (SCHEDULER_FLUSH_ON_START would empty it, and the queue, when a crawl starts). Its
scheduler consults the set only for requests without `dont_filter`: the spiders send every
listing (feed, sitemap, list page, API page) with dont_filter (crawler.spiders.base), so each
crawl re-reads them, conditionally, while an article page is fetched once by whichever
process takes it, in this crawl or any later one. Two things differ from scrapy-redis's
defaults, on purpose:

- one set for every spider (`incidents:dupefilter`, not one per spider name): a page listed
  by a feed and by a sitemap is still one page;
- a page whose fetch failed (a timeout, a 404, a 5xx after the retries) is forgotten, so a
  later crawl tries it again, as a crawl without redis does (it was never stored).
"""

from __future__ import annotations

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

DUPEFILTER_KEY = "incidents:dupefilter"


class SharedDupeFilter(RFPDupeFilter):
    """RFPDupeFilter that can forget a request, to be fetched again by a later crawl."""

    def forget(self, request: Request) -> None:
        # The set holds the first URL asked for, before any redirect.
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        self.server.srem(self.key, self.request_fingerprint(request.replace(url=first)))


def forget_failed(crawler, request: Request) -> None:
    """Let a later crawl fetch `request` again, when the crawl shares a frontier."""
    scheduler = getattr(crawler.engine, "scheduler", None)
    dupefilter = getattr(scheduler, "df", None)
    if isinstance(dupefilter, SharedDupeFilter):
        dupefilter.forget(request)
