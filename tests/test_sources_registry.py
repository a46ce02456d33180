"""The real source registry, `incidents sources`, per-source politeness and conditional requests.

Also the helpers the per-kind source tests share: a local server that records every request
(headers, time), routes query strings to fixture files, answers conditional requests and
plays scripted statuses (429 + Retry-After), and parsed records compared to expected JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from core.config import DEFAULT_SOURCES, DataDir
from core.raw_store import RawStore, StoredPage
from crawler.run import crawl_settings, load_crawlable_sources, source_download_slots
from pipelines.parsing.registry import parser_for
from sample_web.server import PLACEHOLDER, TEMPLATED, SampleWebHandler
from sources.registry import KINDS, kinds
from tests.conftest import FAST_CRAWL, REPO, run_cli, write_sources


def kind_fixtures(kind: str) -> Path:
    """The fixtures folder of a source kind: sources/<kind>/fixtures."""
    return REPO / "sources" / kind.replace("-", "_") / "fixtures"


GROUPS = {"press", "official", "regulatory", "portal", "discovery"}
CONTACT = "research-desk@example.org"


# ---- a recording fixture server -----------------------------------------------------------


@dataclass
class Hit:
    path: str
    query: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


@dataclass
class SourceWeb:
    root: Path
    base_url: str = ""
    hits: list[Hit] = field(default_factory=list)
    # path → [(status, headers)] played in order before the file is served
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    def hits_to(self, prefix: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path.startswith(prefix)]

    def resolve(self, path: str, query: str) -> Path | None:
        """The file for path?query: a `k=v[&k=v].ext` file in the path's folder, or a
        `stem.k=v.ext` sibling, matching the query; else `default.*` or the file itself."""
        target = self.root / unquote(path).lstrip("/")
        pairs = set(parse_qsl(query, keep_blank_values=True))
        if target.is_dir():
            best, best_score = None, 0
            for candidate in sorted(target.iterdir()):
                wanted = set(parse_qsl(candidate.name.rsplit(".", 1)[0]))
                if wanted and wanted <= pairs and len(wanted) > best_score:
                    best, best_score = candidate, len(wanted)
            return best or next(iter(sorted(target.glob("default.*"))), None)
        for key, value in sorted(pairs):
            sibling = target.with_name(f"{target.stem}.{key}={value}{target.suffix}")
            if sibling.is_file():
                return sibling
        return target if target.is_file() else None


class RecordingHandler(SampleWebHandler):
    web: SourceWeb

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.web.hits.append(Hit(parts.path, parts.query, dict(self.headers.items()), time.monotonic()))
        script = self.web.scripts.get(parts.path)
        if script:
            status, headers = script.pop(0)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.web.resolve(parts.path, parts.query)
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = path.read_bytes()
        if path.suffix in TEMPLATED | {".html", ".htm"}:
            body = body.replace(PLACEHOLDER, self.web.base_url.encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """A form post is answered like a GET whose query is the form (file chosen by its fields)."""
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.web.hits.append(
            Hit(parts.path, parts.query, dict(self.headers.items()), time.monotonic(), "POST", body)
        )
        form = (
            body.decode("utf-8", "replace")
            if "form-urlencoded" in self.headers.get("Content-Type", "")
            else ""
        )
        path = self.web.resolve(parts.path, form or parts.query)
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        answer = path.read_bytes().replace(PLACEHOLDER, self.web.base_url.encode())
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@contextmanager
def serve_sources(root: Path) -> Iterator[SourceWeb]:
    """Serve a fixture folder on 127.0.0.1, recording every request."""
    web = SourceWeb(root)
    handler_class = type("Handler", (RecordingHandler,), {"web": web})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler_class, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    web.base_url = f"http://{host}:{port}"
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()


# ---- sources files, crawls, stored pages ---------------------------------------------------


# The name the source-kind tests import; the writer is the shared one.
write_toml_sources = write_sources


def crawl(sources: Path, data_dir: Path, *extra: str, env: dict[str, str] | None = None, ok: bool = True):
    result = run_cli(
        "crawl",
        "--sources",
        str(sources),
        "--data-dir",
        str(data_dir),
        *FAST_CRAWL,
        *extra,
        env={"INCIDENTS_CONTACT": CONTACT, **(env or {})},
        timeout=120,
    )
    if ok:
        assert result.returncode == 0, result.stderr[-4000:]
    return result


def latest_report(data_dir: Path, spider: str) -> dict:
    path = sorted((data_dir / "reports").glob(f"crawl-*-{spider}.json"))[-1]
    return json.loads(path.read_text())


def stored_pages(data_dir: Path) -> list[StoredPage]:
    with RawStore(data_dir / "raw") as store:
        return list(store.pages())


def parsed_records(pages: list[StoredPage], base_url: str) -> list[dict]:
    """Each stored record parsed by its registered parser, as JSON, with the server's address
    replaced by __BASE_URL__ so it compares with the expected file; sorted by URL."""
    records = []
    for page in pages:
        fields = parser_for(page.content_kind)(page)
        fields["content_kind"] = page.content_kind
        fields["source"] = page.source
        if fields.get("record_fields"):
            fields["record_fields"] = json.loads(fields["record_fields"])
        text = json.dumps(
            fields,
            default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
            ensure_ascii=False,
            sort_keys=True,
        )
        records.append(json.loads(text.replace(base_url, "__BASE_URL__")))
    return sorted(records, key=lambda r: (r["url"], r["title"] or ""))


def assert_matches_expected(records: list[dict], expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert [r["url"] for r in records] == [e["url"] for e in expected]
    for record, wanted in zip(records, expected):
        assert record == wanted, f"{record['url']} differs from {expected_file.name}"


# ---- the registry ---------------------------------------------------------------------------


def test_registry_has_45_real_sources_in_five_groups_with_terms(tmp_path):
    sources = load_crawlable_sources(DEFAULT_SOURCES, crawl_settings(DataDir(tmp_path)))
    assert len(sources) >= 45
    assert {s.group for s in sources} == GROUPS
    for source in sources:
        assert source.country and source.language and source.terms, source.name
        assert source.url.startswith("https://"), source.name
    by_group = {g: [s for s in sources if s.group == g] for g in GROUPS}
    assert len(by_group["press"]) >= 12 and len(by_group["official"]) >= 9
    # Every kind the registry knows has at least one real source.
    assert {s.kind for s in sources} == set(KINDS)


def test_registry_kinds_are_the_spiders_and_every_stored_kind_has_a_parser():
    result = run_cli("sources")
    assert result.returncode == 0, result.stderr
    from scrapy.spiderloader import SpiderLoader

    spiders = set(SpiderLoader.from_settings(crawl_settings(DataDir(Path("unused")))).list())
    assert spiders == set(KINDS)
    for declared in kinds():
        assert declared.load(declared.spider).name == declared.name
        for content_kind in declared.parsers:
            assert callable(parser_for(content_kind)), content_kind


def test_sources_command_lists_every_source_with_its_group():
    result = run_cli("sources")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = lines[1:-1]
    assert len(rows) >= 25
    assert {line.split()[2] for line in rows} == GROUPS
    assert "sec-8k-item-1-05" in result.stdout and "https://efts.sec.gov/LATEST/search-index" in result.stdout
    assert lines[-1].startswith(f"{len(rows)} sources")


def test_sources_check_fetches_each_once_and_reports(tmp_path):
    with serve_sources(kind_fixtures("feed")) as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "ok-feed",
                    "kind": "feed",
                    "url": f"{web.base_url}/feed.xml",
                    "publisher": "Fixture",
                    "group": "press",
                    "headers": {"Accept-Encoding": "gzip"},
                },
                {
                    "name": "gone",
                    "kind": "feed",
                    "url": f"{web.base_url}/missing.xml",
                    "publisher": "Fixture",
                    "group": "official",
                },
            ],
        )
        result = run_cli(
            "sources", "--sources", str(sources), "--check", "--allow-private-addresses",
            env={"INCIDENTS_CONTACT": CONTACT},
        )  # fmt: skip
    assert result.returncode == 1  # one source failed
    ok_line = next(line for line in result.stdout.splitlines() if line.startswith("ok-feed"))
    gone_line = next(line for line in result.stdout.splitlines() if line.startswith("gone"))
    assert "HTTP 200" in ok_line and "3 entries" in ok_line
    assert "HTTP 404" in gone_line
    feed_hit = web.hits_to("/feed.xml")[0]
    assert feed_hit.headers["Accept-Encoding"] == "gzip" and CONTACT in feed_hit.headers["User-Agent"]
    assert "http" not in feed_hit.headers["User-Agent"]  # some agency sites drop UAs with URLs


# ---- politeness: per-source slots, conditional requests ----------------------------------------


def test_source_settings_become_download_slots(tmp_path):
    sources = write_toml_sources(
        tmp_path / "s.toml",
        [
            {
                "name": "a",
                "kind": "feed",
                "url": "https://news.example/a.xml",
                "publisher": "A",
                "settings": {"delay": 2.0},
            },
            {
                "name": "b",
                "kind": "feed",
                "url": "https://news.example/b.xml",
                "publisher": "B",
                "settings": {"delay": 5, "concurrency": 1},
            },
            {"name": "c", "kind": "feed", "url": "https://other.example/c.xml", "publisher": "C"},
        ],
    )
    from core.sources import load_sources

    assert source_download_slots(load_sources(sources)) == {
        "news.example": {"delay": 5.0, "jitter": 0, "concurrency": 1}
    }


def test_per_source_delay_holds_and_unchanged_listings_are_not_refetched(tmp_path):
    with serve_sources(kind_fixtures("feed")) as web:
        sources = write_toml_sources(
            tmp_path / "s.toml",
            [
                {
                    "name": "slow-feed",
                    "kind": "feed",
                    "url": f"{web.base_url}/feed.xml",
                    "publisher": "Fixture",
                    "settings": {"delay": 0.4, "concurrency": 1},
                },
            ],
        )
        crawl(sources, tmp_path / "d")
        first = [hit.at for hit in web.hits if not hit.path.endswith("robots.txt")]
        gaps = [b - a for a, b in zip(first, first[1:])]
        assert len(first) == 4 and min(gaps) >= 0.35  # the feed and its three articles, 0.4 s apart
        report = latest_report(tmp_path / "d", "feed")["sources"]["slow-feed"]
        assert report["stored"] == 3 and report["failed"] == 0

        web.hits.clear()
        result = crawl(sources, tmp_path / "d")
        feed_hits = web.hits_to("/feed.xml")
        assert len(feed_hits) == 1 and feed_hits[0].headers.get("If-None-Match")
        assert [hit.path for hit in web.hits if not hit.path.endswith("robots.txt")] == ["/feed.xml"]
        report = latest_report(tmp_path / "d", "feed")["sources"]["slow-feed"]
        assert report["skipped_reasons"] == {"listing_unchanged": 1}
        assert report["failed"] == 0
        assert "listing_unchanged 1" in result.stdout
