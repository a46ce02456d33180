"""`incidents demo` end to end: serve, crawl, extract, build, export, report; no internet."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from tests.conftest import REPO, run_cli


@pytest.mark.xdist_group("demo")
def test_demo_runs_the_whole_chain_offline(demo_run):
    root, result = demo_run
    data_dir = root / "data" / "demo"
    out = result.stdout

    # per source: fetched, stored, skipped and why
    for outlet in ("packetledger", "breachdesk", "northwind", "metrotribune", "govwire"):
        assert outlet in out
    assert "robots_txt 1" in out and "http_404 1" in out and "duplicate_in_crawl" in out

    articles = pd.read_parquet(data_dir / "dataset" / "articles")
    gold = [json.loads(line) for line in open(REPO / "data/sample/gold.jsonl", encoding="utf-8")]
    assert len(articles) == len(gold)  # every article once: tracking-parameter copies deduplicated
    assert not articles["url"].str.contains("utm_|__BASE_URL__|#", regex=True).any()
    assert not articles["url"].str.contains("private/").any()  # robots.txt obeyed

    incidents = pd.read_parquet(data_dir / "dataset" / "incidents")
    assert len(incidents) >= 15
    assert "Incidents found" in out and "Royal Mail" in out

    with open(data_dir / "exports" / "incidents.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == len(incidents) + 1
    assert not any(cell.lstrip().startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    assert (data_dir / "exports" / "report" / "index.html").stat().st_size > 10_000


def test_demo_refuses_to_wipe_a_directory_that_is_not_a_demo(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = run_cli("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "not a demo directory" in result.stderr
    assert (tmp_path / "precious.txt").exists()
