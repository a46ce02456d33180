"""Running crawls from Python: one crawler per source kind in a sources file, one reactor."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from core.config import DataDir, user_agent
from core.sources import Source, load_sources
from crawler.frontier import DUPEFILTER_KEY
from crawler.stats import per_source


class CrawlFailed(RuntimeError):
    """A crawler that could not start or crashed: nothing it should have stored was stored."""


@dataclass
class CrawlResult:
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    finish_reasons: dict[str, str] = field(default_factory=dict)


class LoggerLevelFilter(logging.Filter):
    """Drops records of the named loggers below a level (Scrapy resets logger levels itself)."""

    def __init__(self, prefixes: tuple[str, ...], level: str | int) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.level = logging.getLevelName(level) if isinstance(level, str) else level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level or not record.name.startswith(self.prefixes)


def crawl_settings(data_dir: DataDir, overrides: dict[str, str] | None = None) -> Settings:
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("INCIDENTS_DATA_DIR", str(data_dir.root), priority="cmdline")
    settings.set("INCIDENTS_JOBS_DIR", str(data_dir.jobs), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    contact = settings.get("INCIDENTS_CONTACT")
    if contact and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", user_agent(contact), priority="cmdline")
    return settings


def source_kinds(settings: Settings) -> list[str]:
    return SpiderLoader.from_settings(settings).list()


def load_crawlable_sources(sources_file: Path, settings: Settings) -> list[Source]:
    return load_sources(sources_file, known_kinds=source_kinds(settings))


def run_crawl(
    sources_file: Path,
    data_dir: DataDir,
    *,
    since: str | None = None,
    only: str | None = None,
    resume: bool = False,
    overrides: dict[str, str] | None = None,
    redis_url: str | None = None,
) -> CrawlResult:
    """Crawl every enabled source; blocks until done (or interrupted with Ctrl-C).

    With `redis_url`, the crawl shares its frontier through redis (see shared_frontier)."""
    settings = crawl_settings(data_dir, overrides)
    if redis_url:
        shared_frontier(settings, redis_url)
    sources = load_crawlable_sources(sources_file, settings)
    wanted = {name.strip() for name in only.split(",")} if only else None
    # Unavailable sources still start their kind's spider, which reports them as skipped.
    kinds = sorted({s.kind for s in sources if s.enabled and (wanted is None or s.name in wanted)})
    if not resume:
        for kind in kinds:
            shutil.rmtree(data_dir.jobs / kind, ignore_errors=True)
    # Logging is the caller's (the CLI configures it); Scrapy's records get LOG_LEVEL, the
    # spiders' own (one line per bad listing or page) INCIDENTS_SPIDER_LOG_LEVEL, else LOG_LEVEL.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    quieter = [
        LoggerLevelFilter(("scrapy", "twisted", "py.warnings"), settings.get("LOG_LEVEL")),
        LoggerLevelFilter(
            tuple(kinds), settings.get("INCIDENTS_SPIDER_LOG_LEVEL") or settings.get("LOG_LEVEL")
        ),
    ]
    handlers = logging.getLogger().handlers
    for handler in handlers:
        for level_filter in quieter:
            handler.addFilter(level_filter)
    try:
        process = CrawlerProcess(settings)
        crawlers = []
        for kind in kinds:
            crawler = process.create_crawler(kind)
            apply_source_slots(
                crawler.settings, [src for src in sources if src.kind == kind and src.crawlable]
            )
            crawlers.append(crawler)
            process.crawl(crawler, sources=str(sources_file), source=only, since=since)
        process.start()
    finally:
        for handler in handlers:
            for level_filter in quieter:
                handler.removeFilter(level_filter)
    result = CrawlResult()
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        if "finish_reason" not in stats:
            raise CrawlFailed(f"the {crawler.spidercls.name} crawler did not run; see the log above")
        result.per_source.update(per_source(stats))
        result.finish_reasons[crawler.spidercls.name] = stats["finish_reason"]
    return result


def shared_frontier(settings: Settings, redis_url: str) -> None:
    """scrapy-redis's scheduler and duplicate filter: every crawl process pointed at one redis
    (on this machine or others) takes requests from one queue and records every article
    request it makes in one fingerprint set, so no page is fetched twice by any of them, in
    this crawl or a later one (a failed fetch is forgotten and tried again later). Listings
    (feeds, sitemaps) bypass the filter, as they do alone: each process re-reads them,
    conditionally, every crawl. The queue and the set persist in redis between crawls
    (crawler.frontier has the policy)."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise CrawlFailed(f"cannot reach redis at {redis_url}: {exc}") from None
    settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", priority="cmdline")
    dupefilter = "crawler.frontier.SharedDupeFilter"
    settings.set("DUPEFILTER_CLASS", dupefilter, priority="cmdline")
    settings.set("SCHEDULER_DUPEFILTER_CLASS", dupefilter, priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    settings.set("SCHEDULER_FLUSH_ON_START", False, priority="cmdline")
    # A queue per spider (its requests name its callbacks), one fingerprint set for all.
    settings.set("SCHEDULER_QUEUE_KEY", "incidents:%(spider)s:requests", priority="cmdline")
    settings.set("SCHEDULER_DUPEFILTER_KEY", DUPEFILTER_KEY, priority="cmdline")
    settings.set("DUPEFILTER_KEY", DUPEFILTER_KEY, priority="cmdline")
    settings.set("REDIS_URL", redis_url, priority="cmdline")


def source_download_slots(sources: Iterable[Source]) -> dict[str, dict[str, Any]]:
    """DOWNLOAD_SLOTS entries from the sources' `settings` (delay, concurrency), keyed by host.

    Two sources on one host share its slot, with the longer delay and the lower concurrency."""
    slots: dict[str, dict[str, Any]] = {}
    for source in sources:
        delay = source.settings.get("delay")
        concurrency = source.settings.get("concurrency")
        if delay is None and concurrency is None:
            continue
        host = urlparse(source.url).hostname or ""
        slot = slots.setdefault(host, {})
        if delay is not None:
            # The entry's delay is a floor: no random jitter below it.
            slot.update(delay=max(float(delay), slot.get("delay", 0.0)), jitter=0)
        if concurrency is not None:
            slot["concurrency"] = min(int(concurrency), slot.get("concurrency", int(concurrency)))
    return slots


def apply_source_slots(settings: Settings, sources: Iterable[Source]) -> None:
    """Merge the sources' slots into a crawler's DOWNLOAD_SLOTS; slots set explicitly win."""
    slots = source_download_slots(sources)
    if not slots:
        return
    existing = settings.getdict("DOWNLOAD_SLOTS")
    merged = {**slots, **existing}
    # Spider priority: CrawlerProcess.crawl() re-applies the process's (project) settings onto
    # the crawler's, which would drop slots set at project priority.
    settings.set("DOWNLOAD_SLOTS", merged, priority=max(settings.getpriority("DOWNLOAD_SLOTS") or 0, 30))


def main(argv: list[str] | None = None) -> int:
    """One crawl in a process of its own, its report as JSON in --result.

    `incidents watch` runs each cycle's crawl this way: Twisted's reactor cannot be started
    twice in one process, and a fresh process per crawl also returns its memory to the system
    and keeps a crashed crawl from taking the watch down. The caller holds the data dir's lock."""
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--redis", help="redis://HOST:PORT: share the crawl frontier")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = dict(pair.partition("=")[::2] for pair in args.settings)
    result = run_crawl(args.sources, DataDir(args.data_dir), overrides=overrides, redis_url=args.redis)
    report = {"per_source": result.per_source, "finish_reasons": result.finish_reasons}
    args.result.write_text(json.dumps(report, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
