"""`incidents build`: extracted articles → the dataset tables under D/dataset/.

The build is a pure function of the extracted articles (and the gazetteers): a full build
computes every table from all of them; an incremental one (analysis.incremental) patches the
previous dataset with the parts extracted since, and gives exactly the tables a full build
gives. Only the `redirects` table carries history (old incident IDs that moved, see
analysis.cluster).
"""

from __future__ import annotations

import gc
import logging
import os
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from analysis import build_state, storage
from analysis.card import card_readme, dataset_card
from analysis.cluster import FEATURES, Assignment, assign_incidents
from analysis.incremental import Patch, added_parts, patch
from analysis.prepare import is_candidate, prepare_articles, with_features
from analysis.schema import to_arrow, validate
from analysis.tables import (
    aggregate_incidents,
    article_table,
    build_mentions,
    build_redirects,
    build_statements,
    empty_incidents,
    rows_of_incidents,
    statement_counts,
    with_assignment,
)
from core.config import GAZETTEERS, REPO_DATA, DataDir
from core.gazetteers import AGENCY, THREAT_ACTOR, AliasIndex, alias_index
from pipelines.extracted import read_table as read_extracted_table

log = logging.getLogger(__name__)
BUILD_SETTINGS = REPO_DATA / "build.toml"


@dataclass(frozen=True)
class BuildSummary:
    articles: int
    incident_articles: int
    incidents: int
    mentions: int
    statements: int
    redirects: int
    seconds: float
    dataset: Path
    mode: str = "full"  # or "incremental", or "unchanged" (nothing to build: nothing written)


def build_incidents(
    frame: pd.DataFrame, aliases: AliasIndex | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, Assignment]:
    """(articles with incident_id/story_id, incidents, the assignment) from prepared articles
    (with the FEATURES columns, or their texts and titles)."""
    columns = ["article_id", "date", "victims", "incident_types"]
    columns += [c for c in FEATURES if c in frame]
    if not set(FEATURES) <= set(frame):  # computed from the texts by the clustering
        columns += ["text", "title"]
    assignment = assign_incidents(frame.loc[is_candidate(frame), columns], aliases)
    frame = with_assignment(frame, assignment.frame)
    rows = rows_of_incidents(frame)
    incidents = aggregate_incidents(rows, assignment.victim_key) if len(rows) else empty_incidents()
    return frame, incidents, assignment


@contextmanager
def _without_collector_pauses() -> Iterator[None]:
    """The cyclic garbage collector paused: a build allocates millions of small lists and
    dicts (cells of list columns), each batch of which would run the collector over all the
    earlier ones (a fifth of a build's CPU time); a build makes no reference cycles worth
    collecting on the way, and the collector runs again as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _memory_pool(settings: Path = BUILD_SETTINGS) -> Iterator[None]:
    """Arrow allocates from the pool data/build.toml names while the build runs (unless the
    environment chose one), then from the one it used before."""
    name = tomllib.loads(settings.read_text(encoding="utf-8"))["arrow_memory_pool"]
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = getattr(pa, f"{name}_memory_pool")()
    except (AttributeError, NotImplementedError):
        log.info("Arrow memory pool %r is not available: the default one is used", name)
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def build_dataset(
    data_dir: DataDir | str | Path | None = None,
    gazetteers: Path = GAZETTEERS,
    *,
    allow_shrink: bool = False,
    incremental: bool = True,
) -> BuildSummary:
    """Build every table of D/dataset/ from D/extracted/, validated, swapped in atomically.

    Raises storage.DatasetShrinks (the published dataset kept) when the new one would drop too
    many of its articles, unless `allow_shrink`. Incremental by default: with the state the
    previous build left beside the dataset, only the parts extracted since are read and the
    previous tables patched (analysis.incremental); the tables equal those of a full build
    (`incremental=False`). When no extracted part was added since the last build and its
    settings still hold, nothing is read or written (mode "unchanged")."""
    with _without_collector_pauses(), _memory_pool():
        return _build_dataset(data_dir, gazetteers, allow_shrink=allow_shrink, incremental=incremental)


def _build_dataset(
    data_dir: DataDir | str | Path | None,
    gazetteers: Path,
    *,
    allow_shrink: bool,
    incremental: bool,
) -> BuildSummary:
    """The build itself (build_dataset pauses the garbage collector around it)."""
    started = time.perf_counter()
    data_dir = data_dir if isinstance(data_dir, DataDir) else DataDir.resolve(data_dir)
    meta = build_state.fingerprint(Path(gazetteers))
    parts = build_state.extracted_parts(data_dir.extracted)
    last = build_state.unchanged(data_dir.dataset, meta, parts) if incremental else None
    if last is not None:
        log.info("nothing new or changed since the last build: %s left as it is", data_dir.dataset)
        return BuildSummary(
            **last, seconds=time.perf_counter() - started, dataset=data_dir.dataset, mode="unchanged"
        )
    agencies, actors = alias_index(AGENCY, str(gazetteers)), alias_index(THREAT_ACTOR, str(gazetteers))
    state = build_state.load(data_dir.dataset, meta) if incremental else None
    added = added_parts(state, parts) if state is not None else None
    if state is not None and added is None:
        log.info("an extracted part the last build read is gone or changed: full build")
    result = _incremental_tables(data_dir, state, added, agencies, actors) if added is not None else None
    if result is not None:
        tables, state_rows, assignment, mode = (
            result.tables,
            result.articles,
            result.assignment,
            "incremental",
        )
    else:
        tables, state_rows, assignment = _full_tables(data_dir, agencies, actors)
        mode = "full"
    card = dataset_card(tables, time.perf_counter() - started)
    card["build"] = mode
    counts = {
        "articles": tables["articles"].num_rows,
        "incident_articles": tables["articles"].num_rows
        - tables["articles"].column("incident_id").null_count,
        "incidents": tables["incidents"].num_rows,
        "mentions": tables["mentions"].num_rows,
        "statements": tables["statements"].num_rows,
        "redirects": tables["redirects"].num_rows,
    }
    extra = build_state.tables(state_rows, assignment.victim_key, assignment.pairs, meta, parts, counts)
    storage.write_dataset(
        data_dir.dataset, tables, card, card_readme(card), allow_shrink=allow_shrink, extra=extra
    )
    summary = BuildSummary(
        **counts, seconds=time.perf_counter() - started, dataset=data_dir.dataset, mode=mode
    )
    log.info(
        "built %s incidents from %s articles in %.1f s", summary.incidents, summary.articles, summary.seconds
    )
    return summary


def _incremental_tables(
    data_dir: DataDir,
    state: build_state.BuildState,
    added: list[str],
    agencies: AliasIndex,
    actors: AliasIndex,
) -> Patch | None:
    """The previous dataset patched (analysis.incremental), or None when its tables cannot be
    read (removed or damaged by hand): then the build is a full one."""
    try:
        return patch(data_dir.dataset, data_dir.extracted, state, added, agencies, actors)
    except (OSError, pa.ArrowInvalid) as exc:
        log.warning("the previous dataset's tables are unreadable (%s): full build", exc)
        return None


def _full_tables(
    data_dir: DataDir, agencies: AliasIndex, actors: AliasIndex
) -> tuple[dict[str, pa.Table], pd.DataFrame, Assignment]:
    """(every table, every article's state row, the assignment) from all extracted articles."""
    frame = prepare_articles(read_extracted_table(data_dir.extracted, with_part=True), agencies, actors)
    frame = with_features(frame)
    inputs = frame[list(build_state.PREPARED)]  # before the clustering dates copies
    frame, incidents, assignment = build_incidents(frame, agencies)
    frames = {
        "incidents": incidents,
        "articles": article_table(frame),
        "mentions": build_mentions(frame),
        "statements": build_statements(frame),
    }
    frames["incidents"]["n_statements"] = statement_counts(
        frames["statements"]["incident_id"], incidents["incident_id"]
    )
    frames["redirects"] = build_redirects(
        data_dir.dataset, frames["articles"], set(incidents.get("incident_id", []))
    )
    tables = {}
    for name, table_frame in frames.items():
        validate(name, table_frame)
        tables[name] = to_arrow(name, table_frame)
    return tables, build_state.state_rows(inputs, frame), assignment
