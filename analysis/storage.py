"""Writing and reading D/dataset/ atomically, and never publishing a dataset that loses data.

A build writes every table into a fresh sibling directory of its own
(D/dataset.staging-<pid>-<id>/), then swaps it in with two renames: D/dataset →
D/dataset.previous-<pid>-<id>, staging → D/dataset. A build killed before the swap leaves the
old dataset untouched (its staging directory is removed by a later build, once its pid is
gone); one killed between the two renames leaves the old dataset under .previous-*, which
readers fall back to and the next build puts back. Leftovers of a build still running are
never touched, so two builds at once cannot remove each other's work (the commands also hold
the data directory's lock).

Before the swap, a dataset that drops more than a set share of the published one's articles
(data/publish.toml) is refused unless the build allows it: an extraction that was interrupted
or reset must not silently replace the dataset.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.schema import SCHEMAS
from core.config import REPO_DATA
from core.machine import usable_cores

log = logging.getLogger(__name__)
TABLES = ("incidents", "articles", "mentions", "statements", "redirects")
ROWS_PER_FILE = 50_000


PUBLISH_SETTINGS = REPO_DATA / "publish.toml"


class DatasetShrinks(RuntimeError):
    """A new dataset that would drop too many of the published one's articles; not published."""


def _siblings(dataset: Path, marker: str) -> list[Path]:
    return sorted(dataset.parent.glob(f"{dataset.name}.{marker}-*"))


def _owner_alive(leftover: Path) -> bool:
    """Whether the build that made `leftover` (…-<pid>-<id>) still runs (not this process)."""
    parts = leftover.name.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False  # an older layout without a pid: stale
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(dataset: Path) -> None:
    """Restore a dataset left aside by a swap that was interrupted between its two renames."""
    dataset = Path(dataset)
    previous = [p for p in _siblings(dataset, "previous") if not _owner_alive(p)]
    if not dataset.exists() and previous:
        newest = max(previous, key=lambda p: p.stat().st_mtime)
        newest.rename(dataset)
        log.warning("restored %s from interrupted swap %s", dataset, newest.name)


def clean_stale(dataset: Path) -> None:
    """Remove leftovers of interrupted builds (never the live dataset, nor a running build's)."""
    recover(dataset)
    for leftover in _siblings(dataset, "staging") + _siblings(dataset, "previous"):
        if not _owner_alive(leftover):
            shutil.rmtree(leftover, ignore_errors=True)


def max_article_drop(path: Path = PUBLISH_SETTINGS) -> float:
    """The share of the published dataset's articles a new build may drop (data/publish.toml)."""
    return float(tomllib.loads(path.read_text(encoding="utf-8"))["max_article_drop"])


def shrink_problem(dataset: Path, articles: pa.Table, max_drop: float) -> str | None:
    """Why publishing `articles` would lose too much of the published dataset, or None."""
    parts = sorted(table_path(dataset, "articles").glob("*.parquet"))
    if not parts:
        return None
    ids = pa.concat_tables(pq.read_table(p, columns=["article_id"]) for p in parts)["article_id"]
    published = pc.unique(ids)
    if not len(published):
        return None
    dropped = pc.sum(pc.invert(pc.is_in(published, articles.column("article_id").unique()))).as_py() or 0
    if dropped / len(published) <= max_drop:
        return None
    return (
        f"not published: the new dataset drops {dropped} of the {len(published)} articles of the "
        f"published one ({dropped / len(published):.0%}, more than the {max_drop:.0%} allowed in "
        f"{PUBLISH_SETTINGS.name}); the extracted articles are missing or were reset (an "
        "interrupted `incidents extract --all`?). The published dataset is kept; if the drop is "
        "intended, build again with --allow-shrink"
    )


def write_table(folder: Path, name: str, table: pa.Table) -> None:
    """One table as a parquet dataset directory: part-00000.parquet, part-00001.parquet..."""
    target = folder / name
    target.mkdir(parents=True)
    table = table.cast(SCHEMAS[name])
    for index, start in enumerate(range(0, max(table.num_rows, 1), ROWS_PER_FILE)):
        pq.write_table(
            table.slice(start, ROWS_PER_FILE),
            target / f"part-{index:05d}.parquet",
            compression="zstd",
            row_group_size=ROWS_PER_FILE,
        )


def write_dataset(
    dataset: Path,
    tables: dict[str, pa.Table],
    card: dict,
    readme: str,
    *,
    allow_shrink: bool = False,
    extra: dict | None = None,
) -> None:
    """Write all tables and the card to staging, then swap them in as D/dataset.

    Raises DatasetShrinks (nothing written) when the new articles table drops more than
    `max_article_drop()` of the published one's, unless `allow_shrink`. `extra`: more files
    that must swap in with the tables (the build's state), relative path → a pyarrow table
    (written as parquet) or text."""
    dataset = Path(dataset)
    dataset.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(dataset)
    if not allow_shrink:
        problem = shrink_problem(dataset, tables["articles"], max_article_drop())
        if problem:
            raise DatasetShrinks(problem)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging = dataset.parent / f"{dataset.name}.staging-{token}"
    staging.mkdir()
    previous = dataset.parent / f"{dataset.name}.previous-{token}"
    try:
        _write_files(staging, tables, extra or {})
        (staging / "dataset.json").write_text(json.dumps(card, indent=2, default=str) + "\n")
        (staging / "README.md").write_text(readme)
        if dataset.exists():
            dataset.rename(previous)
        staging.rename(dataset)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not dataset.exists():
            previous.rename(dataset)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _write_files(staging: Path, tables: dict[str, pa.Table], extra: dict) -> None:
    """The tables and the extra files, written by a few threads at once (Arrow encodes and
    compresses without holding the GIL). Every write has ended when this returns or raises
    (the first failure), so a failed build's staging directory can be removed whole."""

    def extra_file(relative: str, content: object) -> None:
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pa.Table):
            pq.write_table(content, path, compression="zstd")
        else:
            path.write_text(str(content), encoding="utf-8")

    with ThreadPoolExecutor(max_workers=min(4, usable_cores())) as pool:
        futures = [pool.submit(write_table, staging, name, tables[name]) for name in TABLES]
        futures += [pool.submit(extra_file, relative, content) for relative, content in extra.items()]
        wait(futures)
    for future in futures:
        future.result()


def live(dataset: Path) -> Path:
    """The readable dataset directory: D/dataset, or the copy an interrupted swap left aside."""
    dataset = Path(dataset)
    previous = _siblings(dataset, "previous")
    if dataset.exists() or not previous:
        return dataset
    return max(previous, key=lambda p: p.stat().st_mtime)


def table_path(dataset: Path, name: str) -> Path:
    return live(dataset) / name


def read_table(dataset: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """One table (or some of its `columns`) with its declared schema (an empty table when the
    directory has no rows)."""
    folder = table_path(dataset, name)
    parts = sorted(folder.glob("*.parquet"))
    schema = SCHEMAS[name] if columns is None else pa.schema([SCHEMAS[name].field(c) for c in columns])
    if not parts:
        return schema.empty_table()
    return pa.concat_tables(pq.read_table(part, schema=schema, columns=columns) for part in parts)


def read_frame(dataset: Path, name: str) -> pd.DataFrame:
    return read_table(dataset, name).to_pandas()


def read_card(dataset: Path) -> dict:
    path = live(dataset) / "dataset.json"
    return json.loads(path.read_text()) if path.is_file() else {}
