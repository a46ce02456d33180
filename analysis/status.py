"""`incidents status`: what the last watch cycle did, per source, and how far behind the news
the dataset is, from the cycles `incidents watch` recorded in D/watch/cycles.jsonl."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from analysis.watch import read_cycles
from core.config import DataDir


@dataclass
class SourceStatus:
    name: str
    new_articles: int
    errors: int
    last_success: str | None  # when a cycle last crawled it without a failed fetch


@dataclass
class Status:
    cycles: int
    last: dict[str, Any] | None
    sources: list[SourceStatus]
    lag_articles: int
    lag_median_minutes: float | None
    lag_p90_minutes: float | None
    window_hours: float


def watch_status(data_dir: DataDir, window_hours: float = 24.0) -> Status:
    """The last cycle per source; the lag over the articles that reached the dataset in the
    cycles that started within `window_hours` of the last one."""
    cycles = read_cycles(data_dir)
    last = cycles[-1] if cycles else None
    success: dict[str, str] = {}
    for cycle in cycles:
        for name, entry in (cycle.get("sources") or {}).items():
            if not entry.get("crawl_failed") and "error" not in cycle:
                success[name] = cycle.get("finished_at")
    sources = [
        SourceStatus(name, entry.get("new_articles", 0), entry.get("errors", 0), success.get(name))
        for name, entry in sorted(((last or {}).get("sources") or {}).items())
    ]
    lags: list[float] = []
    if last is not None:
        until = datetime.fromisoformat(last["started_at"])
        since = until - timedelta(hours=window_hours)
        for cycle in cycles:
            if datetime.fromisoformat(cycle["started_at"]) >= since:
                lags += cycle.get("lag_minutes") or []
    values = np.asarray(lags, dtype=float)
    return Status(
        cycles=len(cycles),
        last=last,
        sources=sources,
        lag_articles=len(values),
        lag_median_minutes=float(np.median(values)) if len(values) else None,
        lag_p90_minutes=float(np.percentile(values, 90)) if len(values) else None,
        window_hours=window_hours,
    )


def format_status(status: Status) -> str:
    if status.last is None:
        return "no watch cycle recorded yet (run `incidents watch`)"
    last = status.last
    build = last.get("build") or {}
    outcome = (
        f"failed: {last['error']}"
        if last.get("error")
        else "interrupted after " + (", ".join(last.get("steps") or []) or "nothing")
        if last.get("interrupted")
        else f"{build.get('new_articles', 0)} new articles, {build.get('mode', '?')} build "
        f"in {build.get('seconds', 0)} s, {build.get('incidents', 0)} incidents"
    )
    lines = [
        f"last cycle: #{last['cycle']} of {status.cycles}, {last['started_at']} → {last.get('finished_at')}: {outcome}",
        "",
        f"{'source':<28} {'new articles':>12} {'errors':>7}  last success",
    ]
    for source in status.sources:
        lines.append(
            f"{source.name:<28} {source.new_articles:>12} {source.errors:>7}  {source.last_success or 'never'}"
        )
    lines.append("")
    if status.lag_articles:
        lines.append(
            f"lag (publication, or first appearance in its feed, to the dataset; {status.lag_articles} "
            f"articles in the last {status.window_hours:g} h of cycles): median {status.lag_median_minutes:.1f} min, "
            f"90th percentile {status.lag_p90_minutes:.1f} min"
        )
    else:
        lines.append(
            f"lag: no article published since the watch started reached the dataset "
            f"in the last {status.window_hours:g} h of cycles"
        )
    return "\n".join(lines)
