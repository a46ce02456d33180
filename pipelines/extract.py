"""The extract stage: stored pages → parsed articles → analysed articles, in batches.

Runs outside the crawl, on the raw store, so it can be re-run alone when the parser or the
analyser improves (--all). One bad page gets an error column and loses nothing else.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from core.config import DataDir
from core.raw_store import RawStore, StoredPage
from core.records import ANALYSIS_COLUMNS, AnalysisRecord
from core.urls import article_id, canonical_url
from pipelines import extracted
from pipelines.parsing import ParseError
from pipelines.parsing.registry import UnknownContentKind, parser_for

STAGE = "extract"
log = logging.getLogger(__name__)

# Analysis: documents {id, title, text, url, published} in, analysis records out, in order.
Analyze = Callable[[Iterable[dict]], Iterator[AnalysisRecord]]


@dataclass
class ExtractSummary:
    pages: int = 0
    parsed: int = 0
    parse_errors: int = 0
    analysis_errors: int = 0
    incidents: int = 0
    errors: list[str] = field(default_factory=list)


def parse_page(page: StoredPage) -> dict:
    """A stored page as an extracted-article row with its parsed fields (or a parse_error)."""
    row = {
        "record_id": page.record_id,
        "source": page.source,
        "publisher": page.publisher,
        "fetched_at": page.fetched_at,
        "content_kind": page.content_kind,
        "url": page.url,
        "text": "",
        "authors": [],
    }
    try:
        row.update(parser_for(page.content_kind)(page))
    except (ParseError, UnknownContentKind) as exc:
        log.warning("no text from %s: %s", page.url, exc)
        row["parse_error"] = str(exc)
    except Exception as exc:  # one hostile page must not stop the stage
        log.exception("parsing %s failed", page.url)
        row["parse_error"] = f"{type(exc).__name__}: {exc}"
    if "published_source" not in row:
        # A record parser's date is the record's own; else the listing's, when it gave one.
        if row.get("published_at") is None and page.listed_at is not None:
            row["published_at"], row["published_source"] = page.listed_at, page.listed_by or "feed"
        else:
            row["published_source"] = "metadata" if row.get("published_at") is not None else "none"
    row["url"] = canonical_url(row["url"])
    row["article_id"] = article_id(page.canonical_url)
    return row


def parse_pages(pages: Iterable[StoredPage], jobs: int = 1, window: int = 200) -> Iterator[dict]:
    """parse_page over the pages, in order, on `jobs` processes. The pages go to the pool a
    window at a time, so memory holds one window of bodies however big the store."""
    if jobs <= 1:
        yield from map(parse_page, pages)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        chunk: list[StoredPage] = []
        for page in pages:
            chunk.append(page)
            if len(chunk) >= max(window, jobs):
                yield from pool.imap(parse_page, chunk, chunksize=4)
                chunk = []
        if chunk:
            yield from pool.imap(parse_page, chunk, chunksize=4)


class _Progress:
    """A tqdm bar over the pages (pages/s is its rate) with the count of pages without text."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.errors = 0

    def __enter__(self) -> _Progress:
        return self

    def start(self, total: int) -> None:
        if self.enabled:
            self.bar = tqdm(total=total, unit="page", desc="extract", mininterval=0.5, dynamic_ncols=True)
            self.bar.set_postfix(errors=0)

    def advance(self, failed: bool) -> None:
        if self.bar is not None:
            self.errors += failed
            if failed:
                self.bar.set_postfix(errors=self.errors, refresh=False)
            self.bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def run_extract(
    data_dir: DataDir,
    analyze: Analyze | None,
    *,
    reprocess_all: bool = False,
    batch_size: int = 200,
    extractor_version: str = "",
    stop: Callable[[], bool] | None = None,
    jobs: int = 1,
    progress: bool = False,
) -> ExtractSummary:
    """Parse (and analyse, when `analyze` is given) every stored page not yet extracted.

    `reprocess_all` re-extracts every stored page into new parts that replace the old ones
    only once all are written: killed half-way, it leaves the old articles in place.

    `stop` is asked after each written batch of an incremental run: when it says so, the stage
    ends there (what is written stays; the rest waits for the next run).

    `jobs` processes parse the pages (parsing is the stage's CPU work besides the analyser,
    which has its own processes); `progress` shows a bar with pages/s and errors."""
    summary = ExtractSummary()
    with RawStore(data_dir.raw) as store, _Progress(progress) as bar:
        stage = None if reprocess_all else STAGE
        bar.start(store.pending(stage))
        rebuild = extracted.begin_rebuild(data_dir.extracted) if reprocess_all else None
        done: list[str] = []
        batch: list[dict] = []
        for row in parse_pages(store.pages(not_processed_by=stage), jobs, window=batch_size):
            batch.append(row)
            bar.advance(failed=not row.get("text"))
            if len(batch) >= batch_size:
                done += _finish_batch(store, data_dir, batch, analyze, summary, extractor_version, rebuild)
                batch = []
                if stop is not None and rebuild is None and stop():
                    log.info("extract stopped after %s pages; the rest waits for the next run", summary.pages)
                    return summary
        if batch:
            done += _finish_batch(store, data_dir, batch, analyze, summary, extractor_version, rebuild)
        if rebuild is not None:
            extracted.finish_rebuild(data_dir.extracted, rebuild)
            store.forget_processed(STAGE)
            store.mark_processed(STAGE, done)
    return summary


def _finish_batch(
    store: RawStore,
    data_dir: DataDir,
    rows: list[dict],
    analyze: Analyze | None,
    summary: ExtractSummary,
    extractor_version: str,
    rebuild: Path | None = None,
) -> list[str]:
    """Analyse and write one batch; its pages count as processed now, or (in a rebuild) once
    the rebuild is swapped in. Returns their record ids."""
    analyse_rows(rows, analyze, extractor_version)
    for row in rows:
        summary.pages += 1
        summary.parsed += bool(row.get("text"))
        summary.parse_errors += not row.get("text")
        summary.analysis_errors += bool(row.get("analysis_error"))
        summary.incidents += bool(row.get("is_incident"))
    extracted.write_batch(data_dir.extracted, rows, rebuild)
    ids = [row["record_id"] for row in rows]
    if rebuild is None:
        store.mark_processed(STAGE, ids)
    return ids


def analyse_rows(rows: list[dict], analyze: Analyze | None, extractor_version: str) -> None:
    """Parsed rows → extracted-article rows: the analysis record's columns (when `analyze` is
    given), then what a structured source states outright, and the extractor version."""
    if analyze is not None:
        documents = (
            {
                "id": row["article_id"],
                "title": row.get("title") or "",
                "text": row.get("text") or "",
                "url": row["url"],
                "published": row.get("published_at"),
            }
            for row in rows
        )
        for row, record in zip(rows, analyze(documents)):
            row.update({column: getattr(record, column) for column in ANALYSIS_COLUMNS})
            row["analysis_error"] = record.error
    for row in rows:
        # What a structured source states outright wins over what text analysis found.
        row.update(row.pop("structured", None) or {})
        row["extractor_version"] = extractor_version
