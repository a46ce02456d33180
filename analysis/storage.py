"""Writing and reading D/dataset/ atomically.

A build writes every table into a fresh sibling directory (D/dataset.staging-<id>/), then
swaps it in with two renames: D/dataset → D/dataset.previous-<id>, staging → D/dataset.
A build killed before the swap leaves the old dataset untouched (the stale staging directory
is removed by the next build); one killed between the two renames leaves the old dataset
under .previous-*, which readers fall back to and the next build puts back.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.schema import SCHEMAS

log = logging.getLogger(__name__)
TABLES = ("incidents", "articles", "mentions", "statements", "redirects")
ROWS_PER_FILE = 50_000


def _siblings(dataset: Path, marker: str) -> list[Path]:
    return sorted(dataset.parent.glob(f"{dataset.name}.{marker}-*"))


def recover(dataset: Path) -> None:
    """Restore a dataset left aside by a swap that was interrupted between its two renames."""
    dataset = Path(dataset)
    previous = _siblings(dataset, "previous")
    if not dataset.exists() and previous:
        newest = max(previous, key=lambda p: p.stat().st_mtime)
        newest.rename(dataset)
        log.warning("restored %s from interrupted swap %s", dataset, newest.name)


def clean_stale(dataset: Path) -> None:
    """Remove leftovers of interrupted builds (never the live dataset)."""
    recover(dataset)
    for leftover in _siblings(dataset, "staging") + _siblings(dataset, "previous"):
        shutil.rmtree(leftover, ignore_errors=True)


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


def write_dataset(dataset: Path, tables: dict[str, pa.Table], card: dict, readme: str) -> None:
    """Write all tables and the card to staging, then swap them in as D/dataset."""
    dataset = Path(dataset)
    dataset.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(dataset)
    token = uuid.uuid4().hex[:8]
    staging = dataset.parent / f"{dataset.name}.staging-{token}"
    staging.mkdir()
    try:
        for name in TABLES:
            write_table(staging, name, tables[name])
        (staging / "dataset.json").write_text(json.dumps(card, indent=2, default=str) + "\n")
        (staging / "README.md").write_text(readme)
        previous = dataset.parent / f"{dataset.name}.previous-{token}"
        if dataset.exists():
            dataset.rename(previous)
        staging.rename(dataset)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def live(dataset: Path) -> Path:
    """The readable dataset directory: D/dataset, or the copy an interrupted swap left aside."""
    dataset = Path(dataset)
    previous = _siblings(dataset, "previous")
    if dataset.exists() or not previous:
        return dataset
    return max(previous, key=lambda p: p.stat().st_mtime)


def table_path(dataset: Path, name: str) -> Path:
    return live(dataset) / name


def read_table(dataset: Path, name: str) -> pa.Table:
    """One table with its declared schema (an empty table when the directory has no rows)."""
    folder = table_path(dataset, name)
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        return SCHEMAS[name].empty_table()
    return pa.concat_tables(pq.read_table(part, schema=SCHEMAS[name]) for part in parts)


def read_frame(dataset: Path, name: str) -> pd.DataFrame:
    return read_table(dataset, name).to_pandas()


def read_card(dataset: Path) -> dict:
    path = live(dataset) / "dataset.json"
    return json.loads(path.read_text()) if path.is_file() else {}
