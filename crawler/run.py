"""Running crawls from Python: one crawler per source kind in a sources file, one reactor."""

from __future__ import annotations

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
) -> CrawlResult:
    """Crawl every enabled source; blocks until done (or interrupted with Ctrl-C)."""
    settings = crawl_settings(data_dir, overrides)
    sources = load_crawlable_sources(sources_file, settings)
    wanted = {name.strip() for name in only.split(",")} if only else None
    # Unavailable sources still start their kind's spider, which reports them as skipped.
    kinds = sorted({s.kind for s in sources if s.enabled and (wanted is None or s.name in wanted)})
    if not resume:
        for kind in kinds:
            shutil.rmtree(data_dir.jobs / kind, ignore_errors=True)
    # Logging is the caller's (the CLI configures it); Scrapy's records get LOG_LEVEL.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    quieter = LoggerLevelFilter(("scrapy", "twisted", "py.warnings", *kinds), settings.get("LOG_LEVEL"))
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(quieter)
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
            handler.removeFilter(quieter)
    result = CrawlResult()
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        if "finish_reason" not in stats:
            raise CrawlFailed(f"the {crawler.spidercls.name} crawler did not run; see the log above")
        result.per_source.update(per_source(stats))
        result.finish_reasons[crawler.spidercls.name] = stats["finish_reason"]
    return result


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
