"""`Analyzer`: documents in, analysis records out, in order, in constant memory.

Each input is checked before it reaches spaCy (missing keys, empty, binary garbage,
non-English, too long); a bad one becomes a record with `error` set and empty fields, so a
run never stops on one document. Good ones go through `nlp.pipe` in batches, inside a spaCy
memory zone per batch of inputs so the string store does not grow with the stream; a
document that makes a model component fail (or kills a worker process) gets an error record
and the others go on.

On several cores a pool of worker processes (`WorkerPool`) holds the pipeline once each
(inherited from the parent by fork where there is one) and does all the work of a batch,
checking, parsing and building the records, so only the input dicts go out and only the
finished records come back: not spaCy's `nlp.pipe(n_process=...)`, which ships every parsed
Doc (tensors and `doc._.analysis`) back to the parent to be decoded there.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import re
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from spacy.language import Language

from core.machine import usable_cores
from core.records import AnalysisRecord
from pipelines.nlp.pipeline import build_nlp, register_extensions
from pipelines.nlp.state import DocAnalysis, doc_analysis
from pipelines.nlp.text import clear_cache

ANALYZER_VERSION = "nlp-0.2.0"
DEFAULT_MAX_CHARS = 100_000
# Documents per core below which one process is faster than starting worker processes.
MULTIPROCESS_MIN_DOCS = 64
# Batches queued per worker process: enough to keep each busy while the parent collects.
BATCHES_PER_WORKER = 2
MIN_LANGUAGE_CHARS = 200
LOG = logging.getLogger(__name__)


def empty_record(doc_id: Any, error: str | None = None) -> AnalysisRecord:
    """The record of a document with nothing found (or that could not be analysed)."""
    return AnalysisRecord(id=doc_id, error=error, analyzer_version=ANALYZER_VERSION)


@dataclass
class Prepared:
    """A checked input: the text to analyse, or the reason it cannot be."""

    doc_id: Any
    text: str = ""
    title_end: int = 0
    error: str | None = None
    truncated: bool = False
    published_year: int | None = None
    # where the input's own text starts in `text` (after a title put before it): character
    # offsets into the input text (CASIE's event spans) are offsets from here
    body_start: int = 0


_LANGUAGE_IDENTIFIER = None


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) by py3langid, loaded once per process."""
    global _LANGUAGE_IDENTIFIER
    if _LANGUAGE_IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _LANGUAGE_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lang, prob = _LANGUAGE_IDENTIFIER.classify(text)
    return lang, float(prob)


_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd\ue000-\uf8ff]")
_LETTERS = re.compile(r"[^\W\d_]")
_SPACES = re.compile(r"\s")


def looks_binary(text: str) -> bool:
    """Control characters, replacement characters or too few letters: not prose."""
    sample = text[:20_000]
    if not sample:
        return False
    bad = len(_BAD_CHARS.findall(sample))
    letters = len(_LETTERS.findall(sample))
    spaces = len(_SPACES.findall(sample))
    return bad / len(sample) > 0.01 or (
        len(sample) >= 40 and (letters / len(sample) < 0.5 or spaces / len(sample) < 0.03)
    )


def clip(text: str, max_chars: int) -> str:
    """The first max_chars characters, cut at a paragraph or sentence end when there is one."""
    head = text[:max_chars]
    for marker in ("\n", ". "):
        cut = head.rfind(marker)
        if cut > max_chars * 0.8:
            return head[: cut + 1]
    return head


def prepare(record: Any, max_chars: int) -> Prepared:
    """Validate one input dict and compose the text the pipeline sees (title first)."""
    if not isinstance(record, dict):
        return Prepared(None, error=f"input is not an object ({type(record).__name__})")
    doc_id = record.get("id")
    title = record.get("title")
    text = record.get("text")
    if text is None and title is None:
        return Prepared(doc_id, error="missing 'text'")
    if not isinstance(text, (str, type(None))) or not isinstance(title, (str, type(None))):
        return Prepared(doc_id, error="'text' and 'title' must be strings")
    title = re.sub(r"\s+", " ", title or "").strip()
    body = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not body.strip():
        return Prepared(doc_id, error="empty text")
    if looks_binary(body):
        return Prepared(doc_id, error="text is not readable prose (binary or garbled)")
    truncated = len(body) > max_chars
    if truncated:
        body = clip(body, max_chars)
    sample = body[:600]
    if len(sample.strip()) >= MIN_LANGUAGE_CHARS:
        lang, prob = detect_language(sample)
        if lang != "en" and prob >= 0.8:
            return Prepared(doc_id, error=f"text is not English (detected '{lang}')")
    year = published_year(record.get("published"))
    stripped = body.lstrip()
    if title and stripped.startswith(title):
        offset = len(body) - len(stripped)
        return Prepared(doc_id, body, offset + len(title), truncated=truncated, published_year=year)
    if title:
        return Prepared(
            doc_id,
            f"{title}\n\n{body}",
            len(title),
            truncated=truncated,
            published_year=year,
            body_start=len(title) + 2,
        )
    return Prepared(doc_id, body, 0, truncated=truncated, published_year=year)


def published_year(value: Any) -> int | None:
    match = re.match(r"\s*((?:19|20)\d\d)", str(value)) if value else None
    return int(match.group(1)) if match else None


def attackers_of(p: Prepared, analysis: DocAnalysis, is_incident: bool) -> list[str]:
    """Attackers of the incident. An article that is not about an incident (a trend report,
    an advisory) names groups in passing; only one its title is about is kept."""
    attackers = list(analysis.attackers)
    if is_incident or not attackers:
        return attackers
    title = p.text[: p.title_end].lower()
    return [a for a in attackers if title and a.lower() in title]


def to_record(p: Prepared, analysis: DocAnalysis) -> AnalysisRecord:
    """The contract's record from the components' findings."""
    record = empty_record(p.doc_id, "; ".join(analysis.errors) or None)
    record.truncated = p.truncated
    if p.truncated:
        record.note = f"text longer than the limit; analysed its first {len(p.text)} characters"
    is_incident = analysis.is_incident
    record.is_incident = is_incident
    record.attackers = attackers_of(p, analysis, is_incident)
    record.agencies = [dict(a) for a in analysis.agencies]
    record.organisations = list(analysis.organisations)
    record.countries = list(analysis.countries)
    record.statements = [{"speaker": s.get("speaker"), "quote": s.get("quote")} for s in analysis.statements]
    if is_incident:
        record.incident_types = list(analysis.incident_types)
        record.victims = list(analysis.victims)
        record.services = list(analysis.services)
        record.services_affected = list(analysis.services_affected)
        record.sector = analysis.sector
    record.mentions = [
        {
            "text": m.get("text"),
            "label": m.get("label"),
            "role": "other"
            if m.get("role", "other") == "victim" and not is_incident
            else m.get("role", "other"),
            "sentence": m.get("sentence"),
        }
        for m in analysis.mentions
    ]
    return record


def _make_doc(nlp: Language, p: Prepared):
    doc = nlp.make_doc(p.text)
    doc._.title_end = p.title_end
    doc._.published_year = p.published_year
    return doc


def _failed(doc_id: Any, exc: BaseException | str) -> AnalysisRecord:
    reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    LOG.warning("document %r could not be analysed: %s", doc_id, reason)
    return empty_record(doc_id, f"analysis failed: {reason}")


def _analyse_alone(nlp: Language, p: Prepared) -> AnalysisRecord:
    """One document through the pipeline by itself: its failure is its own record."""
    try:
        doc = nlp(_make_doc(nlp, p))
        return to_record(p, doc_analysis(doc))
    except Exception as exc:  # the point is to contain any failure to its document
        return _failed(p.doc_id, exc)


def analyse_records(
    nlp: Language, records: list[Any], max_chars: int, batch_size: int
) -> list[AnalysisRecord]:
    """The records of a batch of input dicts, in order: what one process does, in the
    parent or in a worker. When a model component raises, spaCy gives up the whole batch:
    the documents not yet done are then analysed one at a time, so only the bad one fails."""
    prepared = [prepare(record, max_chars) for record in records]
    good = [p for p in prepared if p.error is None]
    out: list[AnalysisRecord] = []
    with nlp.memory_zone():
        try:
            docs = ((_make_doc(nlp, p), p) for p in good)
            results = nlp.pipe(docs, as_tuples=True, batch_size=batch_size)
            for p in prepared:
                if p.error is not None:
                    out.append(empty_record(p.doc_id, p.error))
                    continue
                doc, doc_p = next(results)
                assert doc_p is p
                out.append(to_record(p, doc_analysis(doc)))
        except Exception as exc:  # contained below, document by document
            LOG.warning(
                "a batch failed (%s: %s); analysing its documents one at a time", type(exc).__name__, exc
            )
            for p in prepared[len(out) :]:
                out.append(empty_record(p.doc_id, p.error) if p.error is not None else _analyse_alone(nlp, p))
        finally:
            clear_cache()
    return out


_WORKER_NLP: Language | None = None


def _start_worker(nlp: Language) -> None:
    """A worker's initializer: keep the pipeline (inherited by fork, or unpickled). Ctrl-C is
    the parent's to handle: it stops the workers, which would otherwise each print a trace."""
    global _WORKER_NLP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    register_extensions()
    _WORKER_NLP = nlp


def _worker_batch(records: list[Any], max_chars: int, batch_size: int) -> list[AnalysisRecord]:
    assert _WORKER_NLP is not None, "worker started without a pipeline"
    return analyse_records(_WORKER_NLP, records, max_chars, batch_size)


class WorkerPool:
    """Worker processes that each hold the pipeline and turn batches of input dicts into
    records. Fork where the platform has it: the workers share the loaded model's memory and
    start in milliseconds; elsewhere the pipeline is pickled to each (spawn)."""

    def __init__(self, nlp: Language, processes: int):
        self.nlp = nlp
        self.processes = processes
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=self.context,
            initializer=_start_worker,
            initargs=(self.nlp,),
        )

    def restart(self) -> None:
        """A worker died: the executor is broken for good; start a new one."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()

    def submit(self, records: list[Any], max_chars: int, batch_size: int) -> Future:
        return self.executor.submit(_worker_batch, records, max_chars, batch_size)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class Analyzer:
    """Turns article dicts {id, title, text, url?, published?} into analysis records."""

    def __init__(
        self,
        model: str | None = None,
        n_process: int | None = None,
        batch_size: int = 32,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        chunk_size: int = 1000,
        nlp: Language | None = None,
    ):
        """`n_process` worker processes; None (the default) uses every core for an input of
        at least MULTIPROCESS_MIN_DOCS documents per core, as judged on its first
        `chunk_size` (below that, starting the workers costs more than they save). The
        workers start on the first such input and serve every later one until `close()` (or
        the end of the program). Either way the inputs go through in batches of `batch_size`."""
        register_extensions()
        self.nlp = nlp if nlp is not None else build_nlp(model)
        self.auto_processes = n_process is None
        self.n_process = usable_cores() if n_process is None else max(1, int(n_process))
        self.batch_size = max(1, int(batch_size))
        self.max_chars = max_chars
        self.chunk_size = max(chunk_size, self.batch_size * self.n_process)
        self.pool: WorkerPool | None = None

    def __enter__(self) -> Analyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def analyze(self, docs: Iterable[dict]) -> Iterator[AnalysisRecord]:
        """One record per input, in input order; lazily, so a stream of any length works."""
        iterator = iter(docs)
        first = list(itertools.islice(iterator, self.chunk_size))
        records = itertools.chain(first, iterator)
        if self._use_pool(len(first)):
            yield from self._pooled(records)
            return
        while batch := list(itertools.islice(records, self.batch_size)):
            yield from analyse_records(self.nlp, batch, self.max_chars, self.batch_size)

    def analyze_one(self, doc: dict) -> AnalysisRecord:
        return next(iter(self.analyze([doc])))

    def _use_pool(self, n_docs: int) -> bool:
        if self.pool is not None:
            return True
        if self.n_process < 2 or multiprocessing.current_process().daemon:
            return False  # a daemonic process (a Dask worker's) may not start children
        enough = MULTIPROCESS_MIN_DOCS * self.n_process if self.auto_processes else self.batch_size * 2
        if n_docs < enough:
            return False
        self.pool = WorkerPool(self.nlp, self.n_process)
        return True

    def _pooled(self, records: Iterator[Any]) -> Iterator[AnalysisRecord]:
        """Batches to the workers, a bounded number in flight, records back in input order."""
        assert self.pool is not None
        window: deque[list[Any]] = deque()  # [batch, future] in input order
        limit = BATCHES_PER_WORKER * self.n_process
        try:
            while True:
                batch = list(itertools.islice(records, self.batch_size))
                if batch:
                    window.append([batch, self.pool.submit(batch, self.max_chars, self.batch_size)])
                if window and (len(window) >= limit or not batch):
                    yield from self._collect(window)
                if not batch and not window:
                    return
        finally:
            for _batch, future in window:
                future.cancel()

    def _collect(self, window: deque[list[Any]]) -> list[AnalysisRecord]:
        """The records of the oldest batch in flight. A worker that died takes the pool with
        it: the pool restarts, the batch's documents go one at a time (the one that kills a
        worker again gets an error record) and the batches behind it are sent again."""
        assert self.pool is not None
        batch, future = window.popleft()
        try:
            return future.result()
        except BrokenProcessPool:
            LOG.warning(
                "an analysis worker process died; retrying its %d documents one at a time", len(batch)
            )
            broken = True
        except Exception as exc:  # a failure outside analyse_records' own containment
            LOG.warning(
                "a batch failed in a worker (%s: %s); retrying one at a time", type(exc).__name__, exc
            )
            broken = False
        if broken:
            self.pool.restart()
        out = [self._alone_in_pool(record) for record in batch]
        if broken:
            for entry in window:
                old = entry[1]
                if old.cancelled() or isinstance(old.exception(), BrokenProcessPool):
                    entry[1] = self.pool.submit(entry[0], self.max_chars, self.batch_size)
        return out

    def _alone_in_pool(self, record: Any) -> AnalysisRecord:
        assert self.pool is not None
        doc_id = record.get("id") if isinstance(record, dict) else None
        try:
            return self.pool.submit([record], self.max_chars, self.batch_size).result()[0]
        except BrokenProcessPool:
            self.pool.restart()
            return _failed(doc_id, "the worker process analysing it died")
        except Exception as exc:  # contained to this document
            return _failed(doc_id, exc)
