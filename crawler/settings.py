"""Scrapy settings for incident-tracker: polite by default, overridable with -s NAME=VALUE."""

import os

from core.config import CONTACT_ENV, DATA_DIR_ENV, user_agent

BOT_NAME = "incident-tracker"
SPIDER_MODULES = ["sources"]
NEWSPIDER_MODULE = "sources"

# Who we are: sites and EDGAR want a contact. No URL in the string: some agency sites
# (ASD/ACSC) drop requests whose User-Agent contains one.
INCIDENTS_CONTACT = os.environ.get(CONTACT_ENV, "")
USER_AGENT = user_agent(INCIDENTS_CONTACT)
INCIDENTS_DATA_DIR = os.environ.get(DATA_DIR_ENV, "data")

# Politeness.
ROBOTSTXT_OBEY = True
# A robots.txt Crawl-delay is honoured (a floor AutoThrottle keeps), up to this many seconds.
ROBOTSTXT_MAX_CRAWL_DELAY = 60.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# An article page yields one item: Scrapy's default of 100 concurrent items per response
# spawns 100 asyncio workers for each page, which costs more than storing the page.
CONCURRENT_ITEMS = 16

# Bounded sitemaps: indexes followed this deep, at most this many URLs taken from one file (the
# sitemaps.org limit) and from one source in a crawl; what is cut is logged and counted.
SITEMAP_MAX_DEPTH = 3
SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_URLS_PER_SOURCE = 500_000

# Robustness.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Loopback, private, link-local and reserved addresses are refused (a feed or a redirect must
# not reach the operator's own network); True allows them for the whole run. Per source:
# allow_private_addresses = true in the sources file (the sample web, the demo and tests).
ALLOW_PRIVATE_ADDRESSES = False

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): an internal or off-site host's robots.txt is not fetched either.
    "crawler.middlewares.SourceDomainsMiddleware": 40,
    "crawler.middlewares.PrivateAddressMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ListingOnceMiddleware": 540,
    "crawler.middlewares.SourceSlotsMiddleware": 560,
    "crawler.middlewares.ConditionalListingMiddleware": 580,
}
# Per-host delay/concurrency: crawler.run fills this from each source entry's `settings`
# (delay, concurrency); the sec-edgar spider adds its own fair-access slot.
DOWNLOAD_SLOTS: dict = {}

# Google News links are decoded by this callable ("module:function", async or not):
# (urls, user_agent) -> [decoded URL or None], one per URL. Tests inject an offline one.
GOOGLE_NEWS_DECODER = "sources.google_news.spider:decode_online"
# EDGAR fair access: at most 10 requests per second in total, whatever else is set.
EDGAR_MIN_DELAY = 0.1
ITEM_PIPELINES = {
    "pipelines.storage.RawStorePipeline": 500,
}
EXTENSIONS = {
    "crawler.extensions.CrawlProgress": 500,
}
PROGRESS_INTERVAL = 10.0

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
