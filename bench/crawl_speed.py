"""Crawl throughput: the full pipeline (spider bookkeeping, de-duplication against the store,
WARC writing) against bare Scrapy fetching the same pages with no item pipeline, in the same
run, on a generated local site of 2,000+ article pages. Prints pages/second for both, the
ratio, and the peak memory of each crawl.

    python -m bench.crawl_speed [--pages 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sample_web.server import serve

REPO = Path(__file__).resolve().parent.parent
SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "ALLOW_PRIVATE_ADDRESSES": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
    "PROGRESS_INTERVAL": "0",
}
PARAGRAPH = (
    "The company said it had detected unusual activity on its network and had taken systems "
    "offline as a precaution while investigators worked to establish what had happened. "
)

BARE_SPIDER = """
import json, sys, feedparser, scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in sys.argv[1].split(","):
            yield scrapy.Request(url, callback=self.parse_feed, dont_filter=True)
    def parse_feed(self, response):
        for entry in feedparser.parse(response.body).entries:
            yield scrapy.Request(entry.link, callback=self.parse_page)
    def parse_page(self, response):
        return None

settings = json.loads(sys.argv[2])
settings["ROBOTSTXT_OBEY"] = True
process = CrawlerProcess(settings)
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({"elapsed": stats["elapsed_time_seconds"], "pages": stats.get("response_received_count", 0),
                  "memory": stats.get("memusage/max")}))
"""


def generate_site(root: Path, pages: int, per_feed: int = 250) -> list[str]:
    """Article pages of realistic size in nested folders, listed by RSS feeds of 250 items."""
    feeds = []
    items: list[str] = []
    for index in range(pages):
        path = f"site/{index // 100:03d}/article-{index}.html"
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"<p>{PARAGRAPH * 3}</p>" for _ in range(8))
        target.write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Article {index}</title>'
            f'<meta property="article:published_time" content="2024-01-01T00:00:00Z"></head>'
            f"<body><nav>Home News</nav><article><h1>Article {index}</h1>{body}</article>"
            f"<footer>Footer</footer></body></html>",
            encoding="utf-8",
        )
        items.append(f"<item><title>Article {index}</title><link>__BASE_URL__/{path}</link></item>")
        if len(items) == per_feed or index == pages - 1:
            name = f"feed-{len(feeds)}.xml"
            (root / name).write_text(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{"".join(items)}</channel></rss>',
                encoding="utf-8",
            )
            feeds.append(name)
            items = []
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return feeds


def run_full(base: str, feeds: list[str], work: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(dir=work))
    sources = work / f"sources-{data_dir.name}.toml"
    sources.write_text(
        "\n".join(
            f'[[sources]]\nname = "bench-{i}"\nkind = "feed"\nurl = "{base}/{feed}"\npublisher = "Bench"\n'
            for i, feed in enumerate(feeds)
        )
    )
    command = [
        sys.executable,
        "-m",
        "incidents",
        "crawl",
        "--sources",
        str(sources),
        "--data-dir",
        str(data_dir),
    ]
    for name, value in SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    report = json.loads(sorted((data_dir / "reports").glob("crawl-*.json"))[-1].read_text())
    return {
        "elapsed": report["elapsed_seconds"],
        "pages": report["totals"]["stored"],
        "memory": report["peak_memory_bytes"],
    }


def run_bare(base: str, feeds: list[str], work: Path) -> dict:
    settings = {name: value for name, value in SETTINGS.items() if name != "PROGRESS_INTERVAL"}
    script = work / "bare_spider.py"  # a file, not -c: Scrapy reads callbacks' source
    script.write_text(BARE_SPIDER)
    result = subprocess.run(
        [sys.executable, str(script), ",".join(f"{base}/{feed}" for feed in feeds), json.dumps(settings)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    outcome["pages"] -= len(feeds) + 1  # feeds and robots.txt are not articles
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        site = work / "web"
        feeds = generate_site(site, args.pages)
        best = {"full": None, "bare": None}
        with serve(site) as base:
            for _ in range(args.rounds):
                for name, runner in (
                    ("bare", lambda: run_bare(base, feeds, work)),
                    ("full", lambda: run_full(base, feeds, work)),
                ):
                    outcome = runner()
                    rate = outcome["pages"] / outcome["elapsed"]
                    print(
                        f"{name:<5} {outcome['pages']} pages in {outcome['elapsed']:.1f} s = {rate:.0f} pages/s, "
                        f"peak memory {outcome['memory'] / 2**20:.0f} MiB",
                        flush=True,
                    )
                    if best[name] is None or rate > best[name][0]:
                        best[name] = (rate, outcome)
    ratio = best["full"][0] / best["bare"][0]
    print(
        f"\nbest of {args.rounds}: full pipeline {best['full'][0]:.0f} pages/s, bare Scrapy {best['bare'][0]:.0f} pages/s"
    )
    print(f"ratio full / bare: {ratio:.2f} (target >= 0.80)")
    print(
        f"peak memory: full {best['full'][1]['memory'] / 2**20:.0f} MiB, bare {best['bare'][1]['memory'] / 2**20:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
