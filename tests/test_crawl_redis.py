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
