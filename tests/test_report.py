"""incidents report: a self-contained page, charts present, hostile data escaped."""

from __future__ import annotations

import os
import shutil

import pytest
from fixtures.dataset.factory import HOSTILE_TITLE, article, sample_rows, write_extracted

from analysis.build import build_dataset
from analysis.summary import dataset_overview, format_incidents, latest_incidents
from core.config import DataDir
from incidents.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> DataDir:
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("report"))
    rows = sample_rows() + [
        article(
            "js-link",
            "2024-07-01T10:00",
            ["Evil <img src=x onerror=alert(1)> Corp"],
            sector="$x^2$ </svg>",
            services=["<script>alert(2)</script>"],
            agencies=[('"><script>alert(3)</script>', "US")],
            countries=["US"],
            types=["phishing"],
        ),
    ]
    rows[-1]["url"] = "javascript:alert(4)"
    write_extracted(data_dir.extracted, rows)
    build_dataset(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def page(data_dir, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("out")
    assert main(["report", "--out", str(out), "--data-dir", str(data_dir.root)]) == 0
    return (out / "index.html").read_text(encoding="utf-8")


def test_page_is_self_contained_with_five_charts(page):
    assert page.count("<svg") == 5
    for chart in (
        "Incidents per month by type",
        "By sector",
        "By country",
        "Agencies most involved",
        "Services most affected",
        "Latest incidents",
    ):
        assert chart in page
    assert "<script" not in page.lower()
    assert "default-src 'none'" in page
    assert 'src="http' not in page and "<link" not in page and "@import" not in page


def test_hostile_values_are_escaped(page):
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the hostile headline
    assert 'href="javascript:' not in page
    assert "$x^2$" in page  # no mathtext: the label stays as written
    assert "HYPERLINK" in page and HOSTILE_TITLE not in page


def test_latest_incidents_links_and_summary(page, data_dir):
    assert 'href="https://packetledger.example/rm-export"' in page
    rows = latest_incidents(data_dir, 3)
    dates = [r["first_reported"] for r in rows]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2024-07-01"
    assert rows[0]["victim"].startswith("Evil") and rows[0]["types"] == ["phishing"]
    royal = next(r for r in latest_incidents(data_dir, None) if r["incident_id"] == "royal-mail-2023-01")
    assert royal["n_sources"] == 2 and royal["services"] == ["export mail"]
    assert "Royal Mail" in format_incidents([royal])
    overview = dataset_overview(data_dir)
    assert overview["incidents"] == 7 and overview["first_reported_from"] == "2018-09-07"


def test_report_on_an_empty_dataset(tmp_path):
    data_dir = DataDir.resolve(tmp_path)
    build_dataset(data_dir)
    assert main(["report", "--data-dir", str(tmp_path)]) == 0
    assert "no data yet" in (data_dir.exports / "report" / "index.html").read_text()


@pytest.mark.skipif(
    not shutil.which("chromium") and not os.environ.get("INCIDENTS_REQUIRE_CHROMIUM"),
    reason="headless Chromium not installed (apt-get install chromium); CI installs it and requires this test",
)
def test_report_renders_in_headless_chromium(data_dir, tmp_path):
    from analysis.report import write_report
    from bench.report_screenshot import blank, screenshot

    png = screenshot(write_report(tmp_path / "r", data_dir), tmp_path / "shot.png", size="1280,1600")
    assert png.stat().st_size > 20_000 and not blank(png)
