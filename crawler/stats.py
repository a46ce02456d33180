"""Per-source crawl counters, kept in Scrapy's stats collector under one naming scheme."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

PREFIX = "incidents/source"
OUTCOMES = ("listed", "fetched", "stored", "skipped", "failed", "drift")


def source_key(source: str, outcome: str, reason: str | None = None) -> str:
    """outcome is one of OUTCOMES; skipped, failed and drift (a source that changed shape
    but could still be read) carry a reason."""
    key = f"{PREFIX}/{source}/{outcome}"
    return f"{key}/{reason}" if reason else key


FIRST_ERROR = "incidents/first_error"


def note_first_error(stats, source: str, message: str) -> None:
    """Keep the first failure of a source (what the crawl summary shows beside its counts)."""
    key = f"{FIRST_ERROR}/{source}"
    if stats.get_value(key) is None:
        stats.set_value(key, " ".join(message.split())[:300])


def per_source(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Fold the flat stats back into {source: {outcome: n, "skipped_reasons": {...}, ...}}."""
    report: dict[str, dict[str, Any]] = defaultdict(
        lambda: {**{o: 0 for o in OUTCOMES}, "skipped_reasons": {}, "failed_reasons": {}, "drift_reasons": {}}
    )
    for key, value in stats.items():
        if key.startswith(FIRST_ERROR + "/"):
            report[key[len(FIRST_ERROR) + 1 :]]["first_error"] = value
            continue
        if not key.startswith(PREFIX + "/"):
            continue
        source, outcome, *reason = key[len(PREFIX) + 1 :].split("/", 2)
        entry = report[source]
        if reason:
            entry[f"{outcome}_reasons"][reason[0]] = value
            entry[outcome] += value
        else:
            entry[outcome] += value
    return dict(report)


def totals(stats: Mapping[str, Any]) -> dict[str, int]:
    summed = {o: 0 for o in OUTCOMES}
    for entry in per_source(stats).values():
        for outcome in OUTCOMES:
            summed[outcome] += entry[outcome]
    return summed
