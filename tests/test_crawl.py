"""Spiders against local servers: feeds, sitemaps, robots.txt, since, de-duplication, resume."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from core.raw_store import RawStore
from sample_web.server import serve
from tests.conftest import FAST_CRAWL, FIXTURES, REPO, run_cli, write_sources


def crawl(sources: Path, data_dir: Path, *extra: str):
    result = run_cli("crawl", "--sources", str(sources), "--data-dir", str(data_dir), *FAST_CRAWL, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def stored_paths(data_dir: Path) -> list[str]:
    with RawStore(data_dir / "raw") as store:
        return sorted(page.canonical_url.split("/", 3)[3] for page in store.pages())


def listed_dates(data_dir: Path) -> dict[str, tuple[str | None, str | None]]:
    """Stored page path → (date the listing gave, which kind of listing)."""
    with RawStore(data_dir / "raw") as store:
        return {
            page.canonical_url.split("/", 3)[3]: (
                page.listed_at.date().isoformat() if page.listed_at else None,
                page.listed_by,
            )
            for page in store.pages()
        }


def latest_report(data_dir: Path, spider: str) -> dict:
    path = sorted((data_dir / "reports").glob(f"crawl-*-{spider}.json"))[-1]
    return json.loads(path.read_text())


def test_rss_feed_spider_fetches_articles_obeys_robots_and_dedupes(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {"name": "fx-rss", "kind": "feed", "url": f"{fixture_web}/feeds/rss.xml", "publisher": "Fixture"},
        ],
    )
    crawl(sources, tmp_path / "d")
    assert stored_paths(tmp_path / "d") == ["pages/story-1.html", "pages/story-2.html", "pages/story-3.html"]
    report = latest_report(tmp_path / "d", "feed")["sources"]["fx-rss"]
    assert report["listed"] == 6 and report["stored"] == 3
    assert report["skipped_reasons"] == {"duplicate_in_crawl": 1, "robots_txt": 1}
    assert report["failed_reasons"] == {"http_404": 1}
    # The feed's pubDate travels with the request into the raw store.
    assert listed_dates(tmp_path / "d") == {
        "pages/story-1.html": ("2021-03-01", "feed"),
        "pages/story-2.html": ("2022-03-02", "feed"),
        "pages/story-3.html": ("2023-03-03", "feed"),
    }


def test_atom_feed_and_malformed_feeds(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {
                "name": "fx-atom",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/atom.xml",
                "publisher": "Fixture",
            },
            {
                "name": "fx-broken",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/broken.xml",
                "publisher": "Fixture",
            },
            {
                "name": "fx-html",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/not-a-feed.xml",
                "publisher": "Fixture",
            },
            {
                "name": "fx-missing",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/nope.xml",
                "publisher": "Fixture",
            },
        ],
    )
    result = crawl(sources, tmp_path / "d")
    paths = stored_paths(tmp_path / "d")
    assert {"pages/story-1.html", "pages/story-4.html"} <= set(paths)
    assert "pages/story-5.html" in paths  # read from the truncated feed
    report = latest_report(tmp_path / "d", "feed")["sources"]
    assert report["fx-html"]["failed_reasons"] == {"listing_unreadable": 1}
    assert report["fx-missing"]["failed_reasons"] == {"listing_http_404": 1}
    assert "fx-html" in result.stdout and "listing_unreadable" in result.stdout


def test_a_crawl_that_reaches_no_source_fails_with_a_short_summary(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens here once the socket is closed
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {
                "name": f"down-{i}",
                "kind": "feed",
                "url": f"http://127.0.0.1:{closed}/feed{i}.xml",
                "publisher": "Down",
            }
            for i in range(3)
        ],
    )
    result = run_cli("crawl", "--sources", str(sources), "--data-dir", str(tmp_path / "d"), *FAST_CRAWL)
    assert result.returncode == 1
    assert "0 pages stored: no source could be reached; check the network" in result.stderr
    assert (
        "first error: listing http://127.0.0.1" in result.stdout and "ConnectionRefusedError" in result.stdout
    )
    assert "Traceback" not in result.stderr and "Dumping Scrapy stats" not in result.stderr
    assert len(result.stderr.splitlines()) < 10 and len(result.stdout.splitlines()) == 7
    verbose = run_cli(
        "crawl", "--verbose", "--sources", str(sources), "--data-dir", str(tmp_path / "d"), *FAST_CRAWL
    )
    assert verbose.returncode == 1 and "Dumping Scrapy stats" in verbose.stderr


def test_sitemap_index_gzip_news_and_plain_text(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {
                "name": "fx-sitemap",
                "kind": "sitemap",
                "url": f"{fixture_web}/sitemaps/index.xml",
                "publisher": "Fixture",
            },
            {
                "name": "fx-plain",
                "kind": "sitemap",
                "url": f"{fixture_web}/sitemaps/plain.txt",
                "publisher": "Fixture",
            },
        ],
    )
    crawl(sources, tmp_path / "d")
    assert stored_paths(tmp_path / "d") == [f"pages/story-{i}.html" for i in (1, 3, 4, 5, 6)]
    dates = listed_dates(tmp_path / "d")
    # News publication dates win over lastmod; a plain-text sitemap gives no date.
    assert dates["pages/story-3.html"] == ("2023-03-03", "sitemap")
    assert dates["pages/story-4.html"] == ("2024-03-04", "sitemap")


def test_since_skips_older_entries(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {"name": "fx-rss", "kind": "feed", "url": f"{fixture_web}/feeds/rss.xml", "publisher": "Fixture"},
            {
                "name": "fx-sitemap",
                "kind": "sitemap",
                "url": f"{fixture_web}/sitemaps/index.xml",
                "publisher": "Fixture",
            },
        ],
    )
    crawl(sources, tmp_path / "d", "--since", "2023-01-01")
    # story-4's news:publication_date (2024) wins over its stale lastmod (2019);
    # the 2019 child sitemap is not even read.
    assert stored_paths(tmp_path / "d") == ["pages/story-3.html", "pages/story-4.html"]
    report = latest_report(tmp_path / "d", "feed")["sources"]["fx-rss"]
    assert report["skipped_reasons"]["older_than_since"] == 3


def test_second_crawl_fetches_only_new_articles(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {"name": "fx-rss", "kind": "feed", "url": f"{fixture_web}/feeds/rss.xml", "publisher": "Fixture"},
        ],
    )
    crawl(sources, tmp_path / "d")
    write_sources(
        sources,
        [
            {"name": "fx-rss", "kind": "feed", "url": f"{fixture_web}/feeds/rss.xml", "publisher": "Fixture"},
            {
                "name": "fx-atom",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/atom.xml",
                "publisher": "Fixture",
            },
        ],
    )
    crawl(sources, tmp_path / "d")
    report = latest_report(tmp_path / "d", "feed")["sources"]
    # story-2 is listed twice (with tracking parameters and with a fragment): both copies are already stored
    assert report["fx-rss"]["stored"] == 0 and report["fx-rss"]["skipped_reasons"]["already_stored"] == 4
    assert report["fx-atom"]["stored"] == 1  # story-4 is new; story-1 was stored by the first crawl
    assert stored_paths(tmp_path / "d") == [f"pages/story-{i}.html" for i in (1, 2, 3, 4)]


def test_store_keeps_pages_as_received_in_warc(fixture_web, tmp_path):
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {"name": "fx-rss", "kind": "feed", "url": f"{fixture_web}/feeds/rss.xml", "publisher": "Fixture"},
        ],
    )
    crawl(sources, tmp_path / "d")
    records = []
    for warc in (tmp_path / "d" / "raw").glob("*.warc.gz"):
        with open(warc, "rb") as stream:
            for record in ArchiveIterator(stream):
                records.append(
                    (
                        record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("IT-Requested-URI"),
                        record.rec_headers.get_header("IT-Source"),
                        record.http_headers.get_statuscode(),
                        record.content_stream().read(),
                    )
                )
    by_uri = {uri: rest for uri, *rest in records}
    story2 = next(v for k, v in by_uri.items() if k.endswith("story-2.html"))
    assert story2[0].endswith("/pages/story-2.html")  # tracking parameters were dropped before fetching
    assert story2[1] == "fx-rss" and story2[2] == "200"
    assert story2[3] == (FIXTURES / "web" / "pages" / "story-2.html").read_bytes()


def test_user_agent_names_project_and_contact(tmp_path):
    from core.config import DataDir
    from crawler.run import crawl_settings

    settings = crawl_settings(DataDir(tmp_path), {"INCIDENTS_CONTACT": "analyst@example.org"})
    agent = settings.get("USER_AGENT")
    assert agent.startswith("incident-tracker/") and "analyst@example.org" in agent
    assert "http" not in agent
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert settings.getint("DOWNLOAD_MAXSIZE") > 0 and settings.getint("DOWNLOAD_TIMEOUT") > 0


def test_scrapy_list_and_crawl_work_from_the_repo_root(fixture_web, tmp_path):
    scrapy = [sys.executable, "-m", "scrapy"]
    listed = subprocess.run([*scrapy, "list"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert {"feed", "sitemap"} <= set(listed.stdout.split())
    sources = write_sources(
        tmp_path / "s.toml",
        [
            {
                "name": "fx-atom",
                "kind": "feed",
                "url": f"{fixture_web}/feeds/atom.xml",
                "publisher": "Fixture",
            },
        ],
    )
    ran = subprocess.run(
        [
            *scrapy,
            "crawl",
            "feed",
            "-a",
            f"sources={sources}",
            "-s",
            f"INCIDENTS_DATA_DIR={tmp_path / 'd'}",
            *FAST_CRAWL,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert stored_paths(tmp_path / "d") == ["pages/story-1.html", "pages/story-4.html"]


def test_interrupted_crawl_loses_nothing_and_resumes(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    links = []
    for i in range(30):
        (site / "a" / f"p{i}.html").write_text(f"<html><body><p>page {i}</p></body></html>")
        links.append(f"<item><title>p{i}</title><link>__BASE_URL__/a/p{i}.html</link></item>")
    (site / "feed.xml").write_text(
        f'<rss version="2.0"><channel><title>t</title>{"".join(links)}</channel></rss>'
    )
    data_dir = tmp_path / "d"
    with serve(site, delay=0.2) as base:
        sources = write_sources(
            tmp_path / "s.toml",
            [
                {"name": "slow", "kind": "feed", "url": f"{base}/feed.xml", "publisher": "Slow"},
            ],
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
            *FAST_CRAWL,
            "-s",
            "CONCURRENT_REQUESTS=1",
        ]
        first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        index = data_dir / "raw" / "index.sqlite"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if index.exists() and _count(index) >= 5:
                break
            time.sleep(0.1)
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
        interrupted = stored_paths(data_dir)
        assert 5 <= len(interrupted) < 30
        resumed = run_cli(*command[3:], "--resume", "-s", "PROGRESS_INTERVAL=0.5")
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert "progress: fetched" in resumed.stderr and "stored" in resumed.stderr
    final = stored_paths(data_dir)
    assert final == sorted(f"a/p{i}.html" for i in range(30))
    assert set(interrupted) <= set(final)
    with RawStore(data_dir / "raw") as store:
        assert store.count() == 30  # nothing stored twice


def _count(index: Path) -> int:
    try:
        with sqlite3.connect(index, timeout=1) as db:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0
