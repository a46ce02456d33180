"""Parsing quality on the sample web: token precision/recall of the main text against what
was written (gold.jsonl), and title/date/author accuracy; trafilatura's default extraction
of the same pages is measured in the same run as the baseline.

    python -m bench.parse_quality
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from core.config import SAMPLE_WEB
from pipelines.parsing import parse_html
from sample_web.render import with_base_url

TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def token_scores(extracted: str, gold: str) -> Scores:
    """Bag-of-tokens overlap, as the article-extraction benchmarks score it."""
    got, want = Counter(TOKEN.findall(extracted.lower())), Counter(TOKEN.findall(gold.lower()))
    overlap = sum((got & want).values())
    return Scores(overlap / max(1, sum(got.values())), overlap / max(1, sum(want.values())))


def load_gold(sample_dir: Path = SAMPLE_WEB) -> list[dict]:
    return [json.loads(line) for line in (sample_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines()]


BASE_URL = "http://127.0.0.1:8000"


def page_bytes(record: dict, sample_dir: Path = SAMPLE_WEB) -> bytes:
    """The page as the sample server sends it from BASE_URL."""
    return with_base_url((sample_dir / "web" / record["path"].lstrip("/")).read_bytes(), BASE_URL)


def evaluate(sample_dir: Path = SAMPLE_WEB) -> dict:
    ours, baseline = [], []
    fields = Counter()
    gold = load_gold(sample_dir)
    for record in gold:
        body = page_bytes(record, sample_dir)
        article = parse_html(body, f"{BASE_URL}{record['path']}")
        ours.append(token_scores(article.text, record["text"]))
        baseline.append(
            token_scores(trafilatura.extract(body.decode("utf-8", "replace")) or "", record["text"])
        )
        fields["title"] += article.title == record["title"]
        # Some pages state only the day (agency pages): the date is what a page can promise.
        fields["published"] += (
            bool(article.published) and article.published.date().isoformat() == record["published"][:10]
        )
        fields["authors"] += article.authors == record["authors"]
        fields["language"] += article.language == "en"
    n = len(gold)
    return {
        "pages": n,
        "ours": _mean(ours),
        "trafilatura_default": _mean(baseline),
        "field_accuracy": {k: v / n for k, v in fields.items()},
        "worst": sorted(((s.f1, r["path"]) for s, r in zip(ours, gold)))[:3],
    }


def _mean(scores: list[Scores]) -> dict:
    p = sum(s.precision for s in scores) / len(scores)
    r = sum(s.recall for s in scores) / len(scores)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def main() -> int:
    result = evaluate()
    print(f"pages: {result['pages']}")
    for name in ("ours", "trafilatura_default"):
        s = result[name]
        print(f"{name:<22} precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}")
    print(
        f"F1 ratio ours / trafilatura default: {result['ours']['f1'] / result['trafilatura_default']['f1']:.3f}"
    )
    print("field accuracy: " + ", ".join(f"{k} {v:.2f}" for k, v in result["field_accuracy"].items()))
    print("lowest F1 pages: " + "; ".join(f"{p} {f:.3f}" for f, p in result["worst"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
