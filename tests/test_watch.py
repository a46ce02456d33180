"""incidents watch and status: repeated cycles over a served copy of the sample web."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from conftest import FAST_CRAWL, REPO, run_cli

from analysis import load_dataset
from analysis.watch import lag_minutes, parse_every, read_cycles
from core.config import SAMPLE_WEB, DataDir
from core.raw_store import RawStore
from sample_web.render import sources_toml
from sample_web.server import serve

QUIET = [*FAST_CRAWL, "-s", "LOG_LEVEL=WARNING"]
ROYAL_MAIL = "packetledger/2023/01/royal-mail-export-disruption.html"


def test_every_takes_seconds_or_durations():
    assert [parse_every(v) for v in ("1", "90", "90s", "15m", "1h")] == [1, 90, 90, 900, 3600]
    for bad in ("soon", "-5", "0"):
        with pytest.raises(ValueError):
            parse_every(bad)


def test_lag_counts_only_news_published_since_the_watch_started():
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    rows = pd.DataFrame(
        {
            "published_at": pd.to_datetime(["2026-01-01T12:10Z", "2020-01-01T00:00Z", None], utc=True),
            "fetched_at": pd.to_datetime(
                ["2026-01-01T12:20Z", "2026-01-01T12:20Z", "2026-01-01T12:25Z"], utc=True
            ),
        }
    )
    assert lag_minutes(rows, start + timedelta(minutes=30), start) == [20.0, 5.0]


def _publish_new_story(web, when: datetime) -> str:
    """A new article on the packetledger outlet, published at `when`, listed first in its feed."""
    published = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    page = (web / ROYAL_MAIL).read_text(encoding="utf-8").replace("2023-01-12T09:30:00+00:00", published)
    page = page.replace("Royal Mail", "Royal Mail Group").replace(
        "royal-mail-export-disruption", "royal-mail-follow-up"
    )
    path = "packetledger/2026/12/royal-mail-follow-up.html"
    (web / path).parent.mkdir(parents=True, exist_ok=True)
    (web / path).write_text(page, encoding="utf-8")
    feed = web / "packetledger" / "feed.xml"
    item = (
        f"<item><title>Royal Mail follow-up</title><link>__BASE_URL__/{path}</link>"
        f'<guid isPermaLink="false">royal-mail-follow-up</guid><pubDate>{published}</pubDate></item>'
    )
    feed.write_text(
        feed.read_text(encoding="utf-8").replace(
            "<language>en</language>", "<language>en</language>" + item, 1
        )
    )
    return "/" + path


def test_watch_cycles_fetch_only_what_changed_and_status_prints_the_lag(tmp_path):
    web = tmp_path / "web"
    shutil.copytree(SAMPLE_WEB / "web", web)
    data_dir = DataDir(tmp_path / "d")
    hits: Counter = Counter()
    with serve(web, hits=hits) as base_url:
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(base_url), encoding="utf-8")
        watch = ["watch", "--sources", str(sources), "--data-dir", str(data_dir.root), "--every", "1", *QUIET]
        done = run_cli(*watch, "--cycles", "2")
        assert done.returncode == 0, done.stderr[-3000:]
        first, second = read_cycles(data_dir)
        pages = [path for path in hits if path.endswith(".html")]
        again = {path for path in pages if hits[path] > 1}
        assert len(pages) > 40 and all(not (web / path.lstrip("/")).exists() for path in again)
        # the second cycle fetched no stored page again, only a page that failed (a 404) is retried
        assert sum(s["stored"] for s in second["sources"].values()) == 0
        # nothing new was extracted: the build had nothing to do and left the dataset as it was
        assert second["build"]["new_articles"] == 0 and second["build"]["mode"] == "unchanged"
        articles = load_dataset(data_dir)["articles"]
        assert articles["article_id"].is_unique and articles["url"].is_unique
        assert len(articles) == first["build"]["new_articles"]

        # News published while the watch runs (older articles are the first cycle's backfill).
        published = datetime.fromisoformat(first["started_at"]).replace(microsecond=0) + timedelta(seconds=1)
        new_page = _publish_new_story(web, published)
        done = run_cli(*watch, "--cycles", "1")
        assert done.returncode == 0, done.stderr[-3000:]
    third = read_cycles(data_dir)[-1]
    assert third["cycle"] == 3 and hits[new_page] == 1
    assert third["sources"]["packetledger"]["new_articles"] == 1
    assert sum(s["stored"] for s in third["sources"].values()) == 1
    expected = (datetime.fromisoformat(third["finished_at"]) - published).total_seconds() / 60
    assert (
        len(third["lag_minutes"]) == 1 and 0 < third["lag_minutes"][0] <= expected + 0.01
    )  # rounded to 0.01 min
    after = load_dataset(data_dir)["articles"]
    assert len(after) == len(articles) + 1 and after["article_id"].is_unique

    status = run_cli("status", "--data-dir", str(data_dir.root))
    assert status.returncode == 0, status.stderr
    assert "last cycle: #3 of 3" in status.stdout
    lag = f"{third['lag_minutes'][0]:.1f} min"
    assert (
        "1 articles" in status.stdout
        and f"median {lag}" in status.stdout
        and f"percentile {lag}" in status.stdout
    )
    line = next(line for line in status.stdout.splitlines() if line.startswith("packetledger"))
    assert line.split()[1:3] == ["1", "0"]  # one new article, no error
    json.dumps(third)  # the record is plain JSON


def test_status_without_cycles_says_so(tmp_path):
    done = run_cli("status", "--data-dir", str(tmp_path))
    assert done.returncode == 0 and "no watch cycle" in done.stdout


def test_sigterm_finishes_the_current_step_and_stops(tmp_path):
    data_dir = DataDir(tmp_path / "d")
    with serve(SAMPLE_WEB / "web", delay=0.5) as base_url:
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(base_url), encoding="utf-8")
        watch = subprocess.Popen(
            [sys.executable, "-m", "incidents", "watch", "--sources", str(sources), "--data-dir",
             str(data_dir.root), "--every", "1h", *QUIET],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and watch.poll() is None:
            if (data_dir.raw / "index.sqlite").exists():
                with RawStore(data_dir.raw) as store:
                    if store.count():
                        break
            time.sleep(0.2)
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=120)
    assert watch.returncode == 0, err[-3000:]
    (cycle,) = read_cycles(data_dir)
    assert cycle["interrupted"] and cycle["steps"] == ["crawl"]  # stopped after the crawl step
    with RawStore(data_dir.raw) as store:
        stored = store.count()
    assert 0 < stored < 50  # the crawl stopped early, keeping what it had stored
    done = run_cli("extract", "--data-dir", str(data_dir.root), "--no-analysis")
    assert done.returncode == 0, done.stderr  # the lock was released
