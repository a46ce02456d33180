"""The sources file: valid entries load; every mistake names the file, the entry and the problem."""

from pathlib import Path

import pytest

from core.config import DEFAULT_SOURCES
from core.sources import SourcesFileError, load_sources
from tests.conftest import run_cli

KINDS = {"feed", "sitemap"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path):
    path = write(
        tmp_path,
        """
[[sources]]
name = "example-news"
kind = "feed"
url = "http://127.0.0.1:8000/example-news/feed.xml"
publisher = "Example News"
country = "GB"
headers = { "Accept-Encoding" = "gzip" }
""",
    )
    [source] = load_sources(path, KINDS)
    assert source.name == "example-news" and source.kind == "feed"
    assert source.headers == {"Accept-Encoding": "gzip"}


@pytest.mark.parametrize(
    "body, message",
    [
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurl = "http://x/f"\n',
            "source #1 ('a'): missing publisher",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "carrier-pigeon"\nurl = "http://x/f"\npublisher = "A"\n',
            "source #1 ('a'): unknown kind 'carrier-pigeon'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurl = "ftp://x/f"\npublisher = "A"\n',
            "url must be an http(s) URL",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurl = "http://x/f"\npublisher = "A"\ncolour = "red"\n',
            "unknown key(s) colour",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurl = "http://x/f"\npublisher = "A"\n'
            '[[sources]]\nname = "a"\nkind = "feed"\nurl = "http://x/g"\npublisher = "A"\n',
            "source #2 ('a'): duplicate name",
        ),
        ('[[sources]\nname = "a"', "not valid TOML"),
        ('title = "no sources here"\n', "expected one or more [[sources]] tables"),
    ],
)
def test_errors_name_file_entry_and_problem(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(SourcesFileError) as caught:
        load_sources(path, KINDS)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(SourcesFileError, match="no such sources file"):
        load_sources(tmp_path / "nope.toml", KINDS)


def test_crawl_reports_a_bad_sources_file_without_a_traceback(tmp_path):
    path = write(
        tmp_path, '[[sources]]\nname = "a"\nkind = "telepathy"\nurl = "http://x/f"\npublisher = "A"\n'
    )
    result = run_cli("crawl", "--sources", str(path), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "unknown kind 'telepathy'" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_the_real_registry_is_valid_against_the_real_spiders(tmp_path):
    from core.config import DataDir
    from crawler.run import crawl_settings, load_crawlable_sources

    sources = load_crawlable_sources(DEFAULT_SOURCES, crawl_settings(DataDir(tmp_path)))
    assert len(sources) >= 12
