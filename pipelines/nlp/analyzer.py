"""`Analyzer`: documents in, analysis records out, in order, in constant memory.

Each input is checked before it reaches spaCy (missing keys, empty, binary garbage,
non-English, too long); a bad one becomes a record with `error` set and empty fields, so a
run never stops on one document. Good ones go through `nlp.pipe` in batches (several
processes when asked), inside a spaCy memory zone per chunk so the string store does not
grow with the stream.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from spacy.language import Language

from core.records import AnalysisRecord
from pipelines.nlp.pipeline import build_nlp
from pipelines.nlp.state import DocAnalysis, doc_analysis
from pipelines.nlp.text import clear_cache

ANALYZER_VERSION = "nlp-0.2.0"
DEFAULT_MAX_CHARS = 100_000
# Documents per core below which one process is faster than starting spaCy workers.
MULTIPROCESS_MIN_DOCS = 64
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
        return Prepared(doc_id, f"{title}\n\n{body}", len(title), truncated=truncated, published_year=year)
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
        """`n_process` worker processes for spaCy; None (the default) uses every core, for
        chunks of at least MULTIPROCESS_MIN_DOCS documents per core (below that, starting the
        workers costs more than they save)."""
        self.nlp = nlp if nlp is not None else build_nlp(model)
        self.auto_processes = n_process is None
        self.n_process = (os.cpu_count() or 1) if n_process is None else max(1, int(n_process))
        self.batch_size = max(1, int(batch_size))
        self.max_chars = max_chars
        self.chunk_size = max(chunk_size, self.batch_size * self.n_process)

    def analyze(self, docs: Iterable[dict]) -> Iterator[AnalysisRecord]:
        """One record per input, in input order; lazily, so a stream of any length works."""
        iterator = iter(docs)
        while True:
            chunk = list(itertools.islice(iterator, self.chunk_size))
            if not chunk:
                return
            yield from self._analyze_chunk(chunk)

    def analyze_one(self, doc: dict) -> AnalysisRecord:
        return next(iter(self.analyze([doc])))

    def _analyze_chunk(self, chunk: list[Any]) -> Iterator[AnalysisRecord]:
        prepared = [prepare(record, self.max_chars) for record in chunk]
        with self.nlp.memory_zone():
            good = [(index, p) for index, p in enumerate(prepared) if p.error is None]
            inputs = []
            for index, p in good:
                doc = self.nlp.make_doc(p.text)
                doc._.title_end = p.title_end
                doc._.published_year = p.published_year
                inputs.append((doc, index))
            enough = MULTIPROCESS_MIN_DOCS * self.n_process if self.auto_processes else self.batch_size * 2
            n_process = self.n_process if len(inputs) >= enough else 1
            results = self.nlp.pipe(inputs, as_tuples=True, batch_size=self.batch_size, n_process=n_process)
            next_good = 0
            for p in prepared:
                if p.error is not None:
                    yield empty_record(p.doc_id, p.error)
                    continue
                doc, doc_index = next(results)
                assert doc_index == good[next_good][0]
                next_good += 1
                yield self.to_record(p, doc_analysis(doc))
            for _ in results:
                pass
            clear_cache()

    @staticmethod
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
        record.statements = [
            {"speaker": s.get("speaker"), "quote": s.get("quote")} for s in analysis.statements
        ]
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
