"""Hostile SQL and hostile cells: `incidents query` reads the dataset and nothing else, and its
CSV is as safe to open in a spreadsheet as `incidents export csv` (issue 13, rows 4 and 8)."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from analysis import load_dataset
from analysis.build import build_dataset
from analysis.exports import export_incidents
from core.config import DataDir
from incidents.cli import main
from tests.fixtures.dataset.factory import article, sample_rows, write_extracted

FORMULA = "=1+1"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> DataDir:
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("hostile-query"))
    rows = [*sample_rows(), article("formula", "2024-05-02T10:00", ["Formula Co"], title=FORMULA)]
    write_extracted(data_dir.extracted, rows)
    build_dataset(data_dir)
    return data_dir


def query(data_dir: DataDir, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["query", *args, "--data-dir", str(data_dir.root)])
    out, err = capsys.readouterr()
    return code, out, err


def dataset_files(data_dir: DataDir) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(data_dir.dataset.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd', sep=':')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "COPY (SELECT 1 AS x) TO '{dataset}/incidents/part-00000.parquet' (FORMAT parquet)",
        "COPY (SELECT 1 AS x) TO '{dataset}/incidents/part-00000.parquet' (FORMAT parquet, USE_TMP_FILE false)",
        "COPY incidents TO '{root}/stolen.csv'",
        "ATTACH '{root}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM read_parquet('https://example.org/x.parquet')",
        "SET enable_external_access = true",
    ],
)
def test_row4_query_reads_the_dataset_and_nothing_else(data_dir, capsys, sql):
    before = dataset_files(data_dir)
    code, out, err = query(data_dir, capsys, sql.format(dataset=data_dir.dataset, root=data_dir.root))
    assert code == 2
    assert "Traceback" not in err
    assert "root:" not in out  # /etc/passwd was not read
    if "SET" not in sql:
        assert "read-only" in err and "read_parquet(" in err  # what it refuses, and the way out
    else:
        assert "locked" in err
    assert dataset_files(data_dir) == before
    assert not list(data_dir.root.glob("stolen*")) and not list(data_dir.root.glob("other*"))
    # The dataset still reads, and the views still answer.
    assert len(load_dataset(data_dir)["incidents"]) == pq.read_table(data_dir.dataset / "incidents").num_rows
    assert query(data_dir, capsys, "SELECT count(*) AS n FROM incidents")[0] == 0


def test_row8_query_csv_neutralises_formulas_like_export_csv(data_dir, capsys, tmp_path):
    code, out, _ = query(
        data_dir, capsys, "--format", "csv", "SELECT title, n_articles FROM incidents ORDER BY incident_id"
    )
    assert code == 0
    titles = [row["title"] for row in csv.DictReader(io.StringIO(out))]
    assert FORMULA not in titles and "'" + FORMULA in titles
    assert all(row["n_articles"].isdigit() for row in csv.DictReader(io.StringIO(out)))  # numbers stay
    export = tmp_path / "incidents.csv"
    export_incidents(export, "csv", None, data_dir)
    exported = [
        row["Headline"] for row in csv.DictReader(io.StringIO(export.read_text(encoding="utf-8-sig")))
    ]
    assert sorted(t for t in titles if "1+1" in t) == sorted(t for t in exported if "1+1" in t)
