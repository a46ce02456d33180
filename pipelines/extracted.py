"""The extracted-articles store: parquet parts under D/extracted/articles/, one per batch."""

from __future__ import annotations

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


def write_batch(extracted_root: Path, rows: Iterable[dict]) -> Path | None:
    """Append one part; rows are dicts with EXTRACTED_ARTICLE's columns (missing ones null)."""
    rows = list(rows)
    if not rows:
        return None
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in EXTRACTED_ARTICLE.names} for row in rows],
        schema=EXTRACTED_ARTICLE,
    )
    folder = articles_dir(extracted_root)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    final = folder / f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    staging = final.with_suffix(".parquet.tmp")
    pq.write_table(table, staging, compression="zstd")
    staging.replace(final)
    return final


def read_table(extracted_root: Path) -> pa.Table:
    """All extracted articles; when a page was extracted more than once, the latest row wins."""
    parts = sorted(articles_dir(extracted_root).glob("part-*.parquet"))
    if not parts:
        return EXTRACTED_ARTICLE.empty_table()
    table = pa.concat_tables(pq.read_table(p, schema=EXTRACTED_ARTICLE) for p in parts)
    frame_ids = table.column("article_id").to_pylist()
    last: dict[str, int] = {}
    for index, key in enumerate(frame_ids):
        last[key] = index
    return table.take(sorted(last.values()))


def read_extracted(extracted_root: Path) -> pd.DataFrame:
    return read_table(extracted_root).to_pandas()


def clear(extracted_root: Path) -> None:
    """Drop every part (a full re-extraction replaces them)."""
    for part in articles_dir(extracted_root).glob("part-*.parquet"):
        part.unlink()
