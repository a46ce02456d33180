"""Washington AG portal: the notifications table, paged, one structured record per row."""

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

FIXTURE = kind_fixtures("portal-washington")


def washington_sources(path: Path, base_url: str, max_pages: int = 3) -> Path:
    return write_toml_sources(
        path,
        [
            {
                "name": "wa-ag",
                "kind": "portal-washington",
                "url": f"{base_url}/data-breach-notifications",
                "publisher": "Washington State Attorney General",
                "group": "portal",
                "params": {"max_pages": max_pages},
            }
        ],
    )


def test_table_rows_on_every_page_become_notice_records(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(washington_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d")
        records = parsed_records(stored_pages(tmp_path / "d"), web.base_url)
        pages = [(hit.path, hit.query) for hit in web.hits if not hit.path.endswith("robots.txt")]
    assert pages == [
        ("/data-breach-notifications", ""),
        ("/data-breach-notifications", "page=1"),
    ]  # PDFs: linked only
    report = latest_report(tmp_path / "d", "portal-washington")["sources"]["wa-ag"]
    assert report["stored"] == 5 and report["failed"] == 0

    by_victim = {r["structured"]["victims"][0]: r for r in records}
    northwind = by_victim["Northwind Health Systems Corporation"]["record_fields"]
    assert northwind["washingtonians_affected"] == 25911
    assert northwind["breach_dates"] == ["2024-06-01", "2024-06-08"]
    assert northwind["information_compromised"] == ["Name", "Date of Birth", "Medical Information"]
    assert by_victim["Pacific Credit Union"]["record_fields"]["washingtonians_affected"] is None
    # A notice letter's file name ("...Notice - Ransomware.pdf") is not a statement of ransomware.
    assert by_victim["Globex Corp"]["structured"]["incident_types"] == ["data_breach"]
    assert_matches_expected(records, FIXTURE / "expected.json")


def test_paging_stops_at_max_pages_and_at_since(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(washington_sources(tmp_path / "s.toml", web.base_url, max_pages=1), tmp_path / "one")
        assert len(web.hits_to("/data-breach-notifications")) == 1
        web.hits.clear()
        crawl(
            washington_sources(tmp_path / "s.toml", web.base_url), tmp_path / "since", "--since", "2024-07-11"
        )
        assert len(web.hits_to("/data-breach-notifications")) == 1  # page 1 already reaches back past --since
    report = latest_report(tmp_path / "since", "portal-washington")["sources"]["wa-ag"]
    assert report["stored"] == 2 and report["skipped_reasons"] == {"older_than_since": 1}


def test_a_later_crawl_stops_paging_at_the_first_page_it_has_stored(tmp_path):
    with serve_sources(FIXTURE) as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "wa-ag",
                    "kind": "portal-washington",
                    "url": f"{web.base_url}/data-breach-notifications",
                    "publisher": "Washington State Attorney General",
                    "params": {"max_pages": 60},
                    "settings": {"conditional": False},  # page 1 is read again, not answered 304
                }
            ],
        )
        crawl(sources, tmp_path / "d")
        first = len([hit for hit in web.hits if hit.path == "/data-breach-notifications"])
        crawl(sources, tmp_path / "d")
        second = len([hit for hit in web.hits if hit.path == "/data-breach-notifications"]) - first
    assert first == 2  # the whole list, to its last page
    assert second == 1  # page 1 holds nothing new: the older pages are not asked again
    report = latest_report(tmp_path / "d", "portal-washington")["sources"]["wa-ag"]
    assert report["stored"] == 0 and report["skipped_reasons"].get("already_stored", 0) >= 1
