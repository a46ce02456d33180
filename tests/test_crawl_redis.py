"""incidents crawl --redis: two crawl processes share one frontier in a real redis server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from conftest import FAST_CRAWL, REPO

from core.config import SAMPLE_WEB, DataDir
from core.raw_store import RawStore
from sample_web.render import sources_toml
from sample_web.server import serve

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (CI installs it and sets INCIDENTS_REQUIRE_REDIS=1)."""
    if REDIS is None:
        if os.environ.get("INCIDENTS_REQUIRE_REDIS"):
            pytest.fail("redis-server is required (INCIDENTS_REQUIRE_REDIS is set) but not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI requires it")
    import redis

    port = _free_port()
    server = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_two_crawlers_share_one_frontier_and_fetch_each_page_once(tmp_path, redis_url):
    hits: Counter = Counter()
    stores = [DataDir(tmp_path / "machine-a"), DataDir(tmp_path / "machine-b")]
    # A slow site, so both crawlers are busy at once and take pages from the shared queue.
    with serve(SAMPLE_WEB / "web", delay=0.05, hits=hits) as base_url:
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(base_url), encoding="utf-8")
        crawls = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "incidents",
                    "crawl",
                    "--sources",
                    str(sources),
                    "--data-dir",
                    str(d.root),
                    "--redis",
                    redis_url,
                    *FAST_CRAWL,
                    "-s",
                    "LOG_LEVEL=WARNING",
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for d in stores
        ]
        outputs = [crawl.communicate(timeout=300) for crawl in crawls]
        for crawl, (_, err) in zip(crawls, outputs):
            assert crawl.returncode == 0, err[-3000:]
    pages = {path: n for path, n in hits.items() if path.endswith(".html")}
    existing = {path for path in pages if (SAMPLE_WEB / "web" / path.lstrip("/")).is_file()}
    assert len(existing) >= 45
    assert {path: pages[path] for path in existing if pages[path] != 1} == {}  # each page fetched once
    stored = []
    for data_dir in stores:
        with RawStore(data_dir.raw) as store:
            stored.append({page.canonical_url for page in store.pages()})
    assert stored[0] and stored[1], "both crawlers took pages from the shared queue"
    assert not stored[0] & stored[1]
    whole = {url.removeprefix(base_url) for url in stored[0] | stored[1]}
    assert whole == existing  # every page of the site is in one store or the other


def test_an_unreachable_redis_is_a_clear_error(tmp_path):
    from conftest import run_cli

    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml("http://127.0.0.1:9"), encoding="utf-8")
    done = run_cli("crawl", "--sources", str(sources), "--data-dir", str(tmp_path / "d"),
                   "--redis", f"redis://127.0.0.1:{_free_port()}")  # fmt: skip
    assert done.returncode == 2 and "cannot reach redis" in done.stderr


def _news_site(root, pages: list[str]) -> None:
    """A feed and a sitemap listing the same article pages."""
    root.mkdir(parents=True, exist_ok=True)
    for name in pages:
        (root / f"{name}.html").write_text(
            f"<html><head><title>{name}</title></head><body><article><h1>{name}</h1>"
            + f"<p>{name}: a ransomware attack was reported today. </p>" * 5
            + "</article></body></html>",
            encoding="utf-8",
        )
    items = "".join(f"<item><title>{n}</title><link>__BASE_URL__/{n}.html</link></item>" for n in pages)
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    urls = "".join(f"<url><loc>__BASE_URL__/{n}.html</loc></url>" for n in pages)
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        encoding="utf-8",
    )


def test_watch_cycles_on_a_shared_frontier_re_read_the_feed(tmp_path, redis_url):
    """Two `incidents watch --redis` cycles: the fingerprints in redis are for article pages,
    so the second cycle re-reads the feed and the sitemap and fetches only the page published
    in between, and the page whose fetch failed the first time (a failure is forgotten); its
    build adds those articles."""
    from conftest import run_cli, write_sources

    from analysis.watch import read_cycles

    hits: Counter = Counter()
    web = tmp_path / "web"
    _news_site(web, ["first", "second"])
    data = DataDir(tmp_path / "d")
    with serve(web, hits=hits) as base:
        sources = write_sources(
            tmp_path / "sources.toml",
            [
                {"name": "news-feed", "kind": "feed", "url": f"{base}/feed.xml", "publisher": "News"},
                {"name": "news-map", "kind": "sitemap", "url": f"{base}/sitemap.xml", "publisher": "News"},
            ],
        )
        watch = ["watch", "--sources", str(sources), "--data-dir", str(data.root), "--every", "1",
                 "--cycles", "1", "--redis", redis_url, *FAST_CRAWL]  # fmt: skip
        for cycle in range(2):
            if cycle:  # a new article, and the one that failed is there now
                _news_site(web, ["first", "second", "third", "late"])
            else:
                _news_site(web, ["first", "second", "late"])
                (web / "late.html").unlink()
            done = run_cli(*watch)
            assert done.returncode == 0, done.stderr[-3000:]
    first, second = read_cycles(data)
    assert hits["/feed.xml"] == 2 and hits["/sitemap.xml"] == 2
    assert {p: n for p, n in hits.items() if p.endswith(".html")} == {
        "/first.html": 1,
        "/second.html": 1,
        "/third.html": 1,
        "/late.html": 2,
    }
    assert sum(s["stored"] for s in second["sources"].values()) == 2
    assert second["build"]["new_articles"] == 2 and second["build"]["articles"] == 4
