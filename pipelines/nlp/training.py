"""Train the models of `incident_learned` from labelled articles (`incidents train --data DIR`).

DIR holds JSON lines (see docs/models.md for the format):
- articles: `{id, title, text, ...}` (`input.jsonl`, or the label lines themselves when they
  carry `text`);
- labels, one line per article as the labelling guide writes them: `{id, is_incident,
  victims, incident_types, attackers, agencies, services_affected, split?}`, each name field a
  list of alias groups;
- optionally a second reader in CASIE's form (`{id, is_attack, types, named_victims,
  attackers, split}`), used with a lower weight for articles the first labels lack, and a
  JSON file `{"agencies": {id: groups}, "services": {id: groups}}` for more articles;
- optionally `casie-annotation/<id>.json`, CASIE's annotation of the articles: its attack-event
  nuggets (character offsets into `text`, subtype, realis) train the event-sentence models,
  whose readings of each article's sentences the document models then take as features.
Only lines whose `split` is absent or "train" are fitted; hyper-parameters and thresholds
are chosen by 5-fold cross-validation inside them; "validation" lines are only scored, after
fitting, for the report. Same data, same models, bit for bit: inputs are sorted, folds and
solvers seeded, weights rounded, the JSON written with sorted keys.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.vocabulary import INCIDENT_TYPES
from pipelines.nlp.features import (
    VICTIM_ONLY,
    DocFeatures,
    attacker_candidates,
    record_names,
    sentence_terms,
)
from pipelines.nlp.learned import (
    MODELS_FILE,
    LinearModel,
    Ranker,
    Readings,
    TreeModel,
    choose_ranked,
    doc_vector,
    event_features,
    evidence_reading,
    kind_of,
    sentence_readings,
)
from pipelines.trees import export_trees

LOG = logging.getLogger(__name__)
SECOND_READER_WEIGHT = 0.5
EVENTS_DIR = "casie-annotation"
# Event-sentence models: a body sentence holds a nugget of an attack event that happened
# (CASIE realis "Actual"), of any subtype or of the subtype that names an incident type.
EVENT_KINDS = {"attack": None, "data_breach": "Databreach", "ransomware": "Ransom", "phishing": "Phishing"}
EVENT_C = (0.1, 0.3, 1.0)
MIN_TYPE_POSITIVES = 8
# The evidence sentence of a type an event model reads must read at least this share of the
# event model's own threshold (0: the best-read asserted sentence, whatever it reads);
# cross-validation chooses the share per type.
EVIDENCE_SCALES = (1.0, 0.5, 0.0)
# A candidate feature (a cue, a head word) seen in fewer training articles is not learned from.
MIN_FEATURE_ARTICLES = 3
FOLDS = 5
SEED = 0
ROLE_C = (0.3, 1.0, 3.0)
# A ranker keeps the stronger regularisation (the smaller C, tried first) unless a weaker one
# cross-validates higher by this much: about one item of a field's 150-300 gold names, less is
# the folds' noise (services flipped from C 0.3 to 1.0 for a gain of 0.0009 when one article's
# rule victims changed, and their thresholds with it).
ROLE_C_MARGIN = 0.005
# Gradient boosting compared with the logistic regression for victims, attackers and
# agencies (same rows, same folds); it is shipped only when its cross-validated F1 is higher
# by TREES_MARGIN: the linear model is smaller, and reads more plainly.
TREE_SETTINGS = (
    {"n_estimators": 100, "max_depth": 2, "learning_rate": 0.1},
    {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.1},
)
TREES_MARGIN = 0.01
# Features made for attackers and agencies (a name introduced by a naming verb, said to act by a
# name the gazetteer lacks or by a person, named where the text cites figures): the victim
# ranker does not read them, which cross-validated better for victims (0.688 against 0.685).
ATTACKER_AGENCY_FEATURES = (
    "actor:introduced",
    "actor_any:introduced",
    "actor:malware_introduced",
    "actor_any:malware_introduced",
    "acting_unlisted",
    "acting_person",
    "acting_state",
    "actor:aged",
    "actor_any:aged",
    "statistics_",
)
DOC_C = (1.0, 3.0, 10.0, 30.0, 100.0)
SUFFIX = {
    "inc",
    "ltd",
    "llc",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "group",
    "limited",
    "sa",
    "ag",
    "gmbh",
    "the",
}


# -- labels ---------------------------------------------------------------------------------
@dataclass
class Labels:
    """What the labels say of one article (alias groups per field; None when not labelled)."""

    id: str
    split: str = "train"
    weight: float = 1.0  # lower for the second reader
    is_incident: bool | None = None
    types: set[str] | None = None
    type_vocabulary: tuple[str, ...] = tuple(INCIDENT_TYPES)
    victims: list[list[str]] | None = None
    attackers: list[list[str]] | None = None
    agencies: list[list[str]] | None = None
    services: list[list[str]] | None = None
    # the name of the --data folder the labels came from: cross-validation is also reported per
    # folder (the real articles of ../shared/realdev beside our own sample and fixture articles)
    source: str = ""


@dataclass
class Dataset:
    articles: dict[str, dict] = field(default_factory=dict)
    labels: dict[str, Labels] = field(default_factory=dict)
    # CASIE's event nuggets per article: (start, end, event subtype, realis), offsets into its text
    events: dict[str, list[tuple[int, int, str, str]]] = field(default_factory=dict)


def read_json_files(folder: Path) -> Iterator[tuple[Path, Any]]:
    """Each `*.json` file of a folder, parsed, in name order; an unreadable one is a log line,
    not the end of training."""
    for path in sorted(folder.glob("*.json")):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            LOG.warning("%s: not readable JSON (%s), skipped", path, exc)


def read_events(folder: Path) -> dict[str, list[tuple[int, int, str, str]]]:
    """The attack-event nuggets of CASIE's annotation files (`casie-annotation/<id>.json`)."""
    out: dict[str, list[tuple[int, int, str, str]]] = {}
    for path, value in read_json_files(folder):
        nuggets = []
        for hopper in (value.get("cyberevent") or {}).get("hopper") or []:
            for event in hopper.get("events") or []:
                nugget = event.get("nugget") or {}
                if event.get("type") != "Attack" or "startOffset" not in nugget:
                    continue
                nuggets.append(
                    (
                        int(nugget["startOffset"]),
                        int(nugget.get("endOffset", nugget["startOffset"])),
                        str(event.get("subtype") or ""),
                        str(event.get("realis") or ""),
                    )
                )
        out[path.stem] = sorted(nuggets)
    return out


def groups(value: Any) -> list[list[str]]:
    """Alias groups from a labels field: [["A", "a"], ["B"]] or ["A", "B"]."""
    out = []
    for item in value or []:
        if isinstance(item, str):
            out.append([item])
        elif isinstance(item, list):
            out.append([str(x) for x in item if x])
    return [g for g in out if g]


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            LOG.warning("%s line %d: invalid JSON (%s), skipped", path, number, exc.msg)
            continue
        if isinstance(value, dict) and value.get("id") is not None:
            rows.append(value)
    return rows


def load_dataset(folder: Path | list[Path]) -> Dataset:
    """Articles and labels from every *.jsonl (and *.json side or article file) in the folder(s)."""
    data = Dataset()
    if isinstance(folder, list):
        parts = [load_dataset(f) for f in folder]
        for part in parts:
            data.articles.update(part.articles)
            data.labels.update(part.labels)
            data.events.update(part.events)
        data.labels = dict(sorted(data.labels.items()))
        return data
    second: dict[str, Labels] = {}
    side: list[dict] = []
    if (folder / EVENTS_DIR).is_dir():
        data.events = read_events(folder / EVENTS_DIR)
    for path in sorted(folder.glob("*.jsonl")):
        for row in read_jsonl(path):
            key = str(row["id"])
            if isinstance(row.get("text"), str) and key not in data.articles:
                data.articles[key] = {
                    "id": key,
                    "title": row.get("title") or "",
                    "text": row["text"],
                    "published": row.get("published") or row.get("date"),
                }
            split = str(row.get("split") or "train")
            if "is_incident" in row:
                data.labels[key] = Labels(
                    key,
                    split,
                    1.0,
                    bool(row["is_incident"]),
                    set(row.get("incident_types") or []),
                    tuple(INCIDENT_TYPES),
                    groups(row.get("victims")),
                    groups(row.get("attackers")),
                    groups(row.get("agencies")),
                    groups(row.get("services_affected")),
                )
            elif "is_attack" in row:
                attackers = [
                    g for g in groups(row.get("attackers")) if g[0][:1].isupper() and len(g[0].split()) <= 4
                ]
                second[key] = Labels(
                    key,
                    split,
                    SECOND_READER_WEIGHT,
                    bool(row["is_attack"]),
                    set(row.get("types") or []),
                    ("ransomware", "data_breach", "phishing"),
                    groups(row.get("named_victims")) or None,
                    attackers or None,
                )
    for path, value in read_json_files(folder):
        if isinstance(value, dict) and isinstance(value.get("agencies"), dict):
            side.append(value)
        elif isinstance(value, dict) and isinstance(value.get("gold"), dict):
            add_gold_article(data, value, path.stem)
    for key, labels in second.items():
        if key not in data.labels:
            data.labels[key] = labels
    for value in side:
        for key, grp in value.get("agencies", {}).items():
            if key in data.labels and data.labels[key].agencies is None:
                data.labels[key].agencies = groups(grp)
        for key, grp in value.get("services", {}).items():
            if key in data.labels and data.labels[key].services is None:
                data.labels[key].services = groups(grp)
    data.labels = {k: v for k, v in sorted(data.labels.items()) if k in data.articles}
    for labels in data.labels.values():
        labels.source = folder.name or str(folder)
    return data


def add_gold_article(data: Dataset, value: dict, stem: str) -> None:
    """An article file with its own `gold` (the sample web's content files, the test fixtures:
    flat name lists, services with a status) as one labelled training article."""
    gold = value["gold"]
    key = str(value.get("id") or value.get("slug") or stem)
    title = value.get("title") or ""
    text = value.get("text")
    if text is None:
        text = "\n\n".join([title, *value.get("paragraphs", [])])
    names = lambda items: [[i["name"] if isinstance(i, dict) else str(i)] for i in items or []]  # noqa: E731
    services = [
        [LenientTerm(s["service"] if isinstance(s, dict) else str(s))]
        for s in gold.get("services_affected") or []
        if not isinstance(s, dict) or s.get("status") != "unaffected"
    ]
    data.articles[key] = {"id": key, "title": title, "text": text, "published": value.get("published")}
    data.labels[key] = Labels(
        key,
        "train",
        1.0,
        bool(gold.get("is_incident")),
        set(gold.get("incident_types") or []),
        tuple(INCIDENT_TYPES),
        names(gold.get("victims")),
        names(gold.get("attackers")),
        names(gold.get("agencies")),
        services,
    )


# -- matching (as the labelling guide's scorer matches) --------------------------------------
def _tokens(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("'s", "")
    return [t for t in re.findall(r"[a-z0-9]+", text) if t not in SUFFIX]


def _initials(text: str) -> set[str]:
    capitalised = [w for w in re.findall(r"[A-Za-z][\w-]*", text) if w[0].isupper()]
    return {
        "".join(w[0] for w in capitalised).lower(),
        "".join(w[0] for w in capitalised if w.lower() not in SUFFIX).lower(),
    }


def name_matches(predicted: str, alias: str) -> bool:
    """Lower-cased, corporate suffixes dropped: one contains the other as whole words, or
    one is the other's acronym."""
    p, a = _tokens(predicted), _tokens(alias)
    if not p or not a:
        return False

    def sub(x: list[str], y: list[str]) -> bool:
        return any(y[i : i + len(x)] == x for i in range(len(y) - len(x) + 1))

    if p == a or sub(p, a) or sub(a, p):
        return True
    pj, aj = "".join(p), "".join(a)
    return (len(pj) >= 2 and pj in _initials(alias)) or (len(aj) >= 2 and aj in _initials(predicted))


class LenientTerm(str):
    """A service as our own articles' gold names it: a descriptive label ("pharmacy insurance
    claims processing") rather than the labelling guide's key term. A phrase inside it also
    matches, as bench.nlp_quality scores those articles."""


def service_matches(predicted: str, term: str) -> bool:
    """The labelling guide's scorer: the predicted phrase contains the term."""
    if term.lower() in predicted.lower():
        return True
    if isinstance(term, LenientTerm):
        inner = " ".join(_words(predicted))
        return bool(inner) and f" {inner} " in f" {' '.join(_words(term))} "
    return False


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def known_features(per_article: Iterable[set[str]]) -> set[str]:
    """The feature names at least MIN_FEATURE_ARTICLES articles have (each article's names
    given as one set): rarer ones are noise a model would fit."""
    seen: Counter = Counter(name for names in per_article for name in names)
    return {name for name, n in seen.items() if n >= MIN_FEATURE_ARTICLES}


def in_groups(names: Iterable[str], grp: list[list[str]], match: Callable[[str, str], bool]) -> bool:
    return any(match(n, a) for n in names for g in grp for a in g)


def field_counts(
    predicted: list[str] | list[list[str]], gold: list[list[str]], match: Callable[[str, str], bool]
) -> tuple[int, int, int]:
    """(tp, fp, fn) as the scorer counts them: a predicted item (a name, or the names one
    record entry carries, as an agency's name and alias) is right when one of its names
    matches a name of a gold group."""
    hit = [False] * len(gold)
    tp = fp = 0
    for item in predicted:
        names = [item] if isinstance(item, str) else item
        ok = False
        for k, grp in enumerate(gold):
            if any(match(name, a) for name in names for a in grp):
                ok = hit[k] = True
        tp += ok
        fp += not ok
    return tp, fp, hit.count(False)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# -- fitting ----------------------------------------------------------------------------------
def _matrix(rows: list[dict[str, float]], names: dict[str, int]):
    from scipy.sparse import csr_matrix

    data, indices, indptr = [], [], [0]
    for row in rows:
        for key in sorted(row):
            index = names.get(key)
            if index is not None and row[key]:
                data.append(float(row[key]))
                indices.append(index)
        indptr.append(len(data))
    return csr_matrix(
        (
            np.array(data, dtype=np.float64),
            np.array(indices, dtype=np.int32),
            np.array(indptr, dtype=np.int32),
        ),
        shape=(len(rows), max(len(names), 1)),
    )


def fit_linear(rows: list[dict[str, float]], y: np.ndarray, weights: np.ndarray, c: float) -> LinearModel:
    """An L2 logistic regression (liblinear, seeded) stored as name → weight."""
    from sklearn.linear_model import LogisticRegression

    names = {k: i for i, k in enumerate(sorted({k for row in rows for k in row}))}
    if len(set(y.tolist())) < 2:
        return LinearModel({}, -10.0 if not y.any() else 10.0)
    model = LogisticRegression(C=c, solver="liblinear", random_state=SEED, max_iter=1000)
    model.fit(_matrix(rows, names), y, sample_weight=weights)
    coef = model.coef_[0]
    stored = {k: round(float(coef[i]), 5) for k, i in names.items() if abs(coef[i]) >= 1e-4}
    return LinearModel(stored, round(float(model.intercept_[0]), 5))


def fit_trees(rows: list[dict[str, float]], y: np.ndarray, weights: np.ndarray, settings: dict) -> Ranker:
    """Gradient-boosted trees (scikit-learn GradientBoostingClassifier, seeded, no
    subsampling: deterministic) stored as plain nodes (`TreeModel`, pipelines.trees)."""
    from sklearn.ensemble import GradientBoostingClassifier

    names = {k: i for i, k in enumerate(sorted({k for row in rows for k in row}))}
    if len(set(y.tolist())) < 2:
        return LinearModel({}, -10.0 if not y.any() else 10.0)
    model = GradientBoostingClassifier(random_state=SEED, **settings)
    model.fit(_matrix(rows, names), y, sample_weight=weights)
    features, trees, bias, rate = export_trees(model, sorted(names, key=names.get))
    return TreeModel(features, trees, bias, rate)


def folds(keys: list[str]) -> list[set[str]]:
    """FOLDS seeded folds of the (sorted) keys."""
    from sklearn.model_selection import KFold

    ordered = np.array(sorted(keys))
    splitter = KFold(n_splits=min(FOLDS, len(ordered)), shuffle=True, random_state=SEED)
    return [set(ordered[test].tolist()) for _, test in splitter.split(ordered)]


@dataclass
class Rows:
    """Training rows of one model: feature dicts, labels, weights, and the article of each."""

    x: list[dict[str, float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    w: list[float] = field(default_factory=list)
    doc: list[str] = field(default_factory=list)
    item: list[Any] = field(default_factory=list)

    def add(self, x: dict[str, float], y: int, w: float, doc: str, item: Any = None) -> None:
        self.x.append(x)
        self.y.append(int(y))
        self.w.append(w)
        self.doc.append(doc)
        self.item.append(item)


def cross_validated(
    rows: Rows, scored_docs: list[str], c: float, fit: Callable[..., Ranker] | None = None
) -> np.ndarray:
    """Out-of-fold probabilities for every row (rows of docs outside `scored_docs` always
    train), of a logistic regression with strength `c`, or of the models `fit` makes."""
    fit = fit or (lambda x, y_, w_: fit_linear(x, y_, w_, c))
    y, w = np.array(rows.y), np.array(rows.w)
    p = np.zeros(len(rows.y))
    docs = np.array(rows.doc)
    for test in folds(scored_docs):
        mask = np.array([d in test for d in rows.doc], dtype=bool)
        train = ~mask
        if not mask.any() or not train.any():
            continue
        model = fit([rows.x[i] for i in np.nonzero(train)[0]], y[train], w[train])
        for i in np.nonzero(mask)[0]:
            p[i] = model.probability(rows.x[i])
    del docs
    return p


GRID = [round(t, 2) for t in np.arange(0.1, 0.91, 0.05)]
# The victim ranker's roundup expansion (`learned.choose_ranked`): names of a chosen one's kind
# taken at a lower threshold (chosen on the folds among the GRID values below the threshold,
# or none), up to this many victims in all.
KIND_MAX_ITEMS = 12


def choose_items(
    rows: Rows,
    p: np.ndarray,
    docs: list[str],
    gold: dict[str, list[list[str]]],
    match: Callable[[str, str], bool],
    max_items: int,
    name_of: Callable[[Any], list[str]],
    distinct: bool = False,
    kinds: bool = False,
) -> tuple[float, float, float, float | None]:
    """(F1, threshold, top threshold, kind threshold) that maximise the field F1 over `docs`;
    `distinct`: the same name chosen twice (a phrase the article repeats) counts once, as the
    record lists it; `kinds`: after the two thresholds, the roundup expansion's (None: none)."""
    ranked = ranked_rows(rows, p, docs)

    def score(t: float, tt: float, kt: float | None) -> float:
        counts = selected_counts(rows, p, ranked, gold, match, max_items, name_of, distinct, t, tt, kt)
        return f1(*(sum(c[i] for c in counts.values()) for i in range(3)))

    best: tuple[float, float, float, float | None] = (-1.0, 0.5, 0.5, None)
    for t in GRID:
        for tt in [x for x in GRID if x <= t]:
            value = score(t, tt, None)
            if value > best[0] + 1e-9:
                best = (value, t, tt, None)
    if kinds:
        _value, t, tt, _kt = best
        for kt in [x for x in GRID if x < t]:
            value = score(t, tt, kt)
            if value > best[0] + 1e-9:
                best = (value, t, tt, kt)
    return best


def ranked_rows(rows: Rows, p: np.ndarray, docs: list[str]) -> dict[str, list[int]]:
    """Each article's rows, most probable first."""
    by_doc: dict[str, list[int]] = {d: [] for d in docs}
    for i, d in enumerate(rows.doc):
        if d in by_doc:
            by_doc[d].append(i)
    return {d: sorted(items, key=lambda i: -p[i]) for d, items in by_doc.items()}


def selected_counts(
    rows: Rows,
    p: np.ndarray,
    ranked: dict[str, list[int]],
    gold: dict[str, list[list[str]]],
    match: Callable[[str, str], bool],
    max_items: int,
    name_of: Callable[[Any], list[str]],
    distinct: bool,
    t: float,
    tt: float,
    kt: float | None = None,
) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, fn) of each article for the items a ranker takes at thresholds (t, tt) and
    kind threshold `kt` (`learned.choose_ranked`)."""
    ranker = Decoding(t, tt, max_items, kt, KIND_MAX_ITEMS if kt is not None else max_items)
    out = {}
    for d, order in ranked.items():
        chosen = choose_ranked([p[i] for i in order], [kind_of(rows.item[i]) for i in order], ranker)
        names = [name_of(rows.item[order[j]]) for j in chosen]
        if distinct:
            names = [list(n) for n in dict.fromkeys(tuple(n) for n in names)]
        out[d] = field_counts(names, gold[d], match)
    return out


def f1_by_source(counts: dict[str, tuple[int, int, int]], labels: dict[str, Labels]) -> dict[str, float]:
    """Field F1 of the articles of each --data folder (`Labels.source`)."""
    totals: dict[str, list[int]] = {}
    for d, c in counts.items():
        total = totals.setdefault(labels[d].source, [0, 0, 0])
        for i in range(3):
            total[i] += c[i]
    return {source: round(f1(*total), 3) for source, total in sorted(totals.items())}


@dataclass(frozen=True)
class Decoding:
    """The thresholds `learned.choose_ranked` reads, as cross-validation tries them."""

    threshold: float
    top_threshold: float
    max_items: int
    kind_threshold: float | None = None
    kind_max_items: int = 6


def choose_threshold(
    p: np.ndarray,
    y: np.ndarray,
    forced: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    gate: np.ndarray | None = None,
) -> tuple[float, float]:
    """(F1, threshold) maximising F1 of p >= threshold where `allowed` (or `forced`, when
    given), all within `gate`."""
    best = (-1.0, 0.5)
    for t in [round(x, 3) for x in np.arange(0.1, 0.9, 0.025)]:
        pred = p >= t
        if allowed is not None:
            pred = pred & allowed
        if forced is not None:
            pred = pred | forced
        if gate is not None:
            pred = pred & gate
        score = f1(int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()), int((~pred & (y == 1)).sum()))
        if score > best[0] + 1e-9:
            best = (score, t)
    return best


# -- the models --------------------------------------------------------------------------------
@dataclass
class Featurized:
    features: DocFeatures
    rule: dict[str, Any]  # the rule components' decisions, for the baseline figures
    text_offset: int = 0  # where the article's text starts in the analysed text (after the title)


def build_idf(features: Iterable[DocFeatures], min_df: int = 2) -> dict[str, float]:
    counts: Counter = Counter()
    n = 0
    for f in features:
        counts.update(f.terms.keys())
        n += 1
    return {k: round(math.log((1 + n) / (1 + c)) + 1, 5) for k, c in sorted(counts.items()) if c >= min_df}


def train_event_models(
    data: Dataset, featurized: dict[str, Featurized], train: list[str]
) -> tuple[dict[str, LinearModel], dict[str, dict[str, float]], dict[str, Readings], dict[str, Any]]:
    """Fit the event-sentence models on the train articles that carry CASIE's annotation.

    Returns the models, the event features and the sentence readings of every train article
    (out of fold for the annotated ones, so the document models learn from what an unseen
    article would get), and the cross-validation report."""
    annotated = [k for k in train if k in data.events]
    if not annotated:
        return {}, {}, {}, {}
    xs: list[dict[str, float]] = []
    subtypes: list[set[str]] = []
    docs: list[str] = []
    for k in annotated:
        offset = featurized[k].text_offset
        actual = [start + offset for start, _end, _sub, realis in data.events[k] if realis == "Actual"]
        subs = [sub for _start, _end, sub, realis in data.events[k] if realis == "Actual"]
        for position, (start, end, text, flags) in enumerate(featurized[k].features.body):
            xs.append(sentence_terms(text, flags, position))
            subtypes.append({sub for at, sub in zip(actual, subs) if start <= at < end})
            docs.append(k)
    names_of: dict[str, set[str]] = {}
    for x, d in zip(xs, docs):
        names_of.setdefault(d, set()).update(x)
    known = known_features(names_of.values())
    xs = [{n: v for n, v in x.items() if n in known} for x in xs]
    models: dict[str, LinearModel] = {}
    oof: dict[str, np.ndarray] = {}
    report: dict[str, Any] = {"articles": len(annotated), "sentences": len(xs)}
    for kind, subtype in EVENT_KINDS.items():
        rows = Rows()
        for x, subs, d in zip(xs, subtypes, docs):
            rows.add(
                x,
                bool(subs) if subtype is None else subtype in subs,
                1.0,
                d,
            )
        y = np.array(rows.y)
        best = None
        for c in EVENT_C:
            p = cross_validated(rows, annotated, c)
            score, threshold = choose_threshold(p, y)
            if best is None or score > best[0] + 1e-9:
                best = (score, threshold, c, p)
        fitted = fit_linear(rows.x, y, np.array(rows.w), best[2])
        models[kind] = LinearModel(fitted.weights, fitted.bias, best[1], best[1])
        oof[kind] = best[3]
        report[kind] = {"cv_f1": round(best[0], 3), "C": best[2], "positives": int(y.sum())}
    features: dict[str, dict[str, float]] = {}
    all_readings: dict[str, Readings] = {}
    by_doc: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        by_doc.setdefault(d, []).append(i)
    for k in train:
        readings = sentence_readings(featurized[k].features, models)
        if k in by_doc:  # the annotated articles' sentences read out of fold
            readings = {
                kind: ([float(oof[kind][i]) for i in by_doc[k]], title)
                for kind, (_b, title) in readings.items()
            }
        features[k] = event_features(readings)
        all_readings[k] = readings
    return models, features, all_readings, report


def train_models(data: Dataset, featurized: dict[str, Featurized]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit every model on the train split; returns (models JSON, report)."""
    train = [k for k, lab in data.labels.items() if lab.split == "train" and k in featurized]
    primary = [k for k in train if data.labels[k].weight == 1.0]
    report: dict[str, Any] = {"train_articles": len(train), "primary_labels": len(primary)}
    idf = build_idf(featurized[k].features for k in train)
    events, event_feats, readings, report["events"] = train_event_models(data, featurized, train)
    terms = {k: doc_vector(featurized[k].features, idf) for k in train}
    # three feature sets, each document model takes the one that cross-validates best: the
    # words alone, with the rule classifier's features (`D:`), and with the event readings too
    vectors = {
        "words": {k: {n: v for n, v in terms[k].items() if not n.startswith("D:")} for k in train},
        "terms": terms,
        "terms+events": {k: terms[k] | event_feats.get(k, {}) for k in train},
    }

    def doc_model(
        label: Callable[[Labels], bool | None],
        rule: Callable[[str], bool],
        name: str,
        gate: dict[str, bool] | None = None,
        kind: str | None = None,
    ) -> tuple[LinearModel | None, dict]:
        """One document model, its setting chosen by cross-validation. A type is scored as the
        analysis asserts it: only in an article the detector takes (`gate`, out of fold), and,
        for a kind an event model reads, only with an evidence sentence read at or above the
        evidence threshold (chosen among EVIDENCE_SCALES of the event model's own)."""
        keys = [k for k in train if label(data.labels[k]) is not None]
        y = np.array([int(bool(label(data.labels[k]))) for k in keys])
        w = np.array([data.labels[k].weight for k in keys])
        scored = [k for k in keys if data.labels[k].weight == 1.0]
        gold = np.array([int(bool(label(data.labels[k]))) for k in scored])
        rule_pred = np.array([rule(k) for k in scored], dtype=bool)
        gated = None if gate is None else np.array([gate[k] for k in scored], dtype=bool)
        if gated is not None:
            rule_pred = rule_pred & gated
        rule_f1 = f1(
            int((rule_pred & (gold == 1)).sum()),
            int((rule_pred & (gold == 0)).sum()),
            int((~rule_pred & (gold == 1)).sum()),
        )
        evidence_levels: list[float | None] = [None]
        reading = None
        if kind is not None and kind in events:
            evidence_levels = [round(events[kind].threshold * scale, 4) for scale in EVIDENCE_SCALES]
            reading = np.array(
                [evidence_reading(featurized[k].features, readings[k], kind)[0] for k in scored]
            )
        best = None  # (F1, threshold, C, feature set, evidence threshold, out-of-fold p)
        union = None  # the model's or the rules' assertion, the same
        index = {k: i for i, k in enumerate(keys)}
        for feature_set, chosen in vectors.items():
            rows = Rows()
            for k in keys:
                rows.add(chosen[k], int(bool(label(data.labels[k]))), data.labels[k].weight, k)
            for c in DOC_C:
                p = cross_validated(rows, scored, c)
                oof = np.array([p[index[k]] for k in scored])
                for level in evidence_levels:
                    allowed = None if level is None or reading is None else reading >= level
                    score, threshold = choose_threshold(oof, gold, allowed=allowed, gate=gated)
                    if best is None or score > best[0] + 1e-9:
                        best = (score, threshold, c, feature_set, level, oof)
                    score, threshold = choose_threshold(oof, gold, rule_pred, allowed, gated)
                    if union is None or score > union[0] + 1e-9:
                        union = (score, threshold, c, feature_set, level, oof)
        info = {
            "cv_f1": round(best[0], 3),
            "rule_cv_f1": round(rule_f1, 3),
            "either_cv_f1": round(union[0], 3),
            "C": best[2],
            "threshold": best[1],
            "features": best[3],
            "positives": int(gold.sum()),
        }
        if best[4] is not None:
            info["evidence"] = best[4]
        if name == "detect":
            # detection always has a model: the rules' own score and decision are among its features
            info["decides"] = "model"
            detected.update({k: bool(v >= best[1]) for k, v in zip(scored, best[5])})
        elif int(gold.sum()) < MIN_TYPE_POSITIVES or rule_f1 >= max(best[0], union[0]) - 1e-9:
            info["decides"] = "rules"
            return None, info
        elif union[0] > best[0] + 1e-9:
            info.update(decides="model or rules", C=union[2], threshold=union[1], features=union[3])
            if union[4] is not None:
                info["evidence"] = union[4]
            best = union
        else:
            info["decides"] = "model"
        model = fit_linear([vectors[best[3]][k] for k in keys], y, w, best[2])
        return LinearModel(
            model.weights,
            model.bias,
            best[1],
            best[1],
            with_rules=info["decides"] == "model or rules",
            evidence=best[4],
        ), info

    detected: dict[str, bool] = {}  # the detector's out-of-fold decisions on the scored articles
    detect, report["detect"] = doc_model(
        lambda lab: lab.is_incident, lambda k: bool(featurized[k].rule["is_incident"]), "detect"
    )
    types: dict[str, Any] = {}
    report["types"] = {}
    gate = {k: detected.get(k, True) for k in train}  # a type is scored where the detector says incident
    for kind in INCIDENT_TYPES:
        if kind == "unspecified":
            continue

        def label(lab: Labels, kind: str = kind) -> bool | None:
            if lab.types is None or kind not in lab.type_vocabulary:
                return None
            return kind in lab.types

        model, info = doc_model(
            label,
            lambda k, kind=kind: kind in featurized[k].rule["type_cues"],
            kind,
            gate=gate,
            kind=kind,
        )
        types[kind] = model
        report["types"][kind] = info

    def role_model(
        field_name: str,
        candidates: Callable[[DocFeatures], list],
        match,
        name_of,
        max_items: int,
        rule_names: Callable[[str], list],
        compare_trees: bool = True,
        distinct: bool = False,
        unread: tuple[str, ...] = (VICTIM_ONLY,),
        kinds: bool = False,
    ) -> tuple[Ranker, dict]:
        """One ranker, its setting chosen by cross-validation; features whose name starts with
        one of `unread` are not learned from (another role's: by default the victim ranker's
        own, VICTIM_ONLY); `kinds`: a roundup expansion's threshold is chosen too."""
        keys = [
            k for k in train if getattr(data.labels[k], field_name) is not None and data.labels[k].is_incident
        ]
        gold = {k: getattr(data.labels[k], field_name) for k in keys}
        known = {
            name
            for name in known_features(
                {name for item in candidates(featurized[k].features) for name in item.features} for k in keys
            )
            if not (unread and name.startswith(unread))
        }
        rows = Rows()
        for k in keys:
            for item in candidates(featurized[k].features):
                x = {name: v for name, v in item.features.items() if name in known}
                rows.add(x, int(in_groups(name_of(item), gold[k], match)), data.labels[k].weight, k, item)
        scored = [k for k in keys if data.labels[k].weight == 1.0]
        rule = [field_counts(rule_names(k), gold[k], match) for k in scored]
        rule_f1 = f1(*(sum(x[i] for x in rule) for i in range(3)))
        best = None
        for c in ROLE_C:
            p = cross_validated(rows, scored, c)
            score, t, tt, kt = choose_items(rows, p, scored, gold, match, max_items, name_of, distinct, kinds)
            if best is None or score > best[0] + ROLE_C_MARGIN:
                best = (score, t, tt, c, p, kt)

        def by_source(p: np.ndarray, t: float, tt: float, kt: float | None) -> dict[str, float]:
            """The out-of-fold F1 at the chosen thresholds, per --data folder."""
            ranked = ranked_rows(rows, p, scored)
            counts = selected_counts(rows, p, ranked, gold, match, max_items, name_of, distinct, t, tt, kt)
            return f1_by_source(counts, data.labels)

        info = {
            "cv_f1": round(best[0], 3),
            "cv_f1_by_data": by_source(best[4], best[1], best[2], best[5]),
            "rule_cv_f1": round(rule_f1, 3),
            "rule_cv_f1_by_data": f1_by_source(dict(zip(scored, rule)), data.labels),
            "C": best[3],
            "threshold": best[1],
            "top_threshold": best[2],
            "articles": len(scored),
            "rows": len(rows.y),
            "model": "logistic regression",
        }
        if kinds:
            info["kind_threshold"] = best[5]
        trees = None
        for settings in TREE_SETTINGS if compare_trees else ():
            p = cross_validated(rows, scored, 0.0, lambda x, y_, w_, s=settings: fit_trees(x, y_, w_, s))
            score, t, tt, kt = choose_items(rows, p, scored, gold, match, max_items, name_of, distinct, kinds)
            if trees is None or score > trees[0] + 1e-9:
                trees = (score, t, tt, settings, p, kt)
        if trees is not None:
            info["trees_cv_f1"] = round(trees[0], 3)
            info["trees_cv_f1_by_data"] = by_source(trees[4], trees[1], trees[2], trees[5])
            info["trees_settings"] = trees[3]
        y, w = np.array(rows.y), np.array(rows.w)
        if trees is not None and trees[0] > best[0] + TREES_MARGIN:
            info.update(model="gradient boosting", threshold=trees[1], top_threshold=trees[2])
            if kinds:
                info["kind_threshold"] = trees[5]
            fitted = fit_trees(rows.x, y, w, trees[3])
            if isinstance(fitted, TreeModel):
                return TreeModel(
                    fitted.features,
                    fitted.trees,
                    fitted.bias,
                    fitted.rate,
                    trees[1],
                    trees[2],
                    max_items,
                    trees[5],
                    KIND_MAX_ITEMS if trees[5] is not None else max_items,
                ), info
        model = fit_linear(rows.x, y, w, best[3])
        return LinearModel(
            model.weights,
            model.bias,
            best[1],
            best[2],
            max_items,
            kind_threshold=best[5],
            kind_max_items=KIND_MAX_ITEMS if best[5] is not None else max_items,
        ), info

    orgs = lambda f: [c for c in f.candidates if c.role != "country"]  # noqa: E731
    victim, report["victim"] = role_model(
        "victims",
        orgs,
        name_matches,
        lambda c: record_names(c, "victims"),
        6,
        lambda k: featurized[k].rule["victims"],
        unread=ATTACKER_AGENCY_FEATURES,
        distinct=True,
        kinds=True,
    )
    attacker, report["attacker"] = role_model(
        "attackers",
        attacker_candidates,
        name_matches,
        lambda c: record_names(c, "attackers"),
        4,
        lambda k: featurized[k].rule["attackers"],
    )
    agency, report["agency"] = role_model(
        "agencies",
        orgs,
        name_matches,
        lambda c: record_names(c, "agencies"),
        6,
        lambda k: [[a["name"], a.get("alias") or a["name"]] for a in featurized[k].rule["agencies"]],
    )
    service, report["service"] = role_model(
        "services",
        lambda f: f.services,
        service_matches,
        lambda s: [s.name],
        6,
        lambda k: featurized[k].rule["services_affected"],
        compare_trees=False,
        distinct=True,
    )
    models = {
        "format": 1,
        "idf": idf,
        "detect": model_dict(detect),
        "types": {k: model_dict(m) if m else None for k, m in types.items()},
        "victim": model_dict(victim),
        "attacker": model_dict(attacker),
        "agency": model_dict(agency),
        "service": model_dict(service),
        "events": {k: model_dict(m) for k, m in sorted(events.items())},
        "meta": {"train_articles": len(train), "primary_labels": len(primary), "cross_validation": report},
    }
    return models, report


def model_dict(model: Ranker | None) -> dict[str, Any] | None:
    if model is None:
        return None
    if isinstance(model, TreeModel):
        return {
            "features": model.features,
            "trees": model.trees,
            "bias": model.bias,
            "rate": model.rate,
            "threshold": model.threshold,
            "top_threshold": model.top_threshold,
            "max_items": model.max_items,
        } | kind_dict(model)
    assert isinstance(model, LinearModel)
    out = {"evidence": model.evidence} if model.evidence is not None else {}
    return (
        out
        | {
            "with_rules": model.with_rules,
            "weights": dict(sorted(model.weights.items())),
            "bias": model.bias,
            "threshold": model.threshold,
            "top_threshold": model.top_threshold,
            "max_items": model.max_items,
        }
        | kind_dict(model)
    )


def kind_dict(model: Ranker) -> dict[str, Any]:
    """The roundup expansion's settings, stored only for a ranker that has one."""
    if model.kind_threshold is None:
        return {}
    return {"kind_threshold": model.kind_threshold, "kind_max_items": model.kind_max_items}


def write_models(models: dict[str, Any], path: Path = MODELS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(models, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8"
    )


# -- running the pipeline over the articles ------------------------------------------------------
class TrainingError(ValueError):
    """Labels that cannot train the models (none, or no article text for them)."""


def featurize(articles: list[dict], nlp=None, model: str | None = None) -> dict[str, Featurized]:
    """Run the rule pipeline over the articles and describe each for the models."""
    from pipelines.nlp.analyzer import prepare
    from pipelines.nlp.pipeline import build_nlp
    from pipelines.nlp.state import doc_analysis
    from pipelines.nlp.text import clear_cache

    nlp = nlp if nlp is not None else build_nlp(model, learned=False)
    learned = nlp.get_pipe("incident_learned")
    out: dict[str, Featurized] = {}
    disabled = [n for n in ("incident_learned", "incident_context") if n in nlp.pipe_names]
    with nlp.select_pipes(disable=disabled):
        for article in sorted(articles, key=lambda a: str(a["id"])):
            prepared = prepare(article, 100_000)
            if prepared.error:
                LOG.warning("article %s skipped: %s", article["id"], prepared.error)
                continue
            doc = nlp.make_doc(prepared.text)
            doc._.title_end = prepared.title_end
            doc._.published_year = prepared.published_year
            doc = nlp(doc)
            analysis = doc_analysis(doc)
            features = learned.features(doc)
            rule = {
                "is_incident": analysis.is_incident,
                "incident_types": list(analysis.incident_types),
                "type_cues": list(analysis.type_cues),
                "victims": list(analysis.victims) if analysis.is_incident else [],
                "attackers": list(analysis.attackers),
                "agencies": [dict(a) for a in analysis.agencies],
                "services_affected": list(analysis.services_affected) if analysis.is_incident else [],
            }
            out[str(article["id"])] = Featurized(features, rule, prepared.body_start)
            doc.user_data.clear()
            clear_cache()
    return out


def train(
    folder: Path | list[Path], out: Path = MODELS_FILE, nlp=None, model: str | None = None
) -> dict[str, Any]:
    """Read DIR, fit, write the models file; returns the report (cross-validation figures)."""
    data = load_dataset(folder)
    if not any(lab.split == "train" for lab in data.labels.values()):
        raise TrainingError(
            f"{folder}: no labelled training articles (JSON lines with id, is_incident, and the "
            "article text in the same line or in another file's line with the same id)"
        )
    wanted = [data.articles[k] for k in data.labels]
    featurized = featurize(wanted, nlp, model)
    models, report = train_models(data, featurized)
    write_models(models, out)
    report["validation"] = validation_report(data, featurized, models)
    return report


def validation_report(
    data: Dataset, featurized: dict[str, Featurized], models_json: dict[str, Any]
) -> dict[str, Any]:
    """Field F1 on the labelled articles held out of fitting (split "validation", first reader)."""
    from pipelines.nlp.learned import Models

    models = Models.from_dict(models_json)
    keys = [
        k for k, lab in data.labels.items() if lab.split != "train" and lab.weight == 1.0 and k in featurized
    ]
    if not keys:
        return {}
    out: dict[str, Any] = {"articles": len(keys)}
    det = [
        (
            models.detect.probability(models.vector(featurized[k].features)) >= models.detect.threshold,
            bool(data.labels[k].is_incident),
        )
        for k in keys
    ]
    out["incident_f1"] = round(
        f1(sum(p and g for p, g in det), sum(p and not g for p, g in det), sum(g and not p for p, g in det)),
        3,
    )
    for name, model, cands, match in (
        ("victims", models.victim, lambda f: [c for c in f.candidates if c.role != "country"], name_matches),
        ("attackers", models.attacker, attacker_candidates, name_matches),
        ("agencies", models.agency, lambda f: [c for c in f.candidates if c.role != "country"], name_matches),
        ("services", models.service, lambda f: f.services, service_matches),
    ):
        names_of = (lambda c: [c.name]) if name == "services" else (lambda c, n=name: record_names(c, n))
        total = [0, 0, 0]
        for k in keys:
            lab = data.labels[k]
            gold = getattr(lab, name)
            if not lab.is_incident or gold is None:
                continue
            chosen = model.select([(model.probability(c.features), c) for c in cands(featurized[k].features)])
            names = [
                list(n) for n in dict.fromkeys(tuple(names_of(c)) for c in chosen)
            ]  # as the record lists them
            for i, v in enumerate(field_counts(names, gold, match)):
                total[i] += v
        out[f"{name}_f1"] = round(f1(*total), 3)
    return out


__all__ = [
    "train",
    "load_dataset",
    "featurize",
    "train_models",
    "write_models",
    "name_matches",
    "TrainingError",
]
