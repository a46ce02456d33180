"""The records passed between stages are defined once and survive every boundary they cross."""

from __future__ import annotations

from dataclasses import fields

import srsly

from core.records import ANALYSIS_COLUMNS, AnalysisRecord
from pipelines.extracted_schema import EXTRACTED_ARTICLE
from pipelines.nlp.state import DocAnalysis
from tests.conftest import RECORD_KEYS

BOOKKEEPING = {"id", "error", "truncated", "note", "analyzer_version"}


def test_every_stored_record_field_has_one_parquet_column():
    stored = {f.name for f in fields(AnalysisRecord)} - BOOKKEEPING
    assert set(ANALYSIS_COLUMNS) == stored
    assert stored <= set(EXTRACTED_ARTICLE.names)


def test_record_json_has_the_contract_keys_and_a_note_only_when_there_is_one():
    record = AnalysisRecord(id="1", victims=["Royal Mail"]).to_dict()
    assert RECORD_KEYS <= set(record)
    assert "note" not in record
    assert AnalysisRecord(id="1", note="truncated").to_dict()["note"] == "truncated"


def test_doc_analysis_crosses_process_boundaries_as_msgpack():
    analysis = DocAnalysis(victims=["Acme"], quote_spans=[(0, 5, "Acme")], is_incident=True)
    restored = srsly.msgpack_loads(srsly.msgpack_dumps({"analysis": analysis}))["analysis"]
    assert isinstance(restored, DocAnalysis)
    assert restored.victims == ["Acme"] and restored.is_incident
