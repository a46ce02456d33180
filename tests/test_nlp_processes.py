"""The Analyzer's worker processes: same records as one process, in input order, and a
document that breaks a component or kills its worker costs only its own record.

A blank English pipeline with small test components keeps these fast; the real model's
records on several cores are compared with one process in test_nlp_analysis.py."""

from __future__ import annotations

import logging
import multiprocessing
import os

import pytest
import spacy
from spacy.language import Language

from pipelines.nlp import Analyzer
from pipelines.nlp.state import doc_analysis


@Language.component("test_first_word")
def first_word(doc):
    """Something per document to compare: its first word as an 'organisation'."""
    doc_analysis(doc).organisations = [doc[0].text] if len(doc) else []
    return doc


@Language.component("test_explode")
def explode(doc):
    if "EXPLODE" in doc.text:
        raise ValueError("cannot read this one")
    return doc


@Language.component("test_die")
def die(doc):
    if "DIE" in doc.text:
        if multiprocessing.parent_process() is None:
            raise RuntimeError("test_die only kills worker processes")
        os._exit(3)
    return doc


def blank_nlp(*components: str) -> Language:
    nlp = spacy.blank("en")
    for name in ("test_first_word", *components):
        nlp.add_pipe(name)
    return nlp


def inputs(n: int, marked: dict[int, str] | None = None) -> list:
    docs: list = []
    for i in range(n):
        text = f"Word{i} said its systems were restored. {(marked or {}).get(i, '')}"
        docs.append({"id": str(i), "title": "", "text": text})
    return docs


def test_workers_give_the_records_of_one_process_in_input_order():
    nlp = blank_nlp()
    docs = inputs(45)
    docs[7] = {"id": "7", "text": ""}  # checked before the pipeline: an error record
    docs[20] = "not a dict"
    one = [r.to_dict() for r in Analyzer(nlp=nlp, n_process=1).analyze(docs)]
    with Analyzer(nlp=nlp, n_process=2, batch_size=4) as analyzer:
        many = [r.to_dict() for r in analyzer.analyze(iter(docs))]
        assert analyzer.pool is not None, "45 documents in batches of 4 should use the workers"
        # the started workers serve the next input too, however small
        assert analyzer.analyze_one(docs[3]).to_dict() == one[3]
    assert many == one
    assert [r["id"] for r in many] == [d["id"] if isinstance(d, dict) else None for d in docs]
    assert many[5]["organisations"] == ["Word5"]
    assert "empty" in many[7]["error"] and many[20]["error"]


def test_by_default_a_small_input_stays_in_one_process():
    with Analyzer(nlp=blank_nlp()) as analyzer:
        records = list(analyzer.analyze(inputs(10)))
        assert analyzer.pool is None
    assert [r.organisations for r in records] == [[f"Word{i}"] for i in range(10)]


@pytest.mark.parametrize("processes", [1, 2])
def test_a_document_that_breaks_a_component_fails_alone(processes, caplog):
    docs = inputs(24, {9: "EXPLODE"})
    with (
        caplog.at_level(logging.WARNING),
        Analyzer(nlp=blank_nlp("test_explode"), n_process=processes, batch_size=4) as analyzer,
    ):
        records = list(analyzer.analyze(docs))
    assert [r.id for r in records] == [d["id"] for d in docs]
    assert "ValueError: cannot read this one" in records[9].error
    assert records[9].organisations == []
    for i, record in enumerate(records):
        if i != 9:
            assert record.error is None and record.organisations == [f"Word{i}"]
    if processes == 1:
        assert "'9' could not be analysed" in caplog.text


def test_a_document_that_kills_its_worker_fails_alone_and_the_run_goes_on():
    docs = inputs(30, {13: "DIE"})
    with Analyzer(nlp=blank_nlp("test_die"), n_process=2, batch_size=4) as analyzer:
        records = list(analyzer.analyze(docs))
        assert [r.id for r in records] == [d["id"] for d in docs]
        assert "worker process" in records[13].error and "died" in records[13].error
        assert all(
            r.error is None and r.organisations == [f"Word{i}"] for i, r in enumerate(records) if i != 13
        )
        # the restarted workers take the next input
        again = list(analyzer.analyze(inputs(10)))
    assert [r.organisations for r in again] == [[f"Word{i}"] for i in range(10)]
