"""Maine AG portal: list pages, then each notice's detail page (the submitted form) as a record."""

from __future__ import annotations

from pathlib import Path

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

FIXTURE = kind_fixtures("portal-maine")
LIST = "/agviewer/content/ag/985235c7-cb95-4be2-8792-a1252b4f8318/list.html"


def maine_sources(path: Path, base_url: str) -> Path:
    return write_toml_sources(
        path,
        [
            {
                "name": "me-ag",
                "kind": "portal-maine",
                "url": f"{base_url}{LIST}",
                "publisher": "Maine Attorney General",
                "group": "portal",
                "params": {"max_pages": 3},
            }
        ],
    )


def test_list_pages_and_detail_pages_become_notice_records(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(maine_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d")
        pages = stored_pages(tmp_path / "d")
        records = parsed_records(pages, web.base_url)
        lists = [hit.query for hit in web.hits if hit.path == LIST]
    assert lists == ["", "page=2"]
    assert {page.content_kind for page in pages} == {"portal-maine"} and len(pages) == 3
    report = latest_report(tmp_path / "d", "portal-maine")["sources"]["me-ag"]
    assert report["stored"] == 3 and report["failed"] == 0

    by_victim = {r["structured"]["victims"][0]: r for r in records}
    acme = by_victim["Acme Dental Group, LLC"]["record_fields"]
    assert (acme["total_affected"], acme["maine_residents_affected"]) == (12345, 1020)
    assert acme["notice_url"].endswith("/files/Acme%20Dental%20-%20Consumer%20Notice.pdf")
    assert by_victim["Northwind Health Systems Corporation"]["structured"]["incident_types"] == [
        "data_breach",
        "ransomware",
    ]
    assert by_victim["Kennebec Valley Outfitters Inc."]["record_fields"]["notice_url"] is None
    assert_matches_expected(records, FIXTURE / "expected.json")


def test_since_stops_paging_and_skips_older_notices(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(maine_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d", "--since", "2024-06-30")
        assert [hit.query for hit in web.hits if hit.path == LIST] == [""]
    report = latest_report(tmp_path / "d", "portal-maine")["sources"]["me-ag"]
    assert report["stored"] == 1 and report["skipped_reasons"] == {"older_than_since": 1}
