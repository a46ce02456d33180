"""How well `incidents build` groups articles into incidents, against the sample web's gold.

Two modes:
- default: extracted-article rows are made FROM THE GOLD (as if the analyser were perfect:
  gold victims, types, agencies...; text = the paragraphs; dates from "published"), built
  in a temporary data directory, and the clustering is compared with gold.incident_key;
- `--data-dir D`: the articles really crawled and extracted into D (built first unless
  `--no-build`) are matched to the gold by URL path and compared the same way.

Prints pairwise and B-cubed precision / recall / F1 over the gold incident articles, and
the incidents that were split or merged.

    python -m bench.clustering_quality [--data-dir D] [--no-build] [--content DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from analysis.build import build_dataset
from analysis.storage import read_frame
from core.config import SAMPLE_WEB, DataDir
from pipelines.extracted import write_batch


def gold_rows(content: Path) -> list[dict]:
    """One perfect-analyser extracted row per sample article."""
    rows = []
    for path in sorted(content.glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        gold = item["gold"]
        published = datetime.fromisoformat(item["published"])
        rows.append(
            {
                "article_id": item["slug"],
                "url": f"https://{item['outlet']}.example/{item['slug']}",
                "source": item["outlet"],
                "publisher": item["outlet"],
                "title": item["title"],
                "text": "\n\n".join(item["paragraphs"]),
                "published_at": published,
                "fetched_at": published,
                "language": "en",
                "content_kind": item.get("kind"),
                "is_incident": gold["is_incident"],
                "incident_types": gold.get("incident_types") or [],
                "victims": gold.get("victims") or [],
                "attackers": gold.get("attackers") or [],
                "agencies": [{"name": a, "country": None} for a in gold.get("agencies") or []],
                "services_affected": [s["service"] for s in gold.get("services_affected") or []],
                "services": [
                    {"service": s["service"], "status": s.get("status"), "sentence": None}
                    for s in gold.get("services_affected") or []
                ],
                "organisations": gold.get("organisations") or [],
                "countries": gold.get("countries") or [],
                "sector": gold.get("sector"),
                "statements": [
                    {"speaker": s["speaker"], "quote": s.get("quote_starts")}
                    for s in gold.get("statements") or []
                ],
                "mentions": [],
                "extractor_version": "gold",
            }
        )
    return rows


def gold_keys(content: Path) -> dict[str, tuple[str, str]]:
    """slug → (URL path on the sample web, incident key) for gold incident articles."""
    keys = {}
    gold_file = content.parent / "gold.jsonl"
    paths = {}
    if gold_file.is_file():
        for line in gold_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                paths[Path(record["path"]).stem.removesuffix(".html")] = record["path"]
    for path in sorted(content.glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        key = item["gold"].get("incident_key")
        if key:
            keys[item["slug"]] = (paths.get(item["slug"], ""), key)
    return keys


def scores(truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """Pairwise and B-cubed precision / recall / F1 of a clustering against the truth.

    Computed from the contingency counts, so it is linear in the number of items. An item
    the build left out of every incident counts as its own singleton cluster."""
    items = sorted(truth)
    pred = {i: predicted.get(i) or f"__none__{i}" for i in items}
    true_sizes = Counter(truth[i] for i in items)
    pred_sizes = Counter(pred[i] for i in items)
    joint = Counter((pred[i], truth[i]) for i in items)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    both = sum(pairs(n) for n in joint.values())
    same_pred = sum(pairs(n) for n in pred_sizes.values())
    same_true = sum(pairs(n) for n in true_sizes.values())
    pair_p = both / same_pred if same_pred else 1.0
    pair_r = both / same_true if same_true else 1.0
    b3_p = sum(n * n / pred_sizes[p] for (p, _), n in joint.items()) / len(items)
    b3_r = sum(n * n / true_sizes[t] for (_, t), n in joint.items()) / len(items)

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    return {
        "items": len(items),
        "gold_incidents": len(true_sizes),
        "predicted_clusters": len(pred_sizes),
        "pairwise_precision": pair_p,
        "pairwise_recall": pair_r,
        "pairwise_f1": f1(pair_p, pair_r),
        "bcubed_precision": b3_p,
        "bcubed_recall": b3_r,
        "bcubed_f1": f1(b3_p, b3_r),
    }


def disagreements(truth: dict[str, str], predicted: dict[str, str]) -> list[str]:
    lines = []
    by_true = defaultdict(list)
    for item, key in truth.items():
        by_true[key].append(item)
    for key, items in sorted(by_true.items()):
        got = Counter(predicted.get(i) or "(none)" for i in items)
        if len(got) > 1:
            lines.append(f"split  {key}: " + ", ".join(f"{k}×{n}" for k, n in got.items()))
    by_pred = defaultdict(set)
    for item, incident in predicted.items():
        if item in truth and incident:
            by_pred[incident].add(truth[item])
    for incident, keys in sorted(by_pred.items()):
        if len(keys) > 1:
            lines.append(f"merged {incident}: " + ", ".join(sorted(keys)))
    return lines


def evaluate(
    data_dir: DataDir, keys: dict[str, tuple[str, str]], match_by_path: bool
) -> tuple[dict, list[str]]:
    articles = read_frame(data_dir.dataset, "articles")
    if match_by_path:
        # Matched on the page's file name: robust to hosts, ports and base-path rewrites.
        by_page = {
            urlsplit(url).path.rsplit("/", 1)[-1]: incident
            for url, incident in zip(articles["url"], articles["incident_id"])
        }
        page = {slug: path.rsplit("/", 1)[-1] for slug, (path, _) in keys.items()}
        truth = {slug: key for slug, (_, key) in keys.items() if page[slug] in by_page}
        predicted = {slug: by_page[page[slug]] for slug in truth}
    else:
        by_id = dict(zip(articles["article_id"], articles["incident_id"]))
        truth = {slug: key for slug, (_, key) in keys.items() if slug in by_id}
        predicted = {slug: by_id[slug] for slug in truth}
    predicted = {k: (None if pd.isna(v) else v) for k, v in predicted.items()}
    return scores(truth, predicted), disagreements(truth, predicted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--content", type=Path, default=SAMPLE_WEB / "content")
    parser.add_argument("--data-dir", type=Path, help="evaluate the articles extracted into this data dir")
    parser.add_argument("--no-build", action="store_true", help="with --data-dir: use its current dataset")
    args = parser.parse_args(argv)
    keys = gold_keys(args.content)
    if not keys:
        print(f"no gold incident articles under {args.content}", file=sys.stderr)
        return 1
    if args.data_dir:
        data_dir = DataDir.resolve(args.data_dir)
        if not args.no_build:
            build_dataset(data_dir)
        result, notes = evaluate(data_dir, keys, match_by_path=True)
        mode = f"extracted articles in {args.data_dir}"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = DataDir.resolve(tmp)
            write_batch(data_dir.extracted, gold_rows(args.content))
            build_dataset(data_dir)
            result, notes = evaluate(data_dir, keys, match_by_path=False)
        mode = "perfect analyser (rows made from the gold)"
    print(f"clustering quality: {mode}")
    for name, value in result.items():
        print(f"  {name:<20} {value:.3f}" if isinstance(value, float) else f"  {name:<20} {value}")
    for line in notes:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
