"""Quality of the analysis stage against gold annotations.

    python -m bench.nlp_quality                      # all three sets below, one report each
    python -m bench.nlp_quality data/sample/content  # the sample web (development set)
    python -m bench.nlp_quality tests/fixtures/nlp   # the focused fixtures
    python -m bench.nlp_quality tests/fixtures/nlp/heldout   # held-out, written blind to the analyser
    python -m bench.nlp_quality --show-errors        # print every disagreement
    python -m bench.nlp_quality --realdev            # real labelled news (../shared/realdev)

Prints precision, recall and F1 for victims, agencies, attackers and services (lenient name
matching: case-insensitive, one name contains the other, an acronym, or the same canonical
gazetteer name), incident detection, the macro-F1 of incident types, and the share of
incidents whose country (the record's first) and sector are right.

`--realdev` analyses the real articles of `../shared/realdev/input.jsonl` twice in the same
run, with the trained models and rules only (the baseline), and prints that folder's
`score.py` figures for its validation split (`--split` for another) side by side. The
articles are read from there, never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from core.config import REPO_DATA
from core.gazetteers import load_gazetteer
from core.names import names_match
from pipelines.nlp import Analyzer, build_nlp

SAMPLE = REPO_DATA / "sample" / "content"
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nlp"
# Sets never tuned on (heldout and heldout2 informed general rules once: treat them as dev sets).
HELD_OUT = tuple(FIXTURES / name for name in ("heldout", "heldout2", "heldout3"))
DEFAULT_SETS = (SAMPLE, FIXTURES, *HELD_OUT)
FIELDS = ("victims", "agencies", "attackers", "services")
REALDEV = Path(__file__).resolve().parent.parent.parent / "shared" / "realdev"


def load_articles(folder: Path) -> list[dict]:
    """Articles with gold: sample-web content files ({slug, title, paragraphs, gold}) or
    fixtures ({id, title, text, gold})."""
    articles = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "gold" not in data:
            continue
        title = data.get("title") or ""
        text = data.get("text")
        if text is None:
            text = "\n\n".join([title, *data.get("paragraphs", [])])
        articles.append(
            {
                "id": data.get("id") or data.get("slug") or path.stem,
                "title": title,
                "text": text,
                "gold": data["gold"],
            }
        )
    return articles


def canonical(name: str) -> str:
    entries = load_gazetteer().lookup(name)
    return entries[0].name if entries else name


def lenient_equal(a: str, b: str) -> bool:
    return names_match(a, b) or canonical(a).lower() == canonical(b).lower()


def match_count(predicted: list[str], gold: list[str]) -> int:
    """One-to-one greedy matches between predicted and gold names."""
    used: set[int] = set()
    hits = 0
    for g in gold:
        for i, p in enumerate(predicted):
            if i not in used and lenient_equal(p, g):
                used.add(i)
                hits += 1
                break
    return hits


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def field_values(record: dict, gold: dict, name: str) -> tuple[list[str], list[str]]:
    if name == "agencies":
        pred = [a["name"] for a in record.get("agencies", [])]
        gold_values = [a["name"] if isinstance(a, dict) else a for a in gold.get("agencies", [])]
    elif name == "services":
        pred = list(record.get("services_affected", []))
        gold_values = [
            s["service"] if isinstance(s, dict) else s
            for s in gold.get("services_affected", [])
            if not isinstance(s, dict) or s.get("status") != "unaffected"
        ]
    else:
        pred = list(record.get(name, []))
        gold_values = list(gold.get(name, []))
    return pred, gold_values


def evaluate(articles: list[dict], analyzer: Analyzer, show_errors: bool = False) -> dict:
    counts = {f: [0, 0, 0] for f in FIELDS}
    detect = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    type_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    context = {"country": [0, 0], "sector": [0, 0]}  # [right, gold incidents that have one]
    records = (
        r.to_dict() for r in analyzer.analyze({k: a[k] for k in ("id", "title", "text")} for a in articles)
    )
    for article, record in zip(articles, records):
        gold = article["gold"]
        problems = []
        for name in FIELDS:
            pred, gold_values = field_values(record, gold, name)
            tp = match_count(pred, gold_values)
            counts[name][0] += tp
            counts[name][1] += len(pred)
            counts[name][2] += len(gold_values)
            if tp != len(pred) or tp != len(gold_values):
                problems.append(f"{name}: predicted {pred} gold {gold_values}")
        g_inc, p_inc = bool(gold.get("is_incident")), bool(record["is_incident"])
        detect[("t" if g_inc == p_inc else "f") + ("p" if p_inc else "n")] += 1
        if g_inc != p_inc:
            problems.append(f"is_incident: predicted {p_inc} gold {g_inc}")
        g_types = set(gold.get("incident_types") or []) if g_inc else set()
        p_types = set(record.get("incident_types") or [])
        for kind in g_types | p_types:
            type_counts[kind][0] += kind in g_types and kind in p_types
            type_counts[kind][1] += kind in p_types
            type_counts[kind][2] += kind in g_types
        if g_types != p_types:
            problems.append(f"types: predicted {sorted(p_types)} gold {sorted(g_types)}")
        if g_inc:
            for name, predicted, expected in (
                ("country", (record.get("countries") or [None])[0], (gold.get("countries") or [None])[0]),
                ("sector", record.get("sector"), gold.get("sector")),
            ):
                if expected:
                    context[name][1] += 1
                    context[name][0] += predicted == expected
                    if predicted != expected:
                        problems.append(f"{name}: predicted {predicted} gold {expected}")
        if record.get("error"):
            problems.append(f"error: {record['error']}")
        if show_errors and problems:
            print(f"## {article['id']}: {article['title']}")
            for line in problems:
                print("   ", line)
    result = {name: prf(*counts[name]) for name in FIELDS}
    result["detection_counts"] = dict(detect)
    result["incident_detection"] = prf(detect["tp"], detect["tp"] + detect["fp"], detect["tp"] + detect["fn"])
    per_type = {kind: prf(*c) for kind, c in sorted(type_counts.items())}
    result["type_counts"] = {kind: tuple(c) for kind, c in type_counts.items()}
    result["types_macro_f1"] = sum(f for _, _, f in per_type.values()) / len(per_type) if per_type else 1.0
    result["per_type"] = per_type
    result["context"] = context
    result["n"] = len(articles)
    return result


def print_report(title: str, result: dict) -> None:
    print(f"{title} ({result['n']} articles)")
    print(f"  {'field':<20} {'P':>6} {'R':>6} {'F1':>6}")
    for name in (*FIELDS, "incident_detection"):
        p, r, f = result[name]
        print(f"  {name:<20} {p:6.3f} {r:6.3f} {f:6.3f}")
    print(f"  {'type macro-F1':<20} {'':>6} {'':>6} {result['types_macro_f1']:6.3f}")
    for name, (right, total) in result["context"].items():
        print(
            f"  {name + ' right':<20} {right}/{total} incidents"
            + (f" ({right / total:.3f})" if total else "")
        )
    d = result["detection_counts"]
    print(f"  {'detection counts':<20} tp {d['tp']}  fp {d['fp']}  fn {d['fn']}  tn {d['tn']}")
    for kind, (p, r, f) in result["per_type"].items():
        tp, n_pred, n_gold = result["type_counts"][kind]
        print(f"    {kind:<18} {p:6.3f} {r:6.3f} {f:6.3f}   (tp {tp}, predicted {n_pred}, gold {n_gold})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="folders of gold JSON files (default: sample web, fixtures, held-out)",
    )
    parser.add_argument("--model", default=None)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument(
        "--realdev",
        nargs="?",
        const=REALDEV,
        type=Path,
        default=None,
        metavar="DIR",
        help="score real labelled news with DIR's score.py, models against rules only",
    )
    parser.add_argument(
        "--split", default="validation", help="split of --realdev to score (default validation)"
    )
    args = parser.parse_args(argv)
    if args.realdev is not None:
        return realdev(args.realdev, args.split, args.model)
    with Analyzer(model=args.model) as analyzer:
        for folder in args.folders or [f for f in DEFAULT_SETS if f.is_dir()]:
            articles = load_articles(folder)
            if not articles:
                print(f"{folder}: no gold articles", file=sys.stderr)
                continue
            started = time.perf_counter()
            result = evaluate(articles, analyzer, args.show_errors)
            print_report(f"{folder}", result)
            print(f"  ({time.perf_counter() - started:.1f} s)")
    return 0


def realdev(folder: Path, split: str, model: str | None) -> int:
    """Analyse folder/input.jsonl with the models and with rules only; print score.py's figures."""
    inputs, scorer = folder / "input.jsonl", folder / "score.py"
    if not inputs.exists() or not scorer.exists():
        print(f"{folder}: no input.jsonl and score.py there (the real labelled articles)", file=sys.stderr)
        return 2
    docs = [json.loads(line) for line in inputs.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures = {}
    for label, learned in (("models", True), ("rules only", False)):
        analyzer = Analyzer(nlp=build_nlp(model, learned=learned))
        started = time.perf_counter()
        with (
            analyzer,
            tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as out,
        ):
            for record in analyzer.analyze(docs):
                out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        result = subprocess.run(
            [sys.executable, str(scorer), out.name, f"--split={split}", "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        Path(out.name).unlink()
        figures[label] = json.loads(result.stdout)
        print(
            f"  analysed {len(docs)} articles ({label}) in {time.perf_counter() - started:.1f} s", flush=True
        )
    rows = [
        ("incident detection F1", lambda r: r["clean"]["incident"]["f"]),
        ("victims F1", lambda r: r["clean"]["victims"]["f"]),
        ("victims P / R", lambda r: f"{r['clean']['victims']['p']:.3f}/{r['clean']['victims']['r']:.3f}"),
        ("attackers F1", lambda r: r["clean"]["attackers"]["f"]),
        ("agencies F1", lambda r: r["clean"]["agencies"]["f"]),
        ("services F1", lambda r: r["clean"]["services"]["f"]),
        ("types macro F1", lambda r: r["clean"]["types_macro_f1"]),
        ("CASIE incident F1", lambda r: r["casie"]["incident"]["f"]),
        ("CASIE victims F1 (docs w/ victim)", lambda r: r["casie"]["victims_on_docs_with_victim"]["f"]),
        ("CASIE types macro F1", lambda r: r["casie"]["types_macro_f1"]),
    ]
    docs_n = figures["models"]["clean"]["docs"]
    print(
        f"{folder} split {split}: {docs_n} carefully labelled articles (clean), "
        f"{figures['models']['casie']['docs']} with CASIE's labels"
    )
    print(f"  {'figure':<36} {'models':>12} {'rules only':>12}")
    for name, get in rows:
        values = [get(figures[label]) for label in ("models", "rules only")]
        print(
            f"  {name:<36} " + " ".join(f"{v:>12.3f}" if isinstance(v, float) else f"{v:>12}" for v in values)
        )
    per_type = figures["models"]["clean"]["types"]
    base_type = figures["rules only"]["clean"]["types"]
    print(
        "  per type (clean, gold count): "
        + ", ".join(
            f"{t} {v['f']:.2f}/{base_type[t]['f']:.2f} ({v['gold']})"
            for t, v in per_type.items()
            if v["gold"]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
