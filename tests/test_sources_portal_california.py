"""California AG portal: the list-export CSV, one structured record per row, linked to its notice."""

from __future__ import annotations

import json
from pathlib import Path

from sources.breach_notice import us_dates
from tests.test_sources_registry import (
    assert_matches_expected,
    crawl,
    kind_fixtures,
    latest_report,
    parsed_records,
    serve_sources,
    stored_pages,
    write_toml_sources,
)

FIXTURE = kind_fixtures("portal-california")


def california_sources(path: Path, base_url: str) -> Path:
    return write_toml_sources(
        path,
        [
            {
                "name": "ca-ag",
                "kind": "portal-california",
                "url": f"{base_url}/privacy/databreach/list-export",
                "publisher": "California Attorney General",
                "group": "portal",
                "params": {"list_url": f"{base_url}/privacy/databreach/list"},
            }
        ],
    )


def test_csv_rows_become_notice_records(tmp_path):
    with serve_sources(FIXTURE) as web:
        sources = california_sources(tmp_path / "s.toml", web.base_url)
        crawl(sources, tmp_path / "d", "--since", "2024-06-01")
        records = parsed_records(stored_pages(tmp_path / "d"), web.base_url)
        assert [hit.path for hit in web.hits if not hit.path.endswith("robots.txt")] == [
            "/privacy/databreach/list",
            "/privacy/databreach/list-export",
        ]

        report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca-ag"]
        assert report["stored"] == 5 and report["skipped_reasons"] == {"older_than_since": 1}

        # A second crawl (no --since) stores only the row held back: rows keep their keys.
        crawl(sources, tmp_path / "d")
        report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca-ag"]
        assert report["stored"] == 1  # only the row --since held back the first time
        assert report["skipped_reasons"] == {"already_stored": 5}

        # A third finds the export unchanged (ETag) and does not read it again.
        crawl(sources, tmp_path / "d")
        report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca-ag"]
        assert report["skipped_reasons"] == {"listing_unchanged": 1} and report["failed"] == 0

    notices = {r["structured"]["victims"][0]: r for r in records}
    assert notices["Acme Dental Group, LLC"]["url"] == "__BASE_URL__/ecrime/databreach/reports/sb24-585011"
    assert notices["Smith & Sons Hardware"]["record_fields"]["notice_url"] is None  # not in the HTML list
    assert notices["Globex Corp"]["record_fields"]["breach_dates"] == [
        "2023-12-15",
        "2023-12-16",
        "2024-01-04",
    ]
    assert_matches_expected(records, FIXTURE / "expected.json")


def test_list_page_failure_still_stores_records_without_links(tmp_path):
    with serve_sources(FIXTURE) as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "ca-ag",
                    "kind": "portal-california",
                    "url": f"{web.base_url}/privacy/databreach/list-export",
                    "publisher": "California Attorney General",
                    "params": {"list_url": f"{web.base_url}/nowhere"},
                }
            ],
        )
        crawl(sources, tmp_path / "d")
    report = latest_report(tmp_path / "d", "portal-california")["sources"]["ca-ag"]
    assert report["stored"] == 6 and report["failed_reasons"] == {"listing_http_404": 1}


def test_us_dates():
    assert us_dates("12/15/2023, 1/4/24") == ["2023-12-15", "2024-01-04"]
    assert us_dates("n/a") == [] and us_dates("13/45/2024") == []


def test_notice_records_flow_through_extract_with_their_structured_fields_winning(tmp_path):
    from core.config import DataDir
    from core.records import AnalysisRecord
    from pipelines import extracted
    from pipelines.extract import run_extract

    def analyze_says_otherwise(documents):
        for document in documents:
            yield AnalysisRecord(
                id=document["id"],
                is_incident=False,
                victims=["Somebody Else"],
                incident_types=["ddos"],
                attackers=["A Gang"],
                organisations=["Somebody Else"],
            )

    with serve_sources(FIXTURE) as web:
        crawl(california_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d")
    summary = run_extract(DataDir(tmp_path / "d"), analyze_says_otherwise)
    assert summary.pages == 6 and summary.parse_errors == 0 and summary.incidents == 6
    rows = extracted.read_extracted(DataDir(tmp_path / "d").extracted)
    globex = rows[rows["title"].str.startswith("Globex Corp")].iloc[0]
    assert list(globex["victims"]) == ["Globex Corp"] and list(globex["incident_types"]) == ["data_breach"]
    assert list(globex["attackers"]) == ["A Gang"]  # what the record does not state, analysis may add
    assert globex["content_kind"] == "portal-california" and globex["source"] == "ca-ag"
    assert json.loads(globex["record_fields"])["breach_dates"] == ["2023-12-15", "2023-12-16", "2024-01-04"]
    assert globex["url"].endswith("/ecrime/databreach/reports/sb24-584812")
