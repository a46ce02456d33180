"""`incidents watch`: crawl what is new, extract it, build incrementally; again and again.

Each cycle holds the data directory's lock (core.locks) from the crawl to the dataset swap,
and releases it while it sleeps, so a query, an export or a one-off build can run between
cycles. The crawl of a cycle runs in a child process (`python -m crawler.run`): Twisted's
reactor cannot be restarted in one process, and a fresh process per crawl gives its memory
back and keeps a crashed crawl from taking the watch down; the spaCy pipeline stays loaded in
the watch process from cycle to cycle. What is new: feeds and sitemaps are re-read with
conditional GETs (crawler.middlewares.ConditionalListingMiddleware) and pages already stored
are not fetched again (SourceSpider.article_request).

Ctrl-C or SIGTERM finishes the current step (the crawl stops as Scrapy does on Ctrl-C, the
extract after its current batch, a build always completes) and ends the watch. Every cycle
appends one JSON line to D/watch/cycles.jsonl, read by `incidents status`.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import storage
from analysis.build import build_dataset
from core.config import DataDir
from core.locks import data_dir_lock
from pipelines.extract import Analyze, run_extract

log = logging.getLogger(__name__)
CYCLES_FILE = "cycles.jsonl"


class Stopper:
    """Turns SIGINT / SIGTERM into a request to stop after the current step; forwards one
    SIGINT to a running crawl child (its own process group, so a terminal's Ctrl-C reaches it
    once, through us). A second signal while stopping interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.child: subprocess.Popen | None = None
        self._previous: dict[int, Any] = {}

    @property
    def stopping(self) -> bool:
        return self.event.is_set()

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: object) -> None:
        if self.stopping:
            raise KeyboardInterrupt
        log.warning("%s: finishing the current step, then stopping", signal.Signals(signum).name)
        self.event.set()
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGINT)

    def sleep(self, seconds: float) -> None:
        self.event.wait(max(0.0, seconds))


def parse_every(text: str) -> float:
    """Seconds from "90", "90s", "15m", "1h" or "1d"."""
    value = str(text).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    factor = units.get(value[-1:], None)
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise ValueError(f"--every expects seconds or a duration like 90, 15m, 1h; got {text!r}") from None
    if seconds <= 0:
        raise ValueError(f"--every must be positive, got {text!r}")
    return seconds


@dataclass
class WatchOptions:
    sources_file: Path
    every_seconds: float
    cycles: int | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    redis_url: str | None = None


def crawl_in_child(
    options: WatchOptions, data_dir: DataDir, stopper: Stopper | None = None
) -> dict[str, Any]:
    """One crawl in a fresh process; its per-source report."""
    data_dir.watch.mkdir(parents=True, exist_ok=True)
    result = data_dir.watch / "last-crawl.json"
    result.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "crawler.run",
        "--sources", str(options.sources_file), "--data-dir", str(data_dir.root), "--result", str(result),
    ]  # fmt: skip
    if options.redis_url:
        command += ["--redis", options.redis_url]
    for name, value in options.overrides.items():
        command += ["-s", f"{name}={value}"]
    child = subprocess.Popen(command, start_new_session=True)
    if stopper is not None:
        stopper.child = child
    try:
        code = child.wait()
    finally:
        if stopper is not None:
            stopper.child = None
    if code != 0 or not result.is_file():
        raise RuntimeError(f"the crawl exited with status {code}; see its log above")
    return json.loads(result.read_text(encoding="utf-8"))


def _dataset_ids(data_dir: DataDir) -> set[str]:
    try:
        table = storage.read_table(data_dir.dataset, "articles", ["article_id"])
    except (OSError, KeyError, ValueError):
        return set()
    return set(table.column("article_id").to_pylist())


_NEW_ROW_COLUMNS = ["article_id", "source", "published_at", "fetched_at", "parse_error", "analysis_error"]
_NO_ROWS = pd.DataFrame({name: pd.Series(dtype=object) for name in _NEW_ROW_COLUMNS})


def _new_rows(data_dir: DataDir, before: set[str]) -> pd.DataFrame:
    columns = _NEW_ROW_COLUMNS
    frame = storage.read_table(data_dir.dataset, "articles", columns).to_pandas()
    return frame[~frame["article_id"].isin(before)]


def lag_minutes(rows: pd.DataFrame, in_dataset_at: datetime, watching_since: datetime) -> list[float]:
    """Minutes from publication (or, undated, from the fetch: the article's first appearance
    in its feed) to the dataset, for the articles published since the watch started; older
    ones are a first crawl's backfill, not news we were late on."""
    appeared = rows["published_at"].where(rows["published_at"].notna(), rows["fetched_at"])
    appeared = pd.to_datetime(appeared, utc=True)
    recent = appeared[appeared >= pd.Timestamp(watching_since)]
    minutes = (pd.Timestamp(in_dataset_at) - recent).dt.total_seconds() / 60
    return [round(max(0.0, m), 2) for m in minutes.tolist()]


def _per_source(crawl: dict[str, Any], new_rows: pd.DataFrame) -> dict[str, dict[str, Any]]:
    sources: dict[str, dict[str, Any]] = {}
    for name, entry in crawl.get("per_source", {}).items():
        sources[name] = {
            "listed": entry.get("listed", 0),
            "stored": entry.get("stored", 0),
            "crawl_failed": entry.get("failed", 0),
            "failed_reasons": entry.get("failed_reasons", {}),
            "new_articles": 0,
            "extract_errors": 0,
        }
    for name, group in new_rows.groupby(new_rows["source"].astype(str)):
        entry = sources.setdefault(
            name, {"listed": 0, "stored": 0, "crawl_failed": 0, "failed_reasons": {}, "new_articles": 0}
        )
        entry["new_articles"] = len(group)
        entry["extract_errors"] = int((group["parse_error"].notna() | group["analysis_error"].notna()).sum())
    for entry in sources.values():
        entry["errors"] = entry["crawl_failed"] + entry.get("extract_errors", 0)
    return sources


def read_cycles(data_dir: DataDir) -> list[dict[str, Any]]:
    """Every recorded cycle, oldest first (a torn last line, from a kill mid-write, is skipped)."""
    path = data_dir.watch / CYCLES_FILE
    cycles = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                cycles.append(json.loads(line))
            except ValueError:
                log.warning("skipped an unreadable line in %s", path)
    return cycles


def _append(data_dir: DataDir, record: dict[str, Any]) -> None:
    data_dir.watch.mkdir(parents=True, exist_ok=True)
    with open(data_dir.watch / CYCLES_FILE, "a", encoding="utf-8") as out:
        out.write(json.dumps(record, default=str) + "\n")


def _now() -> datetime:
    return datetime.now(UTC)


def run_cycle(
    options: WatchOptions,
    data_dir: DataDir,
    analyze: Analyze | None,
    extractor_version: str,
    number: int,
    watching_since: datetime,
    stopper: Stopper | None = None,
    crawl: Callable[..., dict[str, Any]] = crawl_in_child,
) -> dict[str, Any]:
    """Crawl, extract, build once, under the data dir's lock; the cycle's record."""
    stopped = (lambda: stopper.stopping) if stopper is not None else (lambda: False)
    record: dict[str, Any] = {"cycle": number, "started_at": _now().isoformat(), "steps": []}
    with data_dir_lock(data_dir, "incidents watch", wait=True):
        try:
            report = crawl(options, data_dir, stopper)
            record["steps"].append("crawl")
            record["crawl"] = report.get("finish_reasons", {})
            if stopped():
                raise _Stopped
            summary = run_extract(data_dir, analyze, extractor_version=extractor_version, stop=stopped)
            record["steps"].append("extract")
            record["extract"] = {
                "pages": summary.pages,
                "parse_errors": summary.parse_errors,
                "analysis_errors": summary.analysis_errors,
                "incidents": summary.incidents,
            }
            if stopped():
                raise _Stopped
            before = _dataset_ids(data_dir)
            built = build_dataset(data_dir)
            record["steps"].append("build")
            finished = _now()
            # A build with nothing new read and wrote nothing: neither does the cycle.
            new_rows = _new_rows(data_dir, before) if built.mode != "unchanged" else _NO_ROWS
            record["build"] = {
                "mode": built.mode,
                "seconds": round(built.seconds, 2),
                "articles": built.articles,
                "incidents": built.incidents,
                "new_articles": len(new_rows),
            }
            record["lag_minutes"] = lag_minutes(new_rows, finished, watching_since)
            record["sources"] = _per_source(report, new_rows)
        except _Stopped:
            record["interrupted"] = True
        except KeyboardInterrupt:
            record["interrupted"] = True
            raise
        except Exception as exc:  # one failed cycle is recorded; the next one tries again
            log.exception("watch cycle %s failed", number)
            record["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            record["finished_at"] = _now().isoformat()
            _append(data_dir, record)
    return record


class _Stopped(Exception):
    """A stop was requested: the cycle ends after the step that just finished."""


def watch(
    options: WatchOptions,
    data_dir: DataDir,
    analyze: Analyze | None,
    extractor_version: str,
    *,
    on_cycle: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Cycles until stopped (Ctrl-C, SIGTERM) or until `options.cycles` have run."""
    stopper = Stopper()
    stopper.install()
    earlier = read_cycles(data_dir)
    watching_since = (
        datetime.fromisoformat(earlier[0]["started_at"]) if earlier else _now()
    )  # the first watch of this data dir
    number = earlier[-1]["cycle"] if earlier else 0
    records = []
    try:
        while not stopper.stopping:
            number += 1
            started = time.monotonic()
            record = run_cycle(options, data_dir, analyze, extractor_version, number, watching_since, stopper)
            records.append(record)
            if on_cycle is not None:
                on_cycle(record)
            if options.cycles is not None and len(records) >= options.cycles:
                break
            stopper.sleep(options.every_seconds - (time.monotonic() - started))
    finally:
        stopper.restore()
    return records
