"""Trains the main-text line model (pipelines/parsing/models/lines.json; model card in
docs/models.md) on the tuning half of each extraction-benchmark set.

Each page of a set is in the tuning half or the held-out half by a hash of its key
(`held_out`), the same split `bench.extraction_benchmark` reports the held-out figures on.
The extractors' readings of the tuning pages (parse_html's `readings`) are cached beside the
sets (voters/<set>.jsonl), so a re-fit does not re-read the pages. A line's label: for the
token-gold sets, whether most of its words are in the gold text; for trafilatura's set,
whether it holds one of the page's wanted snippets (1) or an unwanted one (0), other lines
unlabelled. Each set weighs the same. The thresholds are those that maximise the smallest
gain in F1 over plain trafilatura across the sets, on the tuning half.

    python -m bench.extraction_training [--limit N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.extraction_benchmark import CACHE, SETS, TOKEN, _norm, held_out
from pipelines.parsing import ParseError, parse_html
from pipelines.parsing.voting import MODEL_FILE, candidates

KEEP_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
ADD_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
C = 1.0


def _readings(job: tuple[str, bytes, str | None]) -> tuple[str, dict[str, str]]:
    key, raw, url = job
    readings: dict[str, str] = {}
    try:
        parse_html(raw, url, readings=readings)
    except ParseError:
        pass
    return key, readings


def tuning_readings(name: str, limit: int | None, jobs: int) -> list[tuple[str, dict[str, str], object]]:
    """(key, readings, gold) of the set's tuning pages, read once and cached."""
    cache = CACHE / "voters" / f"{name}.jsonl"
    cached = {}
    if cache.exists():
        for line in cache.read_text("utf-8").splitlines():
            record = json.loads(line)
            cached[record["key"]] = record["readings"]
    pages = [(k, raw, gold) for i, (k, raw, gold) in enumerate(SETS[name]()) if limit is None or i < limit]
    pages = [page for page in pages if not held_out(page[0])]
    todo = [(k, raw, k if name == "trafilatura" else None) for k, raw, _ in pages if k not in cached]
    if todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(jobs) as pool, cache.open("a", encoding="utf-8") as out:
            for key, readings in pool.map(_readings, todo, chunksize=4):
                cached[key] = readings
                out.write(json.dumps({"key": key, "readings": readings}) + "\n")
    return [(k, cached[k], gold) for k, _, gold in pages]


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
    tp = fp = fn = 0
    precision, recall = [], []
    for key, gold in golds.items():
        text = texts.get(key, "")
        if name == "trafilatura":
            found = _norm(text)
            hits = sum(_norm(w) in found for w in gold["with"])
            tp, fn = tp + hits, fn + len(gold["with"]) - hits
            fp += sum(_norm(w) in found for w in gold["without"])
            continue
        got, want = Counter(TOKEN.findall(text.lower())), Counter(TOKEN.findall(gold.lower()))
        overlap = sum((got & want).values())
        precision.append(overlap / max(1, sum(got.values())))
        recall.append(overlap / max(1, sum(want.values())))
    if name == "trafilatura":
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    else:
        p, r = sum(precision) / max(1, len(golds)), sum(recall) / max(1, len(golds))
    return 2 * p * r / (p + r) if p + r else 0.0


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="pages per set (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, dict[str, float], int | None]] = []
    golds: dict[str, dict[str, object]] = {}
    baseline: dict[str, float] = {}
    for name in SETS:
        pages = tuning_readings(name, args.limit, args.jobs)
        golds[name] = {key: gold for key, _, gold in pages}
        baseline[name] = _f1(name, {key: r.get("trafilatura", "") for key, r, _ in pages}, golds[name])
        for key, readings, gold in pages:
            if not readings:
                continue
            wanted = gold if name == "trafilatura" else set(TOKEN.findall(gold.lower()))
            for line, features in candidates(readings):
                rows.append((name, key, line, features, _label(name, wanted, line)))
        print(f"{name}: {len(pages)} tuning pages", flush=True)
    names = sorted({feature for row in rows for feature in row[3]})
    labelled = [row for row in rows if row[4] is not None]
    per_set = Counter(row[0] for row in labelled)
    x = np.array([[row[3].get(n, 0.0) for n in names] for row in labelled])
    y = np.array([row[4] for row in labelled])
    weight = np.array([len(labelled) / (len(per_set) * per_set[row[0]]) for row in labelled])
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y, sample_weight=weight)
    probability = model.predict_proba(np.array([[row[3].get(n, 0.0) for n in names] for row in rows]))[:, 1]
    best = None
    for keep in KEEP_THRESHOLDS:
        for add in ADD_THRESHOLDS:
            texts: dict[str, dict[str, str]] = {name: {} for name in SETS}
            for row, p in zip(rows, probability):
                if p >= (keep if row[3].get("src_trafilatura") else add):
                    texts[row[0]][row[1]] = texts[row[0]].get(row[1], "") + row[2] + "\n"
            gains = [_f1(name, texts[name], golds[name]) - baseline[name] for name in SETS]
            print(
                f"keep {keep} add {add}: " + " ".join(f"{n} {g:+.4f}" for n, g in zip(SETS, gains)),
                flush=True,
            )
            if best is None or (min(gains), sum(gains)) > best[0]:
                best = ((min(gains), sum(gains)), keep, add)
    assert best is not None
    weights = {n: round(float(w), 5) for n, w in zip(names, model.coef_[0])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "weights": weights,
                "bias": round(float(model.intercept_[0]), 5),
                "keep_threshold": best[1],
                "add_threshold": best[2],
                "trained_on": {name: len(golds[name]) for name in SETS},
            },
            indent=1,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}: keep {best[1]}, add {best[2]}, smallest tuning gain {best[0][0]:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
