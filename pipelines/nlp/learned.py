"""The `incident_learned` component: the decisions, taken by models trained on labelled news.

The rule components find the candidates and their evidence (see `pipelines.nlp.features`);
the models shipped in `pipelines/nlp/models/models.json` (written by `incidents train`, see
docs/models.md) decide:
- event sentences: a logistic regression per event kind (any attack; data breach,
  ransomware, phishing) over each body sentence's words and flags, trained on CASIE's
  attack nuggets with realis "Actual": does this sentence report an attack that happened?
  Their strongest and lead readings are document features for the models below;
- is_incident: logistic regression over tf-idf terms of the title and the asserted
  sentences, with the rule classifier's own features and the event readings when
  cross-validation found them better (the shipped detector reads the words alone);
- each incident type: the same, one model per type, or the rule cues where cross-validation
  on the training data found the rules better (the file says which); the rule cues are read
  whether or not the rules call the article an incident. A learned type is asserted only with
  an evidence sentence: for the kinds an event model reads, the asserted sentence (not hedged,
  not about the past, not a commentator's quote) or title it reads most as that attack
  happening, at the type's evidence threshold; for the others the asserted sentence whose
  terms weigh most for the type;
- victims, attackers, agencies: each candidate scored by a ranker; the best one is taken at
  a lower threshold than the others;
- services affected: each service phrase of a sentence about the incident, scored.
Without a models file the rule decisions stand (`rules_only`), which is also the baseline the
quality benchmark prints.
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from core.gazetteers import AGENCY, load_gazetteer
from pipelines.nlp.features import (
    ASSERTED_KEY,
    CLUSTERS_KEY,
    LEAD_SENTENCES,
    DocFeatures,
    FeatureExtractor,
    attacker_candidates,
    record_names,
    sentence_terms,
    term_counts,
)
from pipelines.nlp.guard import guarded
from pipelines.nlp.state import DocAnalysis, doc_analysis
from pipelines.trees import trees_margin

MODELS_FILE = Path(__file__).resolve().parent / "models" / "models.json"
MODELS_ENV = "INCIDENTS_MODELS"  # another models file (written by `incidents train --out`)


class Ranker:
    """A stored binary model that scores a feature dict; the items above its thresholds are taken."""

    threshold: float
    top_threshold: float
    max_items: int
    # a roundup: a name of one kind with a chosen one (`Candidate.kind`: ".com" sites, "...
    # Trust"s, "... College"s) is taken at this lower threshold, up to `kind_max_items` in all
    # (None: never; the victim ranker's is chosen by cross-validation)
    kind_threshold: float | None
    kind_max_items: int

    def margin(self, features: dict[str, float]) -> float:
        raise NotImplementedError

    def probability(self, features: dict[str, float]) -> float:
        z = self.margin(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def select(self, scored: list[tuple[float, Any]], top: bool = True) -> list[Any]:
        """Items above the threshold, best first; the best one also above `top_threshold` when
        `top` (an article about an incident: the lower threshold was fitted on those only);
        then the items of a chosen one's kind above `kind_threshold`."""
        ranked = sorted(scored, key=lambda item: -item[0])
        return [
            ranked[i][1]
            for i in choose_ranked([p for p, _ in ranked], [kind_of(x) for _, x in ranked], self, top)
        ]


def kind_of(item: Any) -> str | None:
    """The kind of name a candidate is (`Candidate.kind`); None for items without one."""
    return getattr(item, "kind", None)


def choose_ranked(
    probabilities: list[float], kinds: list[str | None], ranker: Any, top: bool = True
) -> list[int]:
    """The positions chosen from items ranked best first (`Ranker.select`; training's
    cross-validation decodes the same way): above `threshold`, the first also above
    `top_threshold` when `top`, at most `max_items`; then, above `kind_threshold`, items of
    the kind of a chosen one, up to `kind_max_items` in all."""
    chosen: list[int] = []
    for rank, p in enumerate(probabilities):
        if len(chosen) >= ranker.max_items:
            break
        if p >= ranker.threshold or (top and rank == 0 and p >= ranker.top_threshold):
            chosen.append(rank)
    if ranker.kind_threshold is None or not chosen:
        return chosen
    wanted = {kinds[i] for i in chosen} - {None}
    taken = set(chosen)
    for rank, p in enumerate(probabilities):
        if len(chosen) >= ranker.kind_max_items or p < ranker.kind_threshold:
            break
        if rank not in taken and kinds[rank] in wanted:
            chosen.append(rank)
    return chosen


@dataclass(frozen=True)
class LinearModel(Ranker):
    """A logistic regression as stored: weight per feature name, bias, decision thresholds."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    top_threshold: float = 0.5
    max_items: int = 6
    with_rules: bool = False  # a type: the rule cues' assertion also counts
    # a type an event model reads: the least reading of its evidence sentence (None: the
    # event model's own threshold)
    evidence: float | None = None
    kind_threshold: float | None = None
    kind_max_items: int = 6

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        return cls(
            dict(data["weights"]),
            float(data["bias"]),
            float(data.get("threshold", 0.5)),
            float(data.get("top_threshold", data.get("threshold", 0.5))),
            int(data.get("max_items", 6)),
            bool(data.get("with_rules", False)),
            None if data.get("evidence") is None else float(data["evidence"]),
            *kind_settings(data),
        )

    def margin(self, features: dict[str, float]) -> float:
        weights = self.weights
        return self.bias + sum(value * weights.get(name, 0.0) for name, value in features.items())


@dataclass(frozen=True)
class TreeModel(Ranker):
    """Gradient-boosted regression trees as stored (scikit-learn's GradientBoostingClassifier):
    plain nodes summed with the learning rate onto the prior's log-odds (pipelines.trees)."""

    features: list[str]
    trees: list[list[list[float]]]
    bias: float
    rate: float
    threshold: float = 0.5
    top_threshold: float = 0.5
    max_items: int = 6
    kind_threshold: float | None = None
    kind_max_items: int = 6

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TreeModel:
        return cls(
            list(data["features"]),
            [[list(node) for node in tree] for tree in data["trees"]],
            float(data["bias"]),
            float(data["rate"]),
            float(data.get("threshold", 0.5)),
            float(data.get("top_threshold", data.get("threshold", 0.5))),
            int(data.get("max_items", 6)),
            *kind_settings(data),
        )

    def margin(self, features: dict[str, float]) -> float:
        return trees_margin(self.features, self.trees, self.bias, self.rate, features)


def kind_settings(data: dict[str, Any]) -> tuple[float | None, int]:
    """(kind_threshold, kind_max_items) as stored (absent: no roundup expansion)."""
    value = data.get("kind_threshold")
    return (None if value is None else float(value)), int(
        data.get("kind_max_items", data.get("max_items", 6))
    )


def ranker_from_dict(data: dict[str, Any]) -> Ranker:
    """The stored role model: trees when the file holds trees, else a logistic regression."""
    return TreeModel.from_dict(data) if "trees" in data else LinearModel.from_dict(data)


def doc_vector(features: DocFeatures, idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf-idf of the known terms, L2-normalised, plus the dense rule features."""
    return tfidf(features.terms, idf) | {f"D:{k}": v for k, v in features.dense.items()}


def tfidf(terms: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    weighted = {k: (1.0 + math.log(c)) * idf[k] for k, c in terms.items() if k in idf and c > 0}
    norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
    return {k: v / norm for k, v in weighted.items()}


Readings = dict[str, tuple[list[float], float]]  # event kind -> (each body sentence, the title)


def sentence_readings(features: DocFeatures, events: dict[str, LinearModel]) -> Readings:
    """Each event model's probability for each body sentence and for the title."""
    if not events:
        return {}
    body = [
        sentence_terms(text, flags, position) for position, (_s, _e, text, flags) in enumerate(features.body)
    ]
    title = sentence_terms(features.title, ("title",))
    return {
        kind: ([model.probability(terms) for terms in body], model.probability(title))
        for kind, model in sorted(events.items())
    }


def evidence_reading(features: DocFeatures, readings: Readings, kind: str) -> tuple[float, str]:
    """The asserted body sentence or title (`IncidentClassifier.asserted_sentences`: not
    hedged, not about an earlier event, not someone else's quote) that the event model of
    `kind` reads most as that attack happening, and its reading; (-1, "") when nothing asserts."""
    body, title = readings[kind]
    told = [(p, b[2]) for p, b, asserted in zip(body, features.body, features.asserted) if asserted]
    if features.title_asserted:
        told.append((title, features.title))
    return max(told, default=(-1.0, ""))


def event_features(readings: Readings) -> dict[str, float]:
    """Document features from the event-sentence models (trained on CASIE's realis-Actual
    attack events): how strongly the article's sentences tell of an event that happened."""
    out: dict[str, float] = {}
    for kind, (body, title) in sorted(readings.items()):
        out.update(summarise_events(kind, body, title))
    return out


# A sentence an event model reads at least this strongly counts as telling of the event
# (the `n` and `share` readings of an article).
EVENT_READ = 0.5
TOP_READINGS = 3  # the `top3` reading: the mean of the article's strongest sentences


def summarise_events(kind: str, body: list[float], title: float) -> dict[str, float]:
    ranked = sorted(body, reverse=True)
    told = sum(p >= EVENT_READ for p in body)
    return {
        f"ev:{kind}:max": ranked[0] if ranked else 0.0,
        f"ev:{kind}:top3": sum(ranked[:TOP_READINGS]) / TOP_READINGS,
        f"ev:{kind}:lead": max(body[:LEAD_SENTENCES], default=0.0),
        f"ev:{kind}:n": math.log1p(told),
        f"ev:{kind}:share": told / max(len(body), 1),
        f"ev:{kind}:title": title,
    }


@dataclass
class Models:
    """Every shipped model, read from one JSON file."""

    idf: dict[str, float]
    detect: LinearModel
    types: dict[str, LinearModel | None]  # None: the rule cues decide this type
    victim: Ranker
    attacker: Ranker
    agency: Ranker
    service: Ranker
    meta: dict[str, Any]
    events: dict[str, LinearModel] = field(default_factory=dict)  # event-sentence models

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Models:
        return cls(
            idf=dict(data["idf"]),
            detect=LinearModel.from_dict(data["detect"]),
            types={t: LinearModel.from_dict(m) if m else None for t, m in data["types"].items()},
            victim=ranker_from_dict(data["victim"]),
            attacker=ranker_from_dict(data["attacker"]),
            agency=ranker_from_dict(data["agency"]),
            service=ranker_from_dict(data["service"]),
            meta=dict(data.get("meta", {})),
            events={k: LinearModel.from_dict(m) for k, m in (data.get("events") or {}).items()},
        )

    def vector(self, features: DocFeatures, readings: Readings | None = None) -> dict[str, float]:
        """What the document models read: tf-idf terms, rule features, event features."""
        if readings is None:
            readings = sentence_readings(features, self.events)
        return doc_vector(features, self.idf) | event_features(readings)


@functools.lru_cache(maxsize=4)
def load_models(path: str | None = None) -> Models | None:
    """The models file (default: $INCIDENTS_MODELS, else the shipped one); None when there is none."""
    file = Path(path or os.environ.get(MODELS_ENV) or MODELS_FILE)
    if not file.exists():
        return None
    return Models.from_dict(json.loads(file.read_text(encoding="utf-8")))


class LearnedDecisions:
    """Re-decides the record's fields with the trained models (see the module docstring)."""

    def __init__(self, nlp: Language, name: str, models_path: str | None, rules_only: bool):
        self.name = name
        self.models = None if rules_only else load_models(models_path)
        self.extractor: FeatureExtractor | None = None
        self.nlp = nlp
        self.gazetteer = load_gazetteer()

    def features(self, doc: Doc) -> DocFeatures:
        if self.extractor is None:
            roles = self.nlp.get_pipe("incident_roles") if "incident_roles" in self.nlp.pipe_names else None
            self.extractor = FeatureExtractor(roles)
        return self.extractor.extract(doc, doc_analysis(doc))

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        try:
            if self.models is not None:
                self.decide(doc, doc_analysis(doc), self.features(doc))
        finally:
            doc.user_data.pop(CLUSTERS_KEY, None)
            doc.user_data.pop(ASSERTED_KEY, None)
        return doc

    def decide(self, doc: Doc, analysis: DocAnalysis, feats: DocFeatures) -> None:
        models = self.models
        assert models is not None
        readings = sentence_readings(feats, models.events)
        vector = models.vector(feats, readings)
        p_incident = models.detect.probability(vector)
        analysis.incident_score = round(p_incident, 3)
        analysis.is_incident = p_incident >= models.detect.threshold
        # types
        types: list[str] = []
        evidence: dict[str, Any] = dict(analysis.type_evidence)
        term_vectors: list[dict[str, float]] | None = None  # computed when a learned type needs evidence
        for kind, model in models.types.items():
            if model is None or (model.with_rules and kind in analysis.type_cues):
                if kind in analysis.type_cues:
                    types.append(kind)  # the rule cues' evidence sentence is in type_evidence
                continue
            if model.probability(vector) < model.threshold:
                continue
            if kind in readings:
                # an event model knows this kind: the evidence is the asserted body sentence (or
                # the title) it reads as this attack happening, and it must read so strongly enough
                p_best, best = evidence_reading(feats, readings, kind)
                least = models.events[kind].threshold if model.evidence is None else model.evidence
                if p_best < least:
                    best = None
            else:  # the sentence whose terms weigh most for this type
                best, support = None, 0.0
                if term_vectors is None:
                    term_vectors = [tfidf(term_counts("", [s]), models.idf) for s in feats.sentences]
                for sentence, terms in zip(feats.sentences, term_vectors):
                    weight = sum(v * model.weights.get(k, 0.0) for k, v in terms.items())
                    if weight > support:
                        best, support = sentence, weight
            if best is not None:
                types.append(kind)
                evidence[kind] = best.strip()[:300]
        if analysis.is_incident:
            analysis.incident_types = types or ["unspecified"]
            analysis.type_evidence = {k: v for k, v in evidence.items() if k in analysis.incident_types}
        else:
            analysis.incident_types = []
            analysis.type_evidence = {}
        # organisations
        orgs = [c for c in feats.candidates if c.role != "country"]
        top = analysis.is_incident
        victims = models.victim.select([(models.victim.probability(c.features), c) for c in orgs], top)
        taken = {id(c) for c in victims}
        attackers = models.attacker.select(
            [
                (models.attacker.probability(c.features), c)
                for c in attacker_candidates(feats)
                if id(c) not in taken
            ],
            top,
        )
        taken |= {id(c) for c in attackers}
        # an agency warning of a campaign is involved even where no incident is told
        agencies = models.agency.select(
            [(models.agency.probability(c.features), c) for c in orgs if id(c) not in taken]
        )
        analysis.victims = list(dict.fromkeys(record_names(c, "victims")[0] for c in victims))
        analysis.victim_forms = sorted({f for c in victims for f in c.forms})
        analysis.attackers = list(dict.fromkeys(record_names(c, "attackers")[0] for c in attackers))
        analysis.agencies = [self.agency(c) for c in agencies]
        roles = {
            **{c.name: "agency" for c in agencies},
            **{c.name: "attacker" for c in attackers},
            **{c.name: "victim" for c in victims},
        }
        for mention in analysis.mentions:
            name = mention.get("name")
            if name in roles:
                mention["role"] = roles[name]
            elif mention.get("role") in {"victim", "agency", "attacker"}:
                mention["role"] = "other"
        # services
        chosen = models.service.select([(models.service.probability(s.features), s) for s in feats.services])
        names = list(dict.fromkeys(s.name for s in chosen))
        analysis.services_affected = names
        known = {s["service"] for s in analysis.services}
        for service in chosen:
            if service.name not in known:
                known.add(service.name)
                status = next(
                    (
                        k.split(":", 1)[1]
                        for k in service.features
                        if k.startswith("status:") and k != "status:unaffected"
                    ),
                    "disrupted",
                )
                analysis.services.append(
                    {"service": service.name, "status": status, "sentence": service.sentence}
                )

    def agency(self, candidate) -> dict[str, Any]:
        entries = [e for e in self.gazetteer.lookup(candidate.name, AGENCY)]
        entry = entries[0] if entries else None
        name, alias = record_names(candidate, "agencies")
        return {
            "name": name,
            "alias": alias,
            "country": entry.country if entry else None,
            "kind": entry.kind if entry else None,
        }


@Language.factory("incident_learned", default_config={"models_path": None, "rules_only": False})
def make_learned(nlp: Language, name: str, models_path: str | None, rules_only: bool) -> LearnedDecisions:
    return LearnedDecisions(nlp, name, models_path, rules_only)
