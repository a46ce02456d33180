"""Texas AG portal: the page's own remoting call, posted as the page posts it, one record per report."""

from __future__ import annotations

import json

from sources.portal_texas.spider import remoting_request
from tests.test_sources_registry import (
    crawl,
    kind_fixtures,
    latest_report,
    parsed_records,
    serve_sources,
    stored_pages,
    write_toml_sources,
)

FIXTURE = kind_fixtures("portal-texas")
PAGE_PATH = "/datasecuritybreachreport/apex/DataSecurityReportsPage"


def test_the_real_page_declares_the_read_action():
    page = (FIXTURE / "real" / "texas-navigation_2026-09-05.html").read_text(encoding="utf-8")
    endpoint, body = remoting_request(page, "https://oag.my.site.com" + PAGE_PATH)
    assert endpoint == "https://oag.my.site.com/datasecuritybreachreport/apexremote"
    action = json.loads(body)[0]
    assert (action["action"], action["method"], action["data"]) == (
        "DataSecurityReports",
        "getDatareports",
        [False],
    )
    assert action["ctx"] == {
        "csrf": "fixture-csrf",
        "authorization": "fixture-public-page-state",
        "ns": "",
        "ver": 47.0,
        "vid": "fixture-page",
    }


def test_crawl_posts_the_remoting_call_with_the_page_as_referer(tmp_path):
    with serve_sources(FIXTURE / "web") as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "tx",
                    "kind": "portal-texas",
                    "url": web.base_url + PAGE_PATH,
                    "publisher": "Texas AG",
                }
            ],
        )
        crawl(sources, tmp_path / "d")
        posts = [hit for hit in web.hits if hit.method == "POST"]
    assert len(posts) == 1 and posts[0].path == "/datasecuritybreachreport/apexremote"
    assert posts[0].headers["Referer"] == web.base_url + PAGE_PATH
    assert json.loads(posts[0].body)[0]["ctx"]["csrf"] == "fixture-csrf"
    report = latest_report(tmp_path / "d", "portal-texas")["sources"]["tx"]
    assert report["stored"] == 3 and report["failed"] == 0 and report["drift"] == 0
    records = parsed_records(stored_pages(tmp_path / "d"), web.base_url)
    by_victim = {r["structured"]["victims"][0]: r for r in records}
    assert by_victim["CDS in Texas"]["record_fields"]["texans_affected"] == 566
    assert by_victim["CDS in Texas"]["published_at"].startswith("2025-04-01")
