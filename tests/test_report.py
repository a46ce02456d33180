"""incidents report: a self-contained page, charts present, hostile data escaped."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from pathlib import Path

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


CHROMIUM = pytest.mark.skipif(
    not shutil.which("chromium") and not os.environ.get("INCIDENTS_REQUIRE_CHROMIUM"),
    reason="headless Chromium not installed (apt-get install chromium); CI installs it and requires this test",
)


@pytest.fixture(scope="module")
def report_dir(data_dir, tmp_path_factory) -> Path:
    from analysis.report import write_report

    return write_report(tmp_path_factory.mktemp("site"), data_dir).parent


def test_page_is_self_contained_with_five_charts_and_one_hashed_script(page):
    from analysis.report import SCRIPT, SCRIPT_HASH

    assert page.count("<svg") == 5
    for chart in (
        "Incidents per month by type",
        "By sector",
        "By country",
        "Agencies most involved",
        "Services most affected",
        "Incidents",
    ):
        assert chart in page
    assert page.lower().count("<script") == 1 and f"<script>{SCRIPT}</script>" in page
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert SCRIPT_HASH == f"sha256-{digest}" and f"script-src '{SCRIPT_HASH}'" in page
    assert "default-src 'none'" in page and "unsafe-inline'; img-src data:; script-src" in page
    assert 'src="http' not in page and "<link" not in page and "@import" not in page


def test_hostile_values_are_escaped(page, report_dir):
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the hostile headline
    assert "$x^2$" in page  # no mathtext: the label stays as written
    assert "HYPERLINK" in page and HOSTILE_TITLE not in page
    for incident in (report_dir / "incidents").glob("*.html"):
        text = incident.read_text(encoding="utf-8")
        assert "<img" not in text and "<script" not in text.lower() and 'href="javascript:' not in text


def test_every_incident_has_a_page_with_its_evidence(page, report_dir):
    pages = sorted(p.stem for p in (report_dir / "incidents").glob("*.html"))
    assert len(pages) == 7 and all(f'href="incidents/{p}.html"' in page for p in pages)
    royal = (report_dir / "incidents" / "royal-mail-2023-01.html").read_text(encoding="utf-8")
    assert "<h1>Royal Mail</h1>" in royal and "2023-01-11" in royal
    assert (
        "National Cyber Security Centre" in royal and "National Crime Agency" in royal and "LockBit" in royal
    )
    # The service with its status and the sentence that says so, linked to its article.
    assert "<strong>export mail</strong> — disrupted" in royal and "“export mail was disrupted.”" in royal
    # Who said what, and where.
    assert (
        "We are temporarily unable to dispatch items." in royal
        and "<strong>Royal Mail</strong>, quoted by" in royal
    )
    # Sources as publisher and date, linked.
    assert (
        '<a href="https://packetledger.example/rm-export" rel="noopener noreferrer">Packetledger, 2023-01-11</a>'
        in royal
    )
    assert "Sources (3)" in royal and "copy of an earlier story" in royal


def test_latest_incidents_links_and_summary(page, data_dir):
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


@CHROMIUM
def test_report_renders_in_headless_chromium(report_dir, tmp_path):
    from bench.report_screenshot import blank, screenshot

    png = screenshot(report_dir / "index.html", tmp_path / "shot.png", size="1280,1600")
    assert png.stat().st_size > 20_000 and not blank(png)


def _visible_victims(dom: str) -> list[str]:
    """Victims of the table's rows the script left visible, in their order."""
    body = dom[dom.index('<table id="incidents">') :]
    rows = re.findall(r"<tr ([^>]*)>.*?<strong>(.*?)</strong>", body)
    return [victim for attributes, victim in rows if "hidden" not in attributes]


@CHROMIUM
def test_search_filters_and_sorting_work_in_chromium(report_dir):
    from bench.report_screenshot import dump_dom

    index = (report_dir / "index.html").resolve().as_uri()
    everything = _visible_victims(dump_dom(index))
    assert len(everything) == 7
    found = dump_dom(index + "?q=royal+mail")
    assert _visible_victims(found) == ["Royal Mail", "Royal Mail"] and '<b id="shown">2</b>' in found
    assert _visible_victims(dump_dom(index + "?type=ddos")) == ["Royal Mail"]
    assert set(_visible_victims(dump_dom(index + "?country=US"))) == {
        "Change Healthcare",
        "Capital Health",
        "Evil &lt;img src=x onerror=alert(1)&gt; Corp",
    }
    by_victim = _visible_victims(dump_dom(index + "?sort=victim"))
    assert by_victim == sorted(by_victim, key=str.casefold) and by_victim != everything
    assert 'aria-sort="ascending"' in dump_dom(index + "?sort=victim")
    oldest_first = _visible_victims(dump_dom(index + "?sort=first&order=asc"))
    assert oldest_first[0] == "British Airways" and oldest_first[-1].startswith("Evil")


@CHROMIUM
def test_incident_page_renders_in_chromium(report_dir):
    from bench.report_screenshot import dump_dom

    dom = dump_dom((report_dir / "incidents" / "royal-mail-2023-01.html").resolve().as_uri())
    assert "Royal Mail" in dom and "export mail was disrupted." in dom and "../index.html" in dom
