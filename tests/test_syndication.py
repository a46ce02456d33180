"""End to end over a generated web of four outlets whose pages state their date only in the
visible byline (or not at all, when the feed gives it, or nowhere), with wire stories
syndicated across the outlets weeks apart: every article gets a date with its source (an
undated copy its story's), and every syndicated copy lands in one incident. The stories are our own texts, written for this test."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from analysis.query import load_dataset
from sample_web.server import serve
from tests.conftest import FAST_CRAWL, run_cli, write_sources

STORIES = {
    "harbour": (
        "Ransomware attack halts cargo bookings at Northport Harbour Authority",
        date(2019, 3, 12),
        [
            "The Northport Harbour Authority said a ransomware attack had encrypted the servers that run "
            "its cargo booking portal, forcing staff to handle shipments by hand.",
            "Hackers demanded a payment in bitcoin to unlock the systems, the authority said, adding that "
            "it had reported the cyber attack to the national cyber security agency and the police.",
            "Lorry drivers described queues stretching back several miles from the gates on Monday while "
            "the booking portal stayed offline and paper forms were used instead.",
            "The authority said it had no evidence that customer payment data had been stolen but that "
            "forensic investigators were still examining the compromised servers.",
        ],
    ),
    "water": (
        "Cyber attack on Calder Valley Water: ransomware gang steals customer data",
        date(2020, 6, 3),
        [
            "Calder Valley Water was hit by a ransomware attack in which hackers broke into its billing "
            "system, encrypted its servers and stole names, addresses and bank details of customers.",
            "The utility said the intruders used a stolen password to reach a server that held records of "
            "more than two hundred thousand households across the valley.",
            "Water supplies were not affected by the cyber attack, the company said, and the information "
            "commissioner has been told about the breach.",
            "Customers have been advised to watch for phishing emails that use the stolen details to "
            "pretend to come from the water company.",
        ],
    ),
    "university": (
        "Brightmoor University shuts its network after a cyber attack",
        date(2021, 10, 21),
        [
            "Brightmoor University has shut down its computer network after a cyber attack that its "
            "technology staff said involved ransomware spreading across the campus servers.",
            "Lectures moved online and the library closed while the university worked with a specialist "
            "incident response firm to restore its systems from backups.",
            "The university said it was investigating whether research data or student records had been "
            "copied by the attackers before the files were encrypted.",
            "Students were told to change their passwords and to expect disruption to email and the "
            "course portal for at least two weeks.",
        ],
    ),
}
# (outlet, days after the wire's date, how the page states its date); the digest states none
# anywhere (no byline, a sitemap without dates): its copies take their story's earliest date.
OUTLETS = [("wire", 0, "byline"), ("daily", 3, "byline"), ("herald", 60, "feed"), ("digest", 9, "none")]


def page(outlet: str, title: str, paragraphs: list[str], byline: date | None) -> str:
    meta = f'<div class="meta">Published {byline.day} {byline:%B %Y}</div>' if byline else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} | The {outlet.title()}</title>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
        f"<article><h1>{title}</h1>{meta}{body}</article>"
        f"<footer><p>Copyright The {outlet.title()}. All rights reserved.</p></footer></body></html>"
    )


def build_web(root: Path) -> dict[str, dict]:
    """Pages and listings on disk; returns, per stored path, the date and source expected."""
    expected = {}
    for outlet, lag, dated_by in OUTLETS:
        items = []
        for slug, (title, day, paragraphs) in STORIES.items():
            published = day + timedelta(days=lag)
            path = f"{outlet}/{slug}.html"
            (root / outlet).mkdir(parents=True, exist_ok=True)
            byline = published if dated_by == "byline" else None
            (root / path).write_text(page(outlet, title, paragraphs, byline), encoding="utf-8")
            items.append((path, title, published))
            source = {"byline": "page_text", "feed": "feed", "none": "story"}[dated_by]
            expected[path] = {
                "date": day if dated_by == "none" else published,
                "source": source,
                "story": slug,
            }
        if outlet in ("daily", "digest"):  # a sitemap without dates: the byline, if any, is all there is
            urls = "".join(f"<url><loc>__BASE_URL__/{p}</loc></url>" for p, _, _ in items)
            (root / outlet / "sitemap.xml").write_text(
                f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            )
        else:  # RSS; only the herald's entries carry a pubDate
            entries = "".join(
                f"<item><title>{t}</title><link>__BASE_URL__/{p}</link>"
                + (f"<pubDate>{d:%a, %d %b %Y} 09:00:00 GMT</pubDate>" if dated_by == "feed" else "")
                + "</item>"
                for p, t, d in items
            )
            (root / outlet / "feed.xml").write_text(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>{entries}</channel></rss>'
            )
    return expected


def test_byline_only_pages_all_get_dates_and_syndicated_copies_share_an_incident(tmp_path):
    expected = build_web(tmp_path / "web")
    data = tmp_path / "data"
    with serve(tmp_path / "web") as base:
        sources = write_sources(
            tmp_path / "sources.toml",
            [
                {"name": "wire", "kind": "feed", "url": f"{base}/wire/feed.xml", "publisher": "The Wire"},
                {
                    "name": "daily",
                    "kind": "sitemap",
                    "url": f"{base}/daily/sitemap.xml",
                    "publisher": "Daily",
                },
                {"name": "herald", "kind": "feed", "url": f"{base}/herald/feed.xml", "publisher": "Herald"},
                {
                    "name": "digest",
                    "kind": "sitemap",
                    "url": f"{base}/digest/sitemap.xml",
                    "publisher": "Digest",
                },
            ],
        )
        crawl = run_cli("crawl", "--sources", str(sources), "--data-dir", str(data), *FAST_CRAWL)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
    extract = run_cli("extract", "--data-dir", str(data), "--jobs", "2")
    assert extract.returncode == 0, extract.stderr[-3000:]
    assert "page/s" in extract.stderr and "errors=0" in extract.stderr  # the progress bar
    build = run_cli("build", "--data-dir", str(data))
    assert build.returncode == 0, build.stderr[-3000:]

    articles = load_dataset(data, tables=["articles"])["articles"]
    articles["path"] = articles["url"].str.split("/", n=3).str[3]
    assert sorted(articles["path"]) == sorted(expected)
    for row in articles.itertuples():
        want = expected[row.path]
        assert pd.Timestamp(row.published_at).date() == want["date"], row.path
        assert row.published_source == want["source"], row.path
    # Each wire story and its three copies (3, 9 and 60 days later, past the 45-day incident gap; one
    # undated): one story, one incident, dated by the earliest copy.
    articles["story"] = articles["path"].map(lambda p: expected[p]["story"])
    assert articles["is_incident"].all(), articles.loc[~articles["is_incident"].astype(bool), "path"].tolist()
    for slug, copies in articles.groupby("story"):
        assert copies["incident_id"].nunique() == 1, (
            slug,
            copies[["path", "incident_id"]].to_dict("records"),
        )
        assert copies["story_id"].nunique() == 1, slug
        assert copies["incident_id"].iloc[0].endswith(STORIES[slug][1].strftime("%Y-%m")), slug
    assert articles["incident_id"].nunique() == len(STORIES)
