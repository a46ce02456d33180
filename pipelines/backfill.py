"""Backfill from web archives: WARC files of any origin (Common Crawl's CC-NEWS included) →
the raw store and the extracted articles, exactly what a crawl and `incidents extract` write.

The work runs as dask.distributed tasks, on a LocalCluster when no scheduler is given: each
task reads one WARC file, or one slice of it (every `slices`-th response record) when there
are fewer files than workers, drops pages a cheap prefilter says are clearly not about
security (no word of data/prefilter/security-terms.txt in the HTML) before any parsing or
spaCy work, and parses and analyses the rest. The client stores what the tasks return, in
one process, so the raw store's index and the extracted parts stay as the crawl path leaves
them; pages already stored (by canonical URL) are skipped, so a backfill can be re-run.

WARC reading uses FastWARC (resiliparse's Rust-backed reader), or warcio where FastWARC is
not installed; both read .warc and .warc.gz.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.config import REPO_DATA, DataDir
from core.raw_store import RawStore, StoredPage
from core.records import PageItem
from core.urls import canonical_url
from pipelines import extracted
from pipelines.extract import STAGE, analyse_rows, parse_page

log = logging.getLogger(__name__)
PREFILTER_TERMS = REPO_DATA / "prefilter" / "security-terms.txt"
HTML_TYPES = ("text/html", "application/xhtml")
SOURCE = "warc"


@dataclass(frozen=True)
class WarcPage:
    """One HTTP response read from a WARC file."""

    url: str
    date: datetime
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_warc(path: Path, slice_index: int = 0, slices: int = 1) -> Iterator[WarcPage]:
    """The response records of a WARC file (every `slices`-th one from `slice_index`)."""
    try:
        from fastwarc.warc import ArchiveIterator, WarcRecordType
    except ImportError:  # pragma: no cover - FastWARC is a dependency; warcio reads the same files
        yield from _read_warc_warcio(path, slice_index, slices)
        return
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=True)
        for index, record in enumerate(records):
            if index % slices != slice_index or record.http_headers is None:
                continue
            yield WarcPage(
                url=record.headers.get("WARC-Target-URI", ""),
                date=_utc(record.record_date),
                status=record.http_headers.status_code or 0,
                headers=[(k, v) for k, v in record.http_headers.items()],
                body=record.reader.read(),
            )


def _read_warc_warcio(path: Path, slice_index: int, slices: int) -> Iterator[WarcPage]:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        index = -1
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            index += 1
            if index % slices != slice_index:
                continue
            date = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00"))
            yield WarcPage(
                url=record.rec_headers.get_header("WARC-Target-URI") or "",
                date=_utc(date),
                status=int(record.http_headers.get_statuscode() or 0),
                headers=list(record.http_headers.headers),
                body=record.content_stream().read(),
            )


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Prefilter:
    """Keeps a page when its HTML (or text) holds one of the terms at the start of a word."""

    def __init__(self, terms: Iterable[str]) -> None:
        words = sorted({t.strip().lower() for t in terms if t.strip()}, key=len, reverse=True)
        pattern = "|".join(r"\s+".join(re.escape(part) for part in word.split()) for word in words)
        self.terms = words
        self._pattern = re.compile(rb"(?<![a-z0-9])(?:" + pattern.encode() + rb")", re.IGNORECASE)

    @classmethod
    def from_file(cls, path: Path = PREFILTER_TERMS) -> Prefilter:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls(line for line in lines if line.strip() and not line.lstrip().startswith("#"))

    def keeps(self, content: bytes | str) -> bool:
        data = content.encode("utf-8", "ignore") if isinstance(content, str) else content
        return self._pattern.search(data) is not None


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((v.lower() for k, v in headers if k.lower() == "content-type"), "text/html")


_local = threading.local()


def _analyzer(model: str | None):
    """One spaCy pipeline per worker thread, loaded on its first task; in one process (Dask's
    workers are the parallelism, and a daemonic worker may not start processes of its own)."""
    cached = getattr(_local, "analyzers", None)
    if cached is None:
        cached = _local.analyzers = {}
    if model not in cached:
        from pipelines.nlp import ANALYZER_VERSION, Analyzer

        cached[model] = (Analyzer(model=model, n_process=1).analyze, ANALYZER_VERSION)
    return cached[model]


@dataclass
class SliceResult:
    """What one task found in its slice: the kept pages with their article rows."""

    path: str
    records: int = 0
    not_html: int = 0
    dropped: int = 0
    pages: list[tuple[PageItem, dict]] = field(default_factory=list)
    seconds: float = 0.0


def process_slice(
    path: str, slice_index: int, slices: int, terms: list[str], model: str | None, analysis: bool = True
) -> SliceResult:
    """A Dask task: read, prefilter, parse and analyse one slice of a WARC file."""
    started = time.perf_counter()
    prefilter = Prefilter(terms)
    result = SliceResult(path)
    rows: list[dict] = []
    for page in read_warc(Path(path), slice_index, slices):
        result.records += 1
        if page.status != 200 or not any(t in _content_type(page.headers) for t in HTML_TYPES):
            result.not_html += 1
            continue
        if not prefilter.keeps(page.body):
            result.dropped += 1
            continue
        try:
            canonical = canonical_url(page.url)
        except ValueError:
            result.not_html += 1
            continue
        item = PageItem(
            url=page.url,
            requested_url=page.url,
            canonical_url=canonical,
            source=SOURCE,
            status=page.status,
            headers=page.headers,
            body=page.body,
            publisher=None,
            fetched_at=page.date,
        )
        stored = StoredPage(
            record_id=f"<urn:uuid:{uuid.uuid4()}>",
            canonical_url=canonical,
            url=page.url,
            requested_url=page.url,
            source=SOURCE,
            publisher=None,
            content_kind="html",
            status=page.status,
            fetched_at=page.date,
            headers={k.lower(): v for k, v in page.headers},
            body=page.body,
        )
        row = parse_page(stored)
        rows.append(row)
        result.pages.append((item, row))
    analyze, version = _analyzer(model) if analysis and rows else (None, "parse-only")
    analyse_rows(rows, analyze, version)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class BackfillSummary:
    files: int = 0
    records: int = 0
    not_html: int = 0
    dropped: int = 0
    already_stored: int = 0
    articles: int = 0
    incidents: int = 0
    seconds: float = 0.0
    workers: int = 0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def run_backfill(
    warcs: list[Path],
    data_dir: DataDir,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    processes: bool = True,
    slices_per_file: int | None = None,
    model: str | None = None,
    analysis: bool = True,
    terms_file: Path = PREFILTER_TERMS,
) -> BackfillSummary:
    """Read WARC files into D/raw and D/extracted on a Dask cluster (a LocalCluster of
    `workers` when no `scheduler` address is given)."""
    from dask.distributed import Client, LocalCluster, as_completed

    missing = [str(p) for p in warcs if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"no such WARC file: {', '.join(missing)}")
    terms = Prefilter.from_file(terms_file).terms
    started = time.perf_counter()
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None
        )
        client = Client(cluster)
    summary = BackfillSummary(files=len(warcs), workers=len(client.scheduler_info()["workers"]))
    # A task per file; a file is sliced only when there are fewer files than workers (every
    # slice decompresses the whole file, so slicing trades reading for parallel analysis).
    slices = slices_per_file or max(1, -(-summary.workers // len(warcs)))
    try:
        futures = [
            client.submit(
                process_slice, str(Path(path).resolve()), index, slices, terms, model, analysis, pure=False
            )  # fmt: skip
            for path in warcs
            for index in range(slices)
        ]
        with RawStore(data_dir.raw) as store:
            for future in as_completed(futures):
                _store(future.result(), store, data_dir, summary)
                future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _store(result: SliceResult, store: RawStore, data_dir: DataDir, summary: BackfillSummary) -> None:
    """What a task returned → the raw store (as the crawl stores) and an extracted part (as
    `incidents extract` writes), the pages marked as extracted."""
    summary.records += result.records
    summary.not_html += result.not_html
    summary.dropped += result.dropped
    rows = []
    for item, row in result.pages:
        record_id = store.add(item, prefix="backfill")
        if record_id is None:
            summary.already_stored += 1
            continue
        row["record_id"] = record_id
        rows.append(row)
    extracted.write_batch(data_dir.extracted, rows)
    store.mark_processed(STAGE, [row["record_id"] for row in rows])
    summary.articles += len(rows)
    summary.incidents += sum(bool(row.get("is_incident")) for row in rows)
    log.info("%s: %s records, %s kept, %s dropped by the prefilter (%.1f s)",
             Path(result.path).name, result.records, len(result.pages), result.dropped, result.seconds)  # fmt: skip


def prefilter_recall(prefilter: Prefilter, documents: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(incident articles kept, incident articles) over documents with title, text, is_incident."""
    kept = total = 0
    for document in documents:
        if document.get("is_incident"):
            total += 1
            kept += prefilter.keeps(f"{document.get('title') or ''}\n{document.get('text') or ''}")
    return kept, total
