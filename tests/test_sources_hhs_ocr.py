"""HHS OCR portal: the JSF front page's link, the report table, its PrimeFaces pages."""

from __future__ import annotations

from urllib.parse import parse_qs

from tests.test_sources_registry import (
    crawl,
    kind_fixtures,
    latest_report,
    parsed_records,
    serve_sources,
    stored_pages,
    write_toml_sources,
)

FIXTURE = kind_fixtures("hhs-ocr")


def test_front_page_link_then_every_page_of_the_table(tmp_path):
    with serve_sources(FIXTURE / "web") as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "hhs",
                    "kind": "hhs-ocr",
                    "url": f"{web.base_url}/ocr/breach/breach_frontpage.jsf",
                    "publisher": "HHS OCR",
                }
            ],
        )
        crawl(sources, tmp_path / "d")
        posts = [parse_qs(hit.body.decode()) for hit in web.hits if hit.method == "POST"]
    # The front page's command link, then page 2 of the table with the view state page 1 gave.
    assert posts[0]["ocrForm:j_idt39"] == ["ocrForm:j_idt39"] and posts[0]["javax.faces.ViewState"] == [
        "front-1"
    ]
    assert posts[1]["ocrForm:reportResultTable_first"] == ["3"] and posts[1]["javax.faces.ViewState"] == [
        "state-1"
    ]
    assert len(posts) == 2  # 5 reports in all: no third page asked for
    report = latest_report(tmp_path / "d", "hhs-ocr")["sources"]["hhs"]
    assert report["stored"] == 5 and report["failed"] == 0
    records = parsed_records(stored_pages(tmp_path / "d"), web.base_url)
    anmed = next(r for r in records if r["structured"]["victims"] == ["AnMed Health"])
    assert (
        anmed["record_fields"]["individuals_affected"] == 501
        and anmed["record_fields"]["report_id"] == "1480915"
    )
    assert anmed["published_at"].startswith("2026-08-27")
