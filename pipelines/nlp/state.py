"""`DocAnalysis`: what the components find in one document, typed, on `doc._.analysis`.

Each component reads what earlier ones found (the victims, the quote spans) and adds its
own fields; `Analyzer` turns the result into the contract's `core.records.AnalysisRecord`.
The working fields (clusters, scores, evidence) stay here, out of the record.

Docs cross process boundaries as msgpack when `nlp.pipe(n_process>1)` runs; the encoder and
decoder registered below (srsly's registry, the way thinc registers numpy arrays) carry a
DocAnalysis across as a plain mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import srsly
from spacy.tokens import Doc

from core.records import Agency, Mention, Service, Statement

_MSGPACK_KEY = "__incident_doc_analysis__"


@dataclass
class DocAnalysis:
    """The components' findings for one document (see each component for its fields)."""

    # roles
    victims: list[str] = field(default_factory=list)
    victim_forms: list[str] = field(default_factory=list)
    victim_score: float = 0.0
    victim_strong: float = 0.0
    attackers: list[str] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    # statements
    statements: list[Statement] = field(default_factory=list)
    quote_spans: list[tuple[int, int, str | None]] = field(default_factory=list)
    # services
    services: list[Service] = field(default_factory=list)
    services_affected: list[str] = field(default_factory=list)
    # context
    countries: list[str] = field(default_factory=list)
    sector: str | None = None
    # incident classifier
    is_incident: bool = False
    incident_score: float = 0.0
    incident_features: dict[str, Any] = field(default_factory=dict)
    incident_types: list[str] = field(default_factory=list)
    # the rule cues' types whether or not the rules call the article an incident (the
    # learned detector may, and then reads them)
    type_cues: list[str] = field(default_factory=list)
    type_evidence: dict[str, Any] = field(default_factory=dict)
    # components that failed on this document
    errors: list[str] = field(default_factory=list)


_FIELDS = {f.name for f in fields(DocAnalysis)}


def doc_analysis(doc: Doc) -> DocAnalysis:
    """The document's DocAnalysis, created empty on first use."""
    analysis = doc._.analysis
    if analysis is None:
        analysis = doc._.analysis = DocAnalysis()
    return analysis


def _encode(obj: Any, chain: Any = None) -> Any:
    if isinstance(obj, DocAnalysis):
        return {_MSGPACK_KEY: asdict(obj)}
    return obj if chain is None else chain(obj)


def _decode(obj: Any, chain: Any = None) -> Any:
    if isinstance(obj, dict) and _MSGPACK_KEY in obj:
        values = obj[_MSGPACK_KEY]
        return DocAnalysis(**{k: v for k, v in values.items() if k in _FIELDS})
    return obj if chain is None else chain(obj)


srsly.msgpack_encoders.register("incident_doc_analysis", func=_encode)
srsly.msgpack_decoders.register("incident_doc_analysis", func=_decode)
