"""The dataset as one SQLite file, for datasette and any SQLite tool.

Tables keep their names and columns; lists and structs become JSON (datasette facets on
JSON arrays), timestamps ISO 8601 text in UTC. Foreign keys link articles and statements to
incidents and mentions to articles, so datasette's row pages link an incident to its articles;
full-text indexes cover headlines, victims and article texts. `metadata()` is the datasette
metadata (column descriptions from data/dataset-columns.toml, the default facets), written
beside the file as <name>.metadata.json: `datasette incidents.db -m incidents.metadata.json`.
"""

from __future__ import annotations

import json
import math
import tomllib
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlite_utils

from analysis.query import Dataset
from analysis.schema import SCHEMAS
from core.config import REPO_DATA

COLUMN_DESCRIPTIONS = REPO_DATA / "dataset-columns.toml"
DATABASE = "incidents"

# Per table: primary key, foreign keys (column, other table, other column), full-text columns.
LAYOUT: dict[str, dict] = {
    "incidents": {"pk": "incident_id", "fks": [], "fts": ["victim", "title", "victims"]},
    "articles": {
        "pk": "article_id",
        "fks": [("incident_id", "incidents", "incident_id")],
        "fts": ["title", "text"],
    },
    "mentions": {
        "pk": None,
        "fks": [("article_id", "articles", "article_id"), ("incident_id", "incidents", "incident_id")],
        "fts": [],
    },
    "statements": {
        "pk": None,
        "fks": [("article_id", "articles", "article_id"), ("incident_id", "incidents", "incident_id")],
        "fts": ["speaker", "quote"],
    },
    "redirects": {"pk": "old_incident_id", "fks": [("incident_id", "incidents", "incident_id")], "fts": []},
}
FACETS = {
    "incidents": [
        "country",
        "sector",
        {"array": "incident_types"},
        {"array": "agencies"},
        {"array": "attackers"},
    ],
    "articles": ["source", "publisher", "is_incident", {"array": "incident_types"}],
    "mentions": ["role", "label"],
    "statements": ["source"],
}
LABELS = {"incidents": "victim", "articles": "title", "statements": "speaker"}
SORT_DESC = {"incidents": "first_reported_at", "articles": "published_at", "statements": "published_at"}


def _sqlite_type(kind: pa.DataType) -> type:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return int
    if pa.types.is_floating(kind):
        return float
    return str


def _plain(value):
    """A value sqlite-utils stores as it is, or as JSON (lists, dicts)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (pd.Timestamp, datetime)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _rows(frame: pd.DataFrame):
    for record in frame.astype(object).to_dict("records"):
        yield {k: _plain(v) for k, v in record.items()}


def column_descriptions() -> dict[str, dict[str, str]]:
    """Table → column → what it holds."""
    with open(COLUMN_DESCRIPTIONS, "rb") as handle:
        return tomllib.load(handle)


def write_sqlite(dataset: Dataset, out: Path | str) -> Path:
    """Write every table of the dataset into one SQLite file (replaced atomically)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp")
    staging.unlink(missing_ok=True)
    db = sqlite_utils.Database(staging)
    try:
        for name, layout in LAYOUT.items():
            schema = SCHEMAS[name]
            table = db[name]
            table.create(
                {f.name: _sqlite_type(f.type) for f in schema},
                pk=layout["pk"],
                not_null={f.name for f in schema if not f.nullable},
                foreign_keys=layout["fks"],
            )
            frame = dataset[name]
            if len(frame):
                table.insert_all(_rows(frame[[f.name for f in schema]]), batch_size=1000)
            for column, _, _ in layout["fks"]:
                table.create_index([column], if_not_exists=True)
            if layout["fts"]:
                table.enable_fts(layout["fts"], create_triggers=False)
        db.vacuum()
    finally:
        db.close()
    staging.replace(out)
    metadata_file(out).write_text(
        json.dumps(metadata(out.stem), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out


def metadata_file(db: Path) -> Path:
    """Where the datasette metadata of an export goes: beside it, `<name>.metadata.json`."""
    return db.with_name(f"{db.stem}.metadata.json")


def metadata(database: str = DATABASE, title: str = "Cyber incidents in public reporting") -> dict:
    """datasette metadata for the file whose name (without .db) is `database`: descriptions of
    every column, default facets, labels, sort order."""
    described = column_descriptions()
    tables = {}
    for name in LAYOUT:
        entry: dict = {"columns": described.get(name, {})}
        if name in FACETS:
            entry["facets"] = FACETS[name]
        if name in LABELS:
            entry["label_column"] = LABELS[name]
        if name in SORT_DESC:
            entry["sort_desc"] = SORT_DESC[name]
        tables[name] = entry
    tables["incidents"]["description"] = "One row per incident; search finds victims and headlines."
    tables["articles"]["description"] = "Every article crawled; incident articles link to their incident."
    return {
        "title": title,
        "description": "Incidents, the articles behind them, the entities they mention and what was said.",
        "databases": {database: {"tables": tables}},
    }
