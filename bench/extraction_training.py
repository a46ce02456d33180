"""Trains the main-text line model (pipelines/parsing/models/lines.json; model card in
docs/models.md) on the tuning half of each extraction-benchmark set.

Each page of a set is in the tuning half or the held-out half by a hash of its key
(`held_out`), the same split `bench.extraction_benchmark` reports the held-out figures on.
What the product reads of each tuning page (parse_html's `readings`: each extractor's text
and the boxes the pruning removed; its title and text) and plain trafilatura's text are cached beside
the sets (voters/<set>.jsonl), so a re-fit does not re-read the pages; after a change to the
parser, remove that folder. A line's label: for the token-gold sets, whether most of its words
are in the gold text; for trafilatura's set, whether it holds one of the page's wanted
snippets (1) or an unwanted one (0), other lines unlabelled. Each set weighs the same. The
model is gradient-boosted trees (`TREES`), stored as plain nodes (pipelines.trees). The
thresholds are those that maximise the smallest gain in F1 over plain trafilatura across the
sets, on the tuning half's out-of-fold probabilities (`FOLDS` folds of pages), each page's
text made as the product makes it (pipelines.parsing.text.voted_text, the title before it as
the benchmark scores it); the shipped trees are fitted on every tuning row. Deterministic: the
same readings give the same file byte for byte.

    python -m bench.extraction_training [--limit N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.extraction_benchmark import (
    BODY_ONLY_GOLD,
    CACHE,
    SETS,
    TOKEN,
    _norm,
    aggregate,
    held_out,
    page_counts,
    plain_trafilatura,
)
from pipelines.parsing import ParseError, _without_title, parse_html
from pipelines.parsing.text import BOX_SEPARATOR, PRUNED, voted_text
from pipelines.parsing.voting import MODEL_FILE, LineModel, candidates
from pipelines.trees import export_trees

KEEP_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
ADD_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
# scikit-learn HistGradientBoostingClassifier, seeded, no early stopping (its validation
# split would be a second random draw): the same rows give the same file.
TREES = {
    "max_iter": 200,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "early_stopping": False,
    "random_state": 0,
}
FOLDS = 5


def _readings(job: tuple[str, bytes, str | None]) -> dict:
    key, raw, url = job
    readings: dict[str, str] = {}
    title, text = None, ""
    try:
        article = parse_html(raw, url, readings=readings)
        title, text = article.title, article.text
    except ParseError:
        pass
    return {
        "key": key,
        "readings": readings,
        "title": title,
        "text": text,
        "plain": plain_trafilatura(raw, url),
    }


def tuning_readings(name: str, limit: int | None, jobs: int) -> list[tuple[dict, object]]:
    """(cached record, gold) of the set's tuning pages, read once and cached."""
    cache = CACHE / "voters" / f"{name}.jsonl"
    cached = {}
    if cache.exists():
        for line in cache.read_text("utf-8").splitlines():
            record = json.loads(line)
            cached[record["key"]] = record
    pages = [(k, raw, gold) for i, (k, raw, gold) in enumerate(SETS[name]()) if limit is None or i < limit]
    pages = [page for page in pages if not held_out(page[0])]
    todo = [(k, raw, k if name == "trafilatura" else None) for k, raw, _ in pages if k not in cached]
    if todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(jobs) as pool, cache.open("a", encoding="utf-8") as out:
            for record in pool.map(_readings, todo, chunksize=4):
                cached[record["key"]] = record
                out.write(json.dumps(record) + "\n")
    return [(cached[k], gold) for k, _, gold in pages]


def product_text(name: str, record: dict, model: LineModel, scored: list[tuple[str, bool, float]]) -> str:
    """The page's text as parse_html makes it from these readings, as the benchmark scores it."""
    readings, title = record["readings"], record["title"]
    if readings:
        removed = readings[PRUNED].split(BOX_SEPARATOR) if readings.get(PRUNED) else []
        text = _without_title(voted_text(readings, removed, model, scored), title)
    else:  # not voted (too big for five readings): our extraction alone
        text = record["text"]
    return f"{title}\n{text}" if title and name not in BODY_ONLY_GOLD else text


def _label(name: str, gold, line: str) -> int | None:
    if name == "trafilatura":
        found = _norm(line)
        if any(_norm(w) in found for w in gold["with"]):
            return 1
        if any(_norm(w) in found for w in gold["without"]):
            return 0
        return None
    tokens = TOKEN.findall(line.lower())
    return int(sum(t in gold for t in tokens) / len(tokens) >= 0.5) if tokens else None


def _f1(name: str, texts: dict[str, str], golds: dict[str, object]) -> float:
    """The benchmark's measure (bench.extraction_benchmark.score) over given texts."""
    return aggregate(name, [page_counts(name, texts.get(key, ""), gold) for key, gold in golds.items()])["f1"]


def _folds(keys: list[str]) -> list[int]:
    """Each row's cross-validation fold, by a hash of its page's key (a page's lines stay together)."""
    return [int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) // 2 % FOLDS for key in keys]


def _fit(x, y, weight):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**TREES).fit(x, y, sample_weight=weight)


def _gains(model: LineModel, scored: dict, records: dict, golds: dict, baseline: dict) -> list[float]:
    """Per set, F1 of the product's text from these scores minus plain trafilatura's."""
    gains = []
    for name in SETS:
        texts = {
            record["key"]: product_text(name, record, model, scored.get((name, record["key"]), []))
            for record in records[name]
        }
        gains.append(_f1(name, texts, golds[name]) - baseline[name])
    return gains


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="pages per set (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, dict[str, float], int | None]] = []
    golds: dict[str, dict[str, object]] = {}
    records: dict[str, list[dict]] = {}
    baseline: dict[str, float] = {}
    for name in SETS:
        pages = tuning_readings(name, args.limit, args.jobs)
        golds[name] = {record["key"]: gold for record, gold in pages}
        records[name] = [record for record, _ in pages]
        baseline[name] = _f1(name, {record["key"]: record["plain"] for record, _ in pages}, golds[name])
        for record, gold in pages:
            if not record["readings"]:
                continue
            wanted = gold if name == "trafilatura" else set(TOKEN.findall(gold.lower()))
            for line, features in candidates(record["readings"]):
                rows.append((name, record["key"], line, features, _label(name, wanted, line)))
        print(f"{name}: {len(pages)} tuning pages, plain trafilatura F1 {baseline[name]:.4f}", flush=True)
    names = sorted({feature for row in rows for feature in row[3]})
    x_all = np.array([[row[3].get(n, 0.0) for n in names] for row in rows])
    is_labelled = np.array([row[4] is not None for row in rows])
    y = np.array([row[4] for row in rows if row[4] is not None])
    per_set = Counter(row[0] for row in rows if row[4] is not None)
    weight = np.array([len(y) / (len(per_set) * per_set[row[0]]) for row in rows if row[4] is not None])
    folds = np.array(_folds([row[1] for row in rows]))
    # Thresholds are picked on out-of-fold probabilities: trees fitted on the same lines
    # would score them far too confidently.
    probability = np.zeros(len(rows))
    for fold in range(FOLDS):
        train = (folds != fold)[is_labelled]
        fitted = _fit(x_all[is_labelled][train], y[train], weight[train])
        probability[folds == fold] = fitted.predict_proba(x_all[folds == fold])[:, 1]
        print(f"fold {fold + 1}/{FOLDS} fitted", flush=True)
    scored: dict[tuple[str, str], list[tuple[str, bool, float]]] = {}
    for row, p in zip(rows, probability):
        scored.setdefault((row[0], row[1]), []).append(
            (row[2], bool(row[3].get("src_trafilatura")), float(p))
        )
    features, trees, bias, rate = export_trees(_fit(x_all[is_labelled], y, weight), names)
    best = None
    for keep in KEEP_THRESHOLDS:
        for add in ADD_THRESHOLDS:
            gains = _gains(
                LineModel(features, trees, bias, rate, keep, add), scored, records, golds, baseline
            )
            print(
                f"keep {keep} add {add}: " + " ".join(f"{n} {g:+.4f}" for n, g in zip(SETS, gains)),
                flush=True,
            )
            if best is None or (min(gains), sum(gains)) > best[0]:
                best = ((min(gains), sum(gains)), keep, add, gains)
    assert best is not None
    model = LineModel(features, trees, bias, rate, best[1], best[2])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                **model.to_dict(),
                "trained_on": {name: len(golds[name]) for name in SETS},
                "settings": TREES,
                "cross_validated_gain": {name: round(gain, 4) for name, gain in zip(SETS, best[3])},
            },
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    print(
        f"wrote {args.out}: keep {best[1]}, add {best[2]}, cross-validated gains over plain trafilatura "
        + " ".join(f"{n} {g:+.4f}" for n, g in zip(SETS, best[3]))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
