"""ransomware.live v2: press-reported attacks (records + their press articles), leak-site
claims stored only as claims without a leak-site link, varying field types, 429 Retry-After."""

from __future__ import annotations

import json
from pathlib import Path

from sources.ransomware_live.parser import claim_record, date_field
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

FIXTURE = kind_fixtures("ransomware-live")


def ransomware_live_sources(path: Path, base_url: str) -> Path:
    common = {"kind": "ransomware-live", "publisher": "ransomware.live", "group": "discovery"}
    return write_toml_sources(
        path,
        [
            {
                "name": "rl-attacks",
                "url": f"{base_url}/v2/recentcyberattacks",
                "params": {"records": "attacks"},
                **common,
            },
            {
                "name": "rl-claims",
                "url": f"{base_url}/v2/recentvictims",
                "params": {"records": "claims"},
                **common,
            },
        ],
    )


def test_attacks_claims_and_press_articles(tmp_path):
    with serve_sources(FIXTURE) as web:
        crawl(ransomware_live_sources(tmp_path / "s.toml", web.base_url), tmp_path / "d")
        pages = stored_pages(tmp_path / "d")
        records = parsed_records([p for p in pages if p.content_kind != "html"], web.base_url)
        requested = sorted(hit.path for hit in web.hits if not hit.path.endswith("robots.txt"))
    # The press articles are followed (once each, tracking parameters dropped); nothing else.
    assert requested == [
        "/press/acme-widgets-ransomware.html",
        "/press/harbour-council-cyber-attack.html",
        "/press/northwind-downtime.html",
        "/v2/recentcyberattacks",
        "/v2/recentvictims",
    ]
    articles = sorted((p.url.rsplit("/", 1)[1], p.source) for p in pages if p.content_kind == "html")
    assert articles == [
        ("acme-widgets-ransomware.html", "rl-attacks"),
        ("harbour-council-cyber-attack.html", "rl-attacks"),
        ("northwind-downtime.html", "rl-attacks"),
    ]

    # No leak-site link anywhere in the store, whatever the field.
    for page in pages:
        assert b".onion" not in page.body and b".onion" not in page.url.encode()
        assert b"lockbitapt" not in page.body and b"images.ransomware.live" not in page.body

    report = latest_report(tmp_path / "d", "ransomware-live")["sources"]
    assert report["rl-attacks"]["skipped_reasons"] == {"no_victim": 1, "duplicate_in_crawl": 1}
    assert report["rl-attacks"]["stored"] == 6 + 3 and report["rl-claims"]["stored"] == 2

    claims = [r for r in records if r["content_kind"] == "leak-claim"]
    assert all(r["structured"]["is_incident"] is False and r["record_fields"]["claim"] for r in claims)
    attacks = {
        r["record_fields"]["victim"]: r for r in records if r["content_kind"] == "ransomware-live-attack"
    }
    assert attacks["Mittelstand Maschinenbau GmbH"]["structured"] == {
        "is_incident": True,
        "victims": ["Mittelstand Maschinenbau GmbH"],
        "countries": ["DE"],
        "attackers": ["Play"],
    }
    # An "attack" citing only a leak post is a claim: no link kept, not an incident.
    ridgeline = attacks["Ridgeline Logistics"]
    assert ridgeline["record_fields"]["press_url"] is None and ridgeline["record_fields"]["claim"] is True
    assert ridgeline["structured"]["is_incident"] is False and "victims" not in ridgeline["structured"]
    assert_matches_expected(records, FIXTURE / "expected.json")


def test_429_retry_after_is_honoured(tmp_path):
    with serve_sources(FIXTURE) as web:
        web.scripts["/v2/recentvictims"] = [(429, {"Retry-After": "1"})]
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "rl-claims",
                    "kind": "ransomware-live",
                    "url": f"{web.base_url}/v2/recentvictims",
                    "publisher": "ransomware.live",
                    "params": {"records": "claims"},
                }
            ],
        )
        crawl(sources, tmp_path / "d", "-s", "RETRY_TIMES=2", "-s", "RETRY_BACKOFF_BASE=0.1")
        first, second = web.hits_to("/v2/recentvictims")
    assert second.at - first.at >= 0.95
    assert latest_report(tmp_path / "d", "ransomware-live")["sources"]["rl-claims"]["stored"] == 2


def test_field_types_that_vary():
    assert date_field("2024-06-03").isoformat() == "2024-06-03T00:00:00+00:00"
    assert date_field("2024-06-03 10:11:12.123456").isoformat() == "2024-06-03T10:11:12.123456+00:00"
    assert date_field(1717372800).isoformat() == "2024-06-03T00:00:00+00:00"
    assert date_field("1717372800000").isoformat() == "2024-06-03T00:00:00+00:00"
    assert date_field("") is None and date_field("soon") is None
    claim = claim_record(
        {
            "victim": "X",
            "group": "g",
            "domain": "abcdefghijklmnop.onion",
            "description": "see http://x.example/leak",
            "claim_url": "http://a.onion/p",
        }
    )
    assert claim["domain"] is None and "x.example" not in json.dumps(claim) and "claim_url" not in claim
