"""SEC EDGAR spider: fair access (contact in the User-Agent, <= 10 requests/s), Item 1.05
filtering, 8.01 cyber filtering, inline-XBRL text blocks, parsed filings vs expected JSON."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler

from core.config import DataDir
from core.sources import Source
from crawler.run import crawl_settings
from sources.sec_edgar.parser import company_and_tickers, incident_text, item_section
from sources.sec_edgar.spider import SecEdgarSpider, document_url, enforce_fair_access
from tests.test_sources_registry import (
    CONTACT,
    assert_matches_expected,
    crawl,
    kind_fixtures,
    latest_report,
    parsed_records,
    serve_sources,
    stored_pages,
    write_toml_sources,
)

FIXTURE = kind_fixtures("sec-edgar")
ARCHIVES = "/Archives/edgar/data/"


def edgar_sources(path: Path, base_url: str) -> Path:
    common = {
        "kind": "sec-edgar",
        "url": f"{base_url}/LATEST/search-index",
        "publisher": "SEC EDGAR",
        "group": "regulatory",
    }
    window = {
        "forms": "8-K",
        "startdt": "2024-06-01",
        "enddt": "2024-06-10",
        "archives": f"{base_url}/Archives/edgar/data",
    }
    return write_toml_sources(
        path,
        [
            {"name": "sec-105", **common, "params": {"q": '"Item 1.05"', "item": "1.05", **window}},
            {
                "name": "sec-801",
                **common,
                "params": {"q": '"cybersecurity incident"', "item": "8.01", **window},
            },
        ],
    )


def test_crawl_keeps_item_1_05_and_cyber_8_01_filings_politely(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(edgar_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d")
        hits = [hit for hit in web.hits if not hit.path.endswith("/robots.txt")]
        pages = stored_pages(tmp_path / "d")
        records = parsed_records(pages, web.base_url)

    # Fair access: every request names the operator, they come one at a time at no more than 10
    # a second, and never in a burst (arrival times jitter on a loaded machine; sends do not bunch).
    assert hits and all(CONTACT in hit.headers["User-Agent"] for hit in hits)
    gaps = [b.at - a.at for a, b in zip(hits, hits[1:])]
    assert (hits[-1].at - hits[0].at) / len(gaps) >= 0.095, gaps
    assert min(gaps) >= 0.05, gaps

    # Both sources page through the full-text search: from=0, then from=100 (102 hits in all).
    searches = [hit.query for hit in hits if hit.path == "/LATEST/search-index"]
    assert sum("from=0" in q for q in searches) == 2 and sum("from=100" in q for q in searches) == 2
    assert all("forms=8-K" in q and "startdt=2024-06-01" in q and "enddt=2024-06-10" in q for q in searches)

    # Item 1.05 filtering: Globex only mentions "Item 1.05" in passing (items 2.02, 9.01): never fetched.
    fetched = sorted(hit.path.split(ARCHIVES)[1] for hit in hits if hit.path.startswith(ARCHIVES))
    assert fetched == [
        "1520011/000162828024025555/init-20240607.htm",
        "1634567/000095017024067890/nwhs-20240605.htm",
        "1700222/000110465924070001/tm2416123d1_8k.htm",  # 8.01 without a cyber incident: read, dropped
        "320193/000032019324000077/hooli-8k_20240610.htm",
        "812345/000119312524151234/d812345d8k.htm",  # the main document, not its exhibit hit
    ]
    assert sorted(page.source for page in pages) == ["sec-105", "sec-105", "sec-105", "sec-801"]
    assert {page.content_kind for page in pages} == {"sec-8k"}

    report = latest_report(tmp_path / "d", "sec-edgar")["sources"]
    assert report["sec-105"]["stored"] == 3
    assert report["sec-105"]["skipped_reasons"] == {"not_item_1_05": 98}
    assert report["sec-801"]["stored"] == 1
    assert report["sec-801"]["skipped_reasons"] == {"not_item_8_01": 100, "no_cyber_wording": 1}

    assert_matches_expected(records, FIXTURE / "expected.json")


def test_refuses_to_crawl_edgar_without_a_contact(tmp_path):
    with serve_sources(FIXTURE) as web:
        result = crawl(
            edgar_sources(tmp_path / "s.toml", web.base_url),
            tmp_path / "d",
            env={"INCIDENTS_CONTACT": ""},
            ok=False,
        )
        assert result.returncode == 1  # nothing could be crawled
        assert [hit for hit in web.hits if not hit.path.endswith("robots.txt")] == []
    assert "INCIDENTS_CONTACT" in result.stderr and "fair-access" in result.stderr
    report = latest_report(tmp_path / "d", "sec-edgar")["sources"]
    assert report["sec-105"]["failed_reasons"] == {"no_contact": 1}


def test_rate_limit_cannot_be_lowered_below_ten_per_second(tmp_path):
    settings = crawl_settings(
        DataDir(tmp_path),
        {
            "DOWNLOAD_DELAY": "0",
            "EDGAR_MIN_DELAY": "0",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
            "DOWNLOAD_SLOTS": '{"sec.gov": {"delay": 0, "concurrency": 8}}',
            "INCIDENTS_CONTACT": CONTACT,
        },
    )
    crawler = Crawler(SecEdgarSpider, settings)
    SecEdgarSpider.from_crawler(
        crawler, sources=str(edgar_sources(tmp_path / "s.toml", "http://127.0.0.1:9"))
    )
    slot = crawler.settings.getdict("DOWNLOAD_SLOTS")["sec.gov"]
    assert slot["delay"] >= 0.1 and slot["concurrency"] == 1 and slot["jitter"] == 0
    assert CONTACT in crawler.settings.get("USER_AGENT")

    # A source asking for more patience gets it.
    slow = Source(
        name="s", kind="sec-edgar", url="https://efts.sec.gov/x", publisher="p", settings={"delay": 0.5}
    )
    assert enforce_fair_access(crawl_settings(DataDir(tmp_path)), [slow])["delay"] == 0.5


def test_item_sections_and_inline_xbrl_blocks():
    acme = (FIXTURE / "Archives/edgar/data/812345/000119312524151234/d812345d8k.htm").read_text()
    text = incident_text(acme, "1.05")
    assert text.origin == "inline_xbrl"
    assert text.elements == [
        "MaterialCybersecurityIncidentNatureTextBlock",
        "MaterialCybersecurityIncidentMaterialImpactOrReasonablyLikelyMaterialImpactTextBlock",
    ]
    assert "notified federal law enforcement" in text.text  # followed through continuedAt
    assert "plants in Texas and Ohio" in text.text  # ...two links deep
    assert "Upon detection" not in text.text  # text between the links is not part of the block
    passing = "Item 2.02 Results of Operations.\nWe have no event to report under Item 1.05 this quarter.\nSIGNATURES"
    assert item_section(passing, "1.05") is None
    assert company_and_tickers("Northwind Health Systems Corp  (NWHS, NWHS-PA)  (CIK 0001634567)") == (
        "Northwind Health Systems Corp",
        ["NWHS", "NWHS-PA"],
    )
    assert company_and_tickers("Private Filer LLC  (CIK 0000000042)") == ("Private Filer LLC", [])


def test_document_url_from_a_hit():
    hit = {
        "_id": "0001193125-24-151234:d812345d8k.htm",
        "_source": {"ciks": ["0000812345"], "adsh": "0001193125-24-151234"},
    }
    assert document_url("https://www.sec.gov/Archives/edgar/data", hit) == (
        "https://www.sec.gov/Archives/edgar/data/812345/000119312524151234/d812345d8k.htm"
    )
