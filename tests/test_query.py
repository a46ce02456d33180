"""incidents query and load_dataset: views, formats, the README examples, readable errors."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fixtures.dataset.factory import sample_rows, write_extracted

from analysis import load_dataset
from analysis.build import build_dataset
from analysis.query import QueryError, run_query
from core.config import DataDir
from incidents.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> DataDir:
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("query"))
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    return data_dir


def query(data_dir, capsys, *args) -> tuple[int, str, str]:
    code = main(["query", *args, "--data-dir", str(data_dir.root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_table_is_a_view(data_dir):
    for view in ("incidents", "articles", "mentions", "statements", "redirects"):
        assert run_query(f"SELECT count(*) AS n FROM {view}", data_dir).to_pylist()[0]["n"] >= 0
    counts = run_query("SELECT count(*) AS n FROM articles WHERE incident_id IS NOT NULL", data_dir)
    assert counts.to_pylist()[0]["n"] == 10


def test_table_output_is_readable(data_dir, capsys):
    code, out, _ = query(
        data_dir,
        capsys,
        "SELECT victim, incident_types, n_sources FROM incidents WHERE victim = 'Royal Mail' ORDER BY 1",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["victim", "incident_types", "n_sources"]
    assert "ransomware" in out and "(2 rows)" in out


def test_machine_formats(data_dir, capsys, tmp_path):
    sql = "SELECT incident_id, first_reported_at, attackers FROM incidents WHERE list_contains(attackers, 'LockBit')"
    code, out, _ = query(data_dir, capsys, "--format", "json", sql)
    rows = json.loads(out)
    assert code == 0 and {r["incident_id"] for r in rows} == {"royal-mail-2023-01", "capital-health-2024-01"}
    assert rows[0]["first_reported_at"].endswith("+00:00")
    code, out, _ = query(data_dir, capsys, "--format", "csv", sql)
    assert out.splitlines()[0] == "incident_id,first_reported_at,attackers"
    target = tmp_path / "out.parquet"
    code, _, err = query(data_dir, capsys, "--format", "parquet", "--out", str(target), sql)
    assert code == 0 and pq.read_table(target).num_rows == 2 and "2 rows" in err


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELEC * FROM incidents", "Parser Error"),
        ("SELECT * FROM incidentz", "incidentz"),
        ("SELECT no_such_column FROM incidents", "no_such_column"),
    ],
)
def test_bad_sql_gets_duckdbs_message_not_a_traceback(data_dir, capsys, sql, expected):
    code, out, err = query(data_dir, capsys, sql)
    assert code == 2 and out == ""
    assert expected in err and "Traceback" not in err
    with pytest.raises(QueryError):
        run_query(sql, data_dir)


def test_missing_dataset_and_parquet_without_out(tmp_path, capsys, data_dir):
    code, _, err = query(DataDir.resolve(tmp_path / "empty"), capsys, "SELECT 1")
    assert code == 2 and "incidents build" in err
    code, _, err = query(data_dir, capsys, "--format", "parquet", "SELECT 1")
    assert code == 2 and "--out" in err


def test_readme_examples(data_dir):
    ds = load_dataset(data_dir.root)
    inc = ds.incidents
    # Incidents per month by type.
    per_month = (
        inc.explode("incident_types")
        .assign(month=lambda d: d["first_reported_at"].dt.strftime("%Y-%m"))
        .groupby(["month", "incident_types"])
        .size()
        .unstack(fill_value=0)
    )
    assert per_month.loc["2023-01", "ransomware"] == 1
    # Incidents where an agency was involved.
    ncsc = inc[inc["agencies"].map(lambda names: "National Cyber Security Centre" in names)]
    assert list(ncsc["incident_id"]) == ["royal-mail-2023-01"]
    # Everything LockBit claimed, with the articles behind it.
    lockbit = ds.sql("""
        SELECT i.incident_id, i.victim, a.url
        FROM incidents i JOIN articles a USING (incident_id)
        WHERE list_contains(i.attackers, 'LockBit') ORDER BY a.published_at""")
    assert set(lockbit["victim"]) == {"Royal Mail", "Capital Health"}
    assert len(lockbit) == 4
    assert isinstance(ds["statements"], pd.DataFrame) and ds.card["rows"]["incidents"] == len(inc)
