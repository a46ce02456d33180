"""Google News RSS: items' news.google.com links decoded (old tokens offline, new tokens through
the injected decoder), the articles fetched and stored as HTML of the google-news source."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from sources.google_news.spider import GoogleNewsSpider, decode_old_token, is_google_news_link
from tests.test_sources_registry import (
    CONTACT,
    crawl,
    kind_fixtures,
    latest_report,
    serve_sources,
    stored_pages,
    write_toml_sources,
)

FIXTURE = kind_fixtures("google-news")
SEARCH = "/rss/search?q=%22cyber+attack%22+when:1d&hl=en-US&gl=US&ceid=US:en"
# Tokens made before July 2024: the article URL is inside (the first one also carries an AMP URL).
OLD_TOKEN = (
    "CBMib2h0dHBzOi8vd3d3LmJsZWVwaW5nY29tcHV0ZXIuY29tL25ld3Mvc2VjdXJpdHkvYWNtZS13aWRnZXRzLWNvbmZpcm1zLXJhbnNv"
    "bXdhcmUtYXR0YWNrLWRpc3J1cHRlZC1tYW51ZmFjdHVyaW5nL9IBc2h0dHBzOi8vd3d3LmJsZWVwaW5nY29tcHV0ZXIuY29tL25ld3Mv"
    "c2VjdXJpdHkvYWNtZS13aWRnZXRzLWNvbmZpcm1zLXJhbnNvbXdhcmUtYXR0YWNrLWRpc3J1cHRlZC1tYW51ZmFjdHVyaW5nL2FtcC8"
)
OLD_TOKEN_SHORT = "CBMiM2h0dHBzOi8vdGhlcmVjb3JkLm1lZGlhL2tlc3RyZWwtYWlybGluZXMtcmFuc29td2FyZdIBAA"
DECODED = json.loads((FIXTURE / "decoded.json").read_text())


def fake_decoder(urls: list[str], user_agent: str) -> list[str | None]:
    """What Google would answer for the fixture's new-format tokens; records each call."""
    with open(os.environ["GNEWS_DECODER_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"urls": urls, "user_agent": user_agent}) + "\n")
    base = os.environ["GNEWS_FIXTURE_BASE"]
    answers = [DECODED.get(url.split("/articles/")[1].split("?")[0]) for url in urls]
    return [f"{base}{path}" if path else None for path in answers]


def google_news_sources(path: Path, base_url: str) -> Path:
    return write_toml_sources(
        path,
        [
            {
                "name": "gn-cyber-attack",
                "kind": "google-news",
                "url": f"{base_url}{SEARCH}",
                "publisher": "Google News",
                "group": "discovery",
            }
        ],
    )


def test_links_are_decoded_and_articles_stored_under_the_google_news_source(tmp_path):
    log = tmp_path / "decoder.jsonl"
    with serve_sources(FIXTURE) as web:
        crawl(
            google_news_sources(tmp_path / "s.toml", web.base_url),
            tmp_path / "d",
            "-s",
            "GOOGLE_NEWS_DECODER=tests.test_sources_google_news:fake_decoder",
            env={"GNEWS_FIXTURE_BASE": web.base_url, "GNEWS_DECODER_LOG": str(log)},
        )
        pages = stored_pages(tmp_path / "d")
        stored = sorted(
            (
                {
                    "url": p.url.replace(web.base_url, "__BASE_URL__"),
                    "source": p.source,
                    "publisher": p.publisher,
                    "content_kind": p.content_kind,
                }
                for p in pages
            ),
            key=lambda page: page["url"],
        )
        requested = [hit.path for hit in web.hits if not hit.path.endswith("robots.txt")]
    # New-format tokens all went to the decoder, in one batch, with our User-Agent.
    [call] = [json.loads(line) for line in log.read_text().splitlines()]
    assert [url.split("/articles/")[1].split("?")[0] for url in call["urls"]] == list(DECODED)
    assert CONTACT in call["user_agent"]
    # Nothing was asked of news.google.com itself; the article seen twice was fetched once.
    assert sorted(requested) == [
        "/outlets/harbour-council-cyber-attack.html",
        "/outlets/kestrel-airlines-ransomware.html",
        "/rss/search",
    ]
    assert stored == json.loads((FIXTURE / "expected.json").read_text())
    report = latest_report(tmp_path / "d", "google-news")["sources"]["gn-cyber-attack"]
    assert report["stored"] == 2
    assert report["skipped_reasons"] == {"undecodable_link": 1, "duplicate_in_crawl": 1}


def test_old_tokens_decode_offline_and_new_ones_go_to_the_decoder():
    assert decode_old_token(f"https://news.google.com/rss/articles/{OLD_TOKEN}?oc=5") == (
        "https://www.bleepingcomputer.com/news/security/"
        "acme-widgets-confirms-ransomware-attack-disrupted-manufacturing/"
    )
    assert decode_old_token(f"https://news.google.com/rss/articles/{OLD_TOKEN_SHORT}") == (
        "https://therecord.media/kestrel-airlines-ransomware"
    )
    new_token = next(iter(DECODED))
    assert decode_old_token(f"https://news.google.com/rss/articles/{new_token}?oc=5") is None
    assert decode_old_token("https://news.google.com/rss/articles/not*base64!") is None
    assert is_google_news_link("https://news.google.com/read/CBMiabc") and not is_google_news_link(
        "https://example.com/rss/articles/CBMiabc"
    )

    calls: list[list[str]] = []

    def decoder(urls: list[str], user_agent: str) -> list[str | None]:
        calls.append(urls)
        return ["https://decoded.example/one"] * len(urls)

    spider = GoogleNewsSpider.__new__(GoogleNewsSpider)
    spider.decoder = decoder
    spider.settings = {"USER_AGENT": "ua"}
    links = [
        f"https://news.google.com/rss/articles/{OLD_TOKEN_SHORT}",
        f"https://news.google.com/rss/articles/{new_token}?oc=5",
        "https://outlet.example/direct-link",
    ]
    decoded = asyncio.run(spider.decode(links))
    assert calls == [[links[1]]]
    assert decoded == [
        "https://therecord.media/kestrel-airlines-ransomware",
        "https://decoded.example/one",
        "https://outlet.example/direct-link",
    ]
