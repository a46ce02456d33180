"""The Scrapy item pipeline that keeps every fetched page in the raw store."""

from __future__ import annotations

from core.config import DataDir
from core.raw_store import RawStore
from core.records import PageItem
from crawler.stats import source_key


class RawStorePipeline:
    """Writes each page as soon as it arrives, so an interrupted crawl loses nothing stored."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.data_dir = DataDir.resolve(crawler.settings.get("INCIDENTS_DATA_DIR"))
        self.store: RawStore | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = RawStore(self.data_dir.raw)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: PageItem) -> PageItem:
        assert self.store is not None
        record_id = self.store.add(item, prefix=self.crawler.spider.name)
        outcome = ("skipped", "already_stored") if record_id is None else ("stored", None)
        self.crawler.stats.inc_value(source_key(item.source, *outcome))
        return item
