"""incidents backfill: a WARC in Common Crawl's CC-NEWS layout, read on a real Dask LocalCluster."""

from __future__ import annotations

import json

from conftest import run_cli

from analysis import load_dataset
from bench.backfill import write_cc_news_warc
from core.config import SAMPLE_WEB, DataDir
from core.raw_store import RawStore
from pipelines.backfill import Prefilter, prefilter_recall, read_warc, run_backfill

SECURITY = [
    "packetledger/2023/01/royal-mail-export-disruption.html",
    "breachdesk/2024/02/change-healthcare-cyberattack-pharmacies.html",
]
NOT_SECURITY = "<html><head><title>Local team wins the cup</title></head><body><article><p>{}</p></article></body></html>"
SPORT = "The home side won the final in extra time after a goal from the captain, and the crowd sang. " * 8


def _page(path: str) -> bytes:
    return (SAMPLE_WEB / "web" / path).read_bytes().replace(b"__BASE_URL__", b"https://news.example")


def _pages() -> list[tuple[str, bytes, str]]:
    pages = [(f"https://news.example/{p}", _page(p), "text/html; charset=utf-8") for p in SECURITY]
    pages.append(
        ("https://news.example/sport/cup-final.html", NOT_SECURITY.format(SPORT).encode(), "text/html")
    )
    pages.append(("https://news.example/logo.png", b"\x89PNG....", "image/png"))
    pages.append(("https://news.example/gone.html", b"", "text/html"))
    return pages


def test_warc_reader_reads_cc_news_responses(tmp_path):
    warc = write_cc_news_warc(tmp_path / "CC-NEWS-20240101000000-00000.warc.gz", _pages())
    pages = list(read_warc(warc))
    assert [p.url for p in pages] == [url for url, _, _ in _pages()]
    assert pages[0].status == 200 and pages[0].body == _page(SECURITY[0]) and pages[-1].status == 404
    assert [p.url for p in read_warc(warc, 1, 2)] == [url for url, _, _ in _pages()][1::2]


def test_backfill_on_a_local_cluster_of_two_writes_what_the_crawl_path_writes(tmp_path):
    warc = write_cc_news_warc(tmp_path / "CC-NEWS-20240101000000-00000.warc.gz", _pages())
    data_dir = DataDir(tmp_path / "d")
    summary = run_backfill([warc], data_dir, workers=2, processes=False)
    assert summary.workers == 2 and summary.records == 5
    assert (summary.not_html, summary.dropped, summary.articles) == (2, 1, 2)
    with RawStore(data_dir.raw) as store:
        stored = {page.url for page in store.pages()}
        assert stored == {url for url, _, _ in _pages()[:2]}
        assert list(store.pages(not_processed_by="extract")) == []  # extracted already
    again = run_backfill([warc], data_dir, workers=2, processes=False)
    assert (again.already_stored, again.articles) == (2, 0)  # a re-run stores nothing twice

    built = run_cli("build", "--data-dir", str(data_dir.root))
    assert built.returncode == 0, built.stderr[-2000:]
    articles = load_dataset(data_dir)["articles"]
    assert len(articles) == 2 and articles["is_incident"].all()
    assert set(articles["incident_id"].str.split("-").str[0]) == {"royal", "change"}


def test_backfill_command_and_missing_file(tmp_path):
    done = run_cli("backfill", str(tmp_path / "nope.warc.gz"), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2 and "no such WARC file" in done.stderr


def test_prefilter_keeps_the_incidents_of_the_sample_gold():
    prefilter = Prefilter.from_file()
    gold = [json.loads(line) for line in (SAMPLE_WEB / "gold.jsonl").read_text().splitlines()]
    kept, total = prefilter_recall(prefilter, gold)
    assert total > 30 and kept / total >= 0.98
    assert (
        not prefilter.keeps(SPORT)
        and prefilter.keeps("Hackers STOLE data")
        and not prefilter.keeps("shackles")
    )
