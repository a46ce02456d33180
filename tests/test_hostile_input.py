"""Hostile pages and hostile sources files: wrong charsets, pathological nesting, unsafe source
names and bad settings get a right answer or a clear error, and lose nothing else (issue 13,
rows 7, 9, 11 and 12)."""

from __future__ import annotations

import json
import logging

import pytest

from core.config import DataDir
from core.raw_store import RawStore
from core.records import PageItem
from core.sources import SourcesFileError, load_sources
from incidents.cli import main
from pipelines import extracted
from pipelines.extract import run_extract
from tests.conftest import run_cli, write_sources

ZURICH = (
    "<html><head><meta charset=shift_jis><title>Ransomware hits Zürich water utility</title></head>"
    "<body><article><h1>Ransomware hits Zürich water utility</h1><p>The city of Zürich said on "
    "Tuesday that a ransomware attack had stopped the billing systems of its water utility, and "
    "that customers in Zürich and Küsnacht would receive their bills late.</p></article></body></html>"
).encode()
DEEP_TEXT = "Acme Corp said attackers stole customer data in a ransomware attack last week."


def extract_pages(tmp_path, pages: dict[str, tuple[bytes, str]]) -> dict[str, dict]:
    """Store the pages (url -> body, content type) as a crawl would, extract them (no spaCy)."""
    data_dir = DataDir(tmp_path / "d")
    with RawStore(data_dir.raw) as store:
        for url, (body, content_type) in pages.items():
            store.add(PageItem(url, url, url, "hostile", 200, [("Content-Type", content_type)], body, "H"))
    run_extract(data_dir, None)
    return {row["url"]: row for row in extracted.read_table(data_dir.extracted).to_pylist()}


# ---- row 7: charsets that disagree -----------------------------------------------------------


def test_row7_utf8_served_as_latin1_with_a_shift_jis_meta_reads_right_crawled_or_from_a_file(
    tmp_path, capsys
):
    url = "https://news.example/zurich"
    row = extract_pages(tmp_path, {url: (ZURICH, "text/html; charset=iso-8859-1")})[url]
    assert row["title"] == "Ransomware hits Zürich water utility"
    assert "Zürich and Küsnacht" in row["text"] and "Ã" not in row["text"]
    page = tmp_path / "zurich.html"
    page.write_bytes(ZURICH)
    assert main(["parse", str(page)]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert (parsed["title"], parsed["text"]) == (row["title"], row["text"])  # one decoder for both


def test_row7_declared_charsets_still_win_when_they_decode_cleanly(tmp_path):
    latin = "<html><head><title>Café attaqué à Genève</title></head><body><p>Le café a été attaqué.</p></body></html>"
    japanese = "<html><head><title>東京の病院にランサムウェア攻撃</title></head><body><p>病院の電子カルテが停止した。</p></body></html>"
    rows = extract_pages(
        tmp_path,
        {
            "https://news.example/cafe": (latin.encode("cp1252"), "text/html; charset=windows-1252"),
            "https://news.example/tokyo": (japanese.encode("shift_jis"), "text/html; charset=shift_jis"),
        },
    )
    assert rows["https://news.example/cafe"]["title"] == "Café attaqué à Genève"
    assert rows["https://news.example/tokyo"]["title"] == "東京の病院にランサムウェア攻撃"


# ---- row 9: 100k nested tags --------------------------------------------------------------------


def test_row9_a_page_of_100k_nested_tags_falls_back_to_flat_text_or_a_logged_parse_error(tmp_path, caplog):
    def nested(inner: str) -> bytes:
        return (
            "<html><head><title>Deep page about the Acme breach</title></head><body>"
            + "<div>" * 100_000
            + inner
            + "</div>" * 100_000
            + "</body></html>"
        ).encode()

    with caplog.at_level(logging.WARNING, logger="pipelines.extract"):
        rows = extract_pages(
            tmp_path,
            {
                "https://news.example/deep": (nested(f"<p>{DEEP_TEXT}</p>"), "text/html"),
                "https://news.example/empty": (nested(""), "text/html"),
            },
        )
    deep, empty = rows["https://news.example/deep"], rows["https://news.example/empty"]
    assert deep["text"] == DEEP_TEXT and deep["title"] == "Deep page about the Acme breach"
    assert "nested deeper" in deep["parse_error"]  # said, not silent
    assert empty["text"] == "" and "nested deeper" in empty["parse_error"]
    assert "no text from https://news.example/empty" in caplog.text


# ---- rows 11 and 12: unsafe names, bad settings ---------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/x", "a/b", "", ".hidden", "name with spaces", "x" * 81])
def test_row11_unsafe_source_names_are_refused_when_the_file_is_read(tmp_path, name):
    path = write_sources(
        tmp_path / "s.toml", [{"name": name, "kind": "feed", "url": "http://x/f", "publisher": "P"}]
    )
    with pytest.raises(SourcesFileError) as caught:
        load_sources(path)
    assert str(path) in str(caught.value) and "source #1" in str(caught.value)


def test_row11_a_crawl_of_an_unsafe_name_stops_with_a_message_and_writes_nothing_outside(tmp_path):
    path = write_sources(
        tmp_path / "s.toml", [{"name": "../../etc/x", "kind": "feed", "url": "http://x/f", "publisher": "P"}]
    )
    result = run_cli(
        "crawl", "--sources", str(path), "--data-dir", str(tmp_path / "a" / "b" / "d"), timeout=60
    )
    assert result.returncode == 2
    assert "name must be" in result.stderr and str(path) in result.stderr and "'../../etc/x'" in result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "a" / "b" / "d").iterdir()) == [".lock"]
    assert not (tmp_path / "a" / "etc").exists()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"delay": "abc"}, "settings.delay must be a number of seconds (0 or more), got 'abc'"),
        ({"delay": -1}, "settings.delay must be a number of seconds (0 or more), got -1"),
        ({"concurrency": 0}, "settings.concurrency must be a whole number of requests (1 or more), got 0"),
        ({"conditional": "no"}, "settings.conditional must be true or false, got 'no'"),
        ({"dealy": 2}, "settings: unknown key 'dealy' (known: delay, concurrency, conditional)"),
    ],
)
def test_row12_bad_settings_name_the_file_the_entry_and_the_key(tmp_path, settings, expected):
    entry = {"name": "slow-site", "kind": "feed", "url": "http://x/f", "publisher": "P", "settings": settings}
    path = write_sources(tmp_path / "s.toml", [entry])
    with pytest.raises(SourcesFileError) as caught:
        load_sources(path)
    assert str(caught.value) == f"{path}: source #1 ('slow-site'): {expected}"


def test_row12_a_crawl_with_a_bad_delay_stops_with_that_message_not_a_traceback(tmp_path):
    entry = {
        "name": "slow-site",
        "kind": "feed",
        "url": "http://x/f",
        "publisher": "P",
        "settings": {"delay": "abc"},
    }
    path = write_sources(tmp_path / "s.toml", [entry])
    result = run_cli("crawl", "--sources", str(path), "--data-dir", str(tmp_path / "d"), timeout=60)
    assert result.returncode == 2
    assert f"{path}: source #1 ('slow-site'): settings.delay must be" in result.stderr
    assert "Traceback" not in result.stderr
