"""Throughput of the Analyzer against bare spaCy on the same texts, in the same run.

    python -m bench.nlp_speed [--docs 400] [--repeat 2]

Bare spaCy is the same model with its full default pipeline, one process, `nlp.pipe`. The
Analyzer runs its own pipeline (model without the lemmatizer plus the project's components)
and builds the records. The ratio Analyzer / bare must be at least 1.0.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import spacy

from bench.nlp_quality import SAMPLE, load_articles
from incidents.config import spacy_model_name
from pipelines.nlp import Analyzer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nlp"


def corpus(n_docs: int) -> list[dict]:
    """n_docs articles cycled from the sample web and the fixtures (ids made unique)."""
    base = load_articles(SAMPLE) + load_articles(FIXTURES)
    if not base:
        raise SystemExit("no articles found under data/sample/content or tests/fixtures/nlp")
    docs = []
    for index, article in enumerate(itertools.islice(itertools.cycle(base), n_docs)):
        docs.append({"id": f"{article['id']}-{index}", "title": article["title"], "text": article["text"]})
    return docs


def time_bare(nlp, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - started


def time_analyzer(analyzer: Analyzer, docs: list[dict]) -> float:
    started = time.perf_counter()
    for _ in analyzer.analyze(docs):
        pass
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each; the best counts")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    docs = corpus(args.docs)
    # Bare spaCy reads the same text the Analyzer analyses: the article text (title included).
    texts = [d["text"] for d in docs]
    chars = sum(len(t) for t in texts)
    model = spacy_model_name(args.model)
    bare = spacy.load(model)
    analyzer = Analyzer(model=model, batch_size=args.batch_size)
    time_bare(bare, texts[:20], args.batch_size)
    time_analyzer(analyzer, docs[:20])
    bare_times, analyzer_times = [], []
    for _ in range(args.repeat):
        bare_times.append(time_bare(bare, texts, args.batch_size))
        analyzer_times.append(time_analyzer(analyzer, docs))
    bare_best, analyzer_best = min(bare_times), min(analyzer_times)
    print(f"{len(docs)} documents, {chars / 1e6:.2f} M characters, model {model}")
    print(f"  bare spaCy ({', '.join(bare.pipe_names)}): {len(docs) / bare_best:8.1f} docs/s  {chars / bare_best / 1e3:8.1f} k chars/s")
    print(f"  Analyzer   ({', '.join(analyzer.nlp.pipe_names)}):")
    print(f"  {'':>11}{len(docs) / analyzer_best:8.1f} docs/s  {chars / analyzer_best / 1e3:8.1f} k chars/s")
    ratio = bare_best / analyzer_best
    print(f"  ratio Analyzer/bare throughput: {ratio:.2f} ({'OK' if ratio >= 1.0 else 'SLOWER than bare spaCy'})")
    return 0 if ratio >= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
