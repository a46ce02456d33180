"""Crawl progress while it runs, and a per-source report when it ends."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from twisted.internet import task

from core.config import DataDir
from crawler.stats import per_source, totals

# Not the spider's logger: progress shows whatever LOG_LEVEL keeps of Scrapy's own log.
log = logging.getLogger(__name__)


class CrawlProgress:
    """Logs 'fetched / stored / skipped / failed' every PROGRESS_INTERVAL seconds (0: never) and writes
    the crawl report (JSON, per source, with reasons) to the data directory at the end."""

    def __init__(self, crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.data_dir = DataDir.resolve(crawler.settings.get("INCIDENTS_DATA_DIR"))

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.getfloat("PROGRESS_INTERVAL", 10.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        if self.interval > 0:
            self.loop = task.LoopingCall(self.log_progress)
            self.loop.start(self.interval, now=False)

    def log_progress(self) -> None:
        counts = totals(self.crawler.stats.get_stats())
        log.info(
            "%s progress: fetched %d, stored %d, skipped %d, failed %d",
            self.crawler.spider.name,
            counts["fetched"],
            counts["stored"],
            counts["skipped"],
            counts["failed"],
        )

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.log_progress()
        stats = self.crawler.stats.get_stats()
        started = stats.get("start_time")
        report = {
            "spider": spider.name,
            "finished_at": datetime.now(UTC).isoformat(),
            "finish_reason": reason,
            "elapsed_seconds": (datetime.now(UTC) - started).total_seconds() if started else None,
            "peak_memory_bytes": stats.get("memusage/max"),
            "totals": totals(stats),
            "sources": per_source(stats),
        }
        path = write_report(self.data_dir.reports, spider.name, report)
        log.info("crawl report: %s", path)


def write_report(folder: Path, spider_name: str, report: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"crawl-{stamp}-{spider_name}.json"
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return path
