"""Querying the dataset: DuckDB views over the parquet tables, and pandas DataFrames.

The parquet files are read in place (no import step), so `incidents query` and `Dataset.sql`
see exactly what `pandas.read_parquet` sees. The connection is read-only: each table is an
Arrow dataset handed to DuckDB, then DuckDB's external access (files, network, extensions) is
switched off and its configuration locked, so SQL cannot read other files, write over the
dataset (COPY), attach databases, or install and load extensions. Raw DuckDB on the parquet
files is for whoever needs more (README, "Querying the dataset").
"""

from __future__ import annotations

import difflib
import json
import math
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pa_dataset
import pyarrow.parquet as pq

from analysis import storage
from analysis.spreadsheet import safe_cell
from core.config import DataDir

VIEWS = storage.TABLES
FORMATS = ("table", "csv", "json", "parquet")


class QueryError(Exception):
    """A query DuckDB rejected; the message is DuckDB's own."""


READ_ONLY = (
    "incidents query is read-only: it reads the dataset's tables (incidents, articles, mentions, "
    "statements, redirects) and nothing else, so files, COPY, ATTACH, INSTALL and LOAD are refused. "
    "For anything else, open the parquet files in DuckDB yourself: "
    "duckdb -c \"SELECT * FROM read_parquet('D/dataset/incidents/*.parquet')\""
)


class UnknownIncident(KeyError):
    """An incident ID that is neither in the dataset nor redirected to one."""

    def __str__(self) -> str:
        return str(self.args[0])


class MissingDataset(FileNotFoundError):
    """No dataset under D/dataset/ yet."""


def dataset_dir(data_dir: DataDir | str | Path | None) -> Path:
    """D/dataset for a data directory (or a path that already is a dataset directory)."""
    if isinstance(data_dir, DataDir):
        return data_dir.dataset
    path = Path(data_dir) if data_dir else DataDir.resolve(None).dataset.parent
    if (path / "incidents").is_dir() and (path / "dataset.json").exists():
        return path
    return DataDir.resolve(path).dataset


def _require(dataset: Path) -> Path:
    live = storage.live(dataset)
    if not (live / "incidents").is_dir():
        raise MissingDataset(f"no dataset at {dataset}: run `incidents build` first")
    return live


def connect(
    data_dir: DataDir | str | Path | None = None, temp_directory: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory, read-only DuckDB connection with one view per table (incidents, articles, ...).

    DuckDB may spill to `temp_directory` (the one place it can still write; give it a private
    folder) and to nothing else."""
    live = _require(dataset_dir(data_dir))
    config = {"temp_directory": str(temp_directory)} if temp_directory else {}
    con = duckdb.connect(":memory:", config=config)
    for name in VIEWS:
        folder = live / name
        parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if parts:
            # Read through Arrow, so the views work with DuckDB's own file access off.
            con.register(name, pa_dataset.dataset([str(p) for p in parts], format="parquet"))
    for setting in (
        "SET python_enable_replacements = false",  # no scans of the caller's Python variables
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ):
        con.execute(setting)
    return con


def run_query(sql: str, data_dir: DataDir | str | Path | None = None) -> pa.Table | None:
    """Run SQL over the read-only views; the result as an Arrow table (None for statements
    without one). SQL that reaches for files, the network or extensions is a QueryError."""
    spill = Path(tempfile.mkdtemp(prefix="incidents-query-"))
    con = connect(data_dir, temp_directory=spill)
    try:
        relation = con.sql(sql)
        return None if relation is None else relation.to_arrow_table()
    except duckdb.PermissionException as exc:
        raise QueryError(f"{READ_ONLY}\n({exc})") from None
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from None
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


@dataclass
class Dataset:
    """The dataset's tables as DataFrames, plus SQL over the same files and the card."""

    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    card: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def keys(self) -> Iterable[str]:
        return self.tables.keys()

    def sql(self, query: str) -> pd.DataFrame:
        """DuckDB SQL over the dataset's parquet files, as a DataFrame."""
        table = run_query(query, self.path)
        return pd.DataFrame() if table is None else table.to_pandas()

    def resolve(self, incident_id: str) -> str:
        """The current ID of an incident, following `redirects` when its ID has moved.

        An ID that is neither current nor redirected raises UnknownIncident (a KeyError) naming
        the closest current IDs, so a typo is never taken for an incident."""
        redirects = self.tables.get("redirects")
        if redirects is None:
            redirects = storage.read_frame(self.path, "redirects")
        moved = dict(zip(redirects["old_incident_id"], redirects["incident_id"]))
        if incident_id in moved:
            return moved[incident_id]
        incidents = self.tables.get("incidents")
        current = set(
            (incidents if incidents is not None else storage.read_frame(self.path, "incidents"))[
                "incident_id"
            ]
        )
        if incident_id in current:
            return incident_id
        close = difflib.get_close_matches(str(incident_id), sorted(current | set(moved)), n=3, cutoff=0.6)
        raise UnknownIncident(
            f"no incident {incident_id!r} in {self.path}"
            + (f"; did you mean {', '.join(close)}?" if close else "")
        )


def load_dataset(data_dir: DataDir | str | Path | None = None, tables: Iterable[str] = VIEWS) -> Dataset:
    """Load the dataset's tables as pandas DataFrames (lists as arrays, timestamps in UTC).

    `data_dir` is a data directory (default: $INCIDENTS_DATA_DIR, else data/) or the
    dataset directory itself."""
    dataset = dataset_dir(data_dir)
    live = _require(dataset)
    return Dataset(
        path=dataset,
        tables={name: storage.read_frame(dataset, name) for name in tables},
        card=storage.read_card(live),
    )


def _cell(value, width: int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (list, tuple)):
        text = "; ".join(_cell(v, None) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, datetime):
        text = (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour, value.minute) != (0, 0)
            else value.strftime("%Y-%m-%d")
        )
    else:
        text = str(value)
    text = " ".join(text.split())
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def format_table(table: pa.Table, max_width: int = 48, max_rows: int = 200) -> str:
    """A plain-text table for a terminal: lists joined with "; ", long cells cut."""
    rows = table.slice(0, max_rows).to_pylist()
    names = table.column_names
    cells = [[_cell(row[name], max_width) for name in names] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    numeric = [
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        for t in table.schema.types
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    out = [line(names), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    shown = len(rows)
    out.append(
        f"({table.num_rows} row{'s' if table.num_rows != 1 else ''}"
        + (f", first {shown} shown)" if shown < table.num_rows else ")")
    )
    return "\n".join(out)


def _csv_cell(value):
    """Scalars as they are; lists joined with "; "; structs as JSON; times in ISO 8601."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_csv_cell(v)) for v in value if v is not None)
    if isinstance(value, dict):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def write_result(table: pa.Table, fmt: str, out) -> None:
    """Write a result to a text stream (table, csv, json) or a binary file (parquet)."""
    if fmt == "table":
        out.write(format_table(table) + "\n")
    elif fmt == "csv":
        # Formulas neutralised exactly as `incidents export csv` does: a spreadsheet opens it.
        frame = pd.DataFrame(
            {
                name: [safe_cell(_csv_cell(v)) for v in table.column(name).to_pylist()]
                for name in table.column_names
            }
        )
        frame.to_csv(out, index=False)
    elif fmt == "json":
        json.dump(table.to_pylist(), out, default=_json_default, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "parquet":
        pq.write_table(table, out)
    else:
        raise ValueError(f"unknown format {fmt!r}")
