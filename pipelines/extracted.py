"""The extracted-articles store: parquet parts under D/extracted/articles/, one per batch.

A full re-extraction writes its parts beside the old ones (D/extracted/articles.rebuild-*/)
and swaps them in only when it has finished, so an interrupted one loses nothing: the old
parts stay where they were, and a kill between the swap's two renames leaves them under
articles.old-*, which readers fall back to and the next rebuild puts back.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.extracted_schema import EXTRACTED_ARTICLE


def articles_dir(extracted_root: Path) -> Path:
    return Path(extracted_root) / "articles"


def _aside(extracted_root: Path, marker: str) -> list[Path]:
    return sorted(Path(extracted_root).glob(f"articles.{marker}-*"))


def live_articles_dir(extracted_root: Path) -> Path:
    """The parts to read: D/extracted/articles, or the old parts an interrupted swap left aside."""
    folder = articles_dir(extracted_root)
    old = _aside(extracted_root, "old")
    return folder if folder.exists() or not old else old[-1]


def begin_rebuild(extracted_root: Path) -> Path:
    """A fresh folder for a full re-extraction's parts; leftovers of interrupted ones go."""
    folder = articles_dir(extracted_root)
    for old in _aside(extracted_root, "old"):
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(folder)
    for leftover in _aside(extracted_root, "rebuild"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(extracted_root) / f"articles.rebuild-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    return staging


def finish_rebuild(extracted_root: Path, staging: Path) -> None:
    """Swap a finished re-extraction's parts in for the old ones."""
    folder = articles_dir(extracted_root)
    old = Path(extracted_root) / f"articles.old-{staging.name.split('-', 1)[1]}"
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def write_batch(extracted_root: Path, rows: Iterable[dict], folder: Path | None = None) -> Path | None:
    """Append one part (to `folder`, a rebuild's, when given); rows are dicts with
    EXTRACTED_ARTICLE's columns (missing ones null)."""
    rows = list(rows)
    if not rows:
        return None
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in EXTRACTED_ARTICLE.names} for row in rows],
        schema=EXTRACTED_ARTICLE,
    )
    folder = folder or articles_dir(extracted_root)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    final = folder / f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    staging = final.with_suffix(".parquet.tmp")
    pq.write_table(table, staging, compression="zstd")
    staging.replace(final)
    return final


def read_table(extracted_root: Path, with_part: bool = False) -> pa.Table:
    """All extracted articles; when a page was extracted more than once, the latest row wins.

    `with_part` adds a `part` column: the file each row came from (parts are never rewritten,
    so a build can tell which articles changed since it last ran)."""
    parts = sorted(path.name for path in live_articles_dir(extracted_root).glob("part-*.parquet"))
    table = read_parts(extracted_root, parts)
    return table if with_part else table.drop_columns(["part"])


def read_parts(extracted_root: Path, names: list[str], columns: list[str] | None = None) -> pa.Table:
    """The rows of some parts (in the order given; a later row of an article wins over an
    earlier one), with a `part` column naming the file of each; only `columns` when given."""
    folder = live_articles_dir(extracted_root)
    schema = (
        EXTRACTED_ARTICLE if columns is None else pa.schema([EXTRACTED_ARTICLE.field(c) for c in columns])
    )
    tables = [schema.empty_table().append_column("part", pa.array([], pa.string()))]
    for name in names:
        table = pq.read_table(folder / name, schema=schema, columns=columns)
        tables.append(table.append_column("part", pa.array([name] * table.num_rows, pa.string())))
    table = pa.concat_tables(tables)
    last: dict[str, int] = {}
    for index, key in enumerate(table.column("article_id").to_pylist()):
        last[key] = index
    if len(last) == table.num_rows:  # no page extracted twice
        return table
    return table.take(sorted(last.values()))


def read_extracted(extracted_root: Path) -> pd.DataFrame:
    return read_table(extracted_root).to_pandas()
