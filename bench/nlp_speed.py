"""Throughput of the Analyzer against bare spaCy on the same texts, in the same run.

    python -m bench.nlp_speed [--docs 200] [--rounds 5]

Bare spaCy is the same model with its full default pipeline, one process, `nlp.pipe`. The
Analyzer runs its own pipeline (model without the lemmatizer, the entity recogniser only on
sentences that can hold a name, plus the project's components) and builds the records.
Both run in the same process, interleaved: each round times both on the same texts, slice by
slice of documents (which one goes first alternates), so load from other processes on a shared machine hits both
alike. The median of the per-round ratios Analyzer / bare must be at least 1.0.

Then the Analyzer as `incidents analyze` runs it by default (a large input on every core) is
timed on the whole corpus against bare spaCy in one process; the target is 1.5x.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

import spacy

from bench.nlp_quality import SAMPLE, load_articles
from core.config import spacy_model_name
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timed rounds; the median counts")
    parser.add_argument("--repeat", type=int, default=None, help=argparse.SUPPRESS)  # old name of --rounds
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--slice", type=int, default=32, help="documents per interleaved slice")
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    rounds = max(1, args.repeat or args.rounds)
    docs = corpus(args.docs)
    # Bare spaCy reads the same text the Analyzer analyses: the article text (title included).
    texts = [d["text"] for d in docs]
    chars = sum(len(t) for t in texts)
    model = spacy_model_name(args.model)
    bare = spacy.load(model)
    analyzer = Analyzer(model=model, n_process=1, batch_size=args.batch_size)
    time_bare(bare, texts[:20], args.batch_size)
    time_analyzer(analyzer, docs[:20])
    every_core = Analyzer(nlp=analyzer.nlp, batch_size=args.batch_size)
    bare_times, analyzer_times, ratios = [], [], []
    step = max(1, args.slice)
    for index in range(rounds):
        # interleave in slices of documents, so a burst of load from other processes lands
        # on both sides of the comparison rather than on one whole run
        b = a = 0.0
        for offset, start in enumerate(range(0, len(docs), step)):
            if (index + offset) % 2 == 0:
                b += time_bare(bare, texts[start : start + step], args.batch_size)
                a += time_analyzer(analyzer, docs[start : start + step])
            else:
                a += time_analyzer(analyzer, docs[start : start + step])
                b += time_bare(bare, texts[start : start + step], args.batch_size)
        bare_times.append(b)
        analyzer_times.append(a)
        ratios.append(b / a)
        print(f"  round {index + 1}: bare {b:6.2f} s  Analyzer {a:6.2f} s  ratio {b / a:.2f}", flush=True)
    bare_mid, analyzer_mid = statistics.median(bare_times), statistics.median(analyzer_times)
    print(
        f"{len(docs)} documents, {chars / 1e6:.2f} M characters, model {model}, {rounds} interleaved rounds (medians)"
    )
    print(
        f"  bare spaCy ({', '.join(bare.pipe_names)}): {len(docs) / bare_mid:8.1f} docs/s  {chars / bare_mid / 1e3:8.1f} k chars/s"
    )
    print(f"  Analyzer   ({', '.join(analyzer.nlp.pipe_names)}):")
    print(f"  {'':>11}{len(docs) / analyzer_mid:8.1f} docs/s  {chars / analyzer_mid / 1e3:8.1f} k chars/s")
    ratio = statistics.median(ratios)
    print(
        f"  ratio Analyzer/bare throughput, one process each (median of rounds): {ratio:.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}) ({'OK' if ratio >= 1.0 else 'SLOWER than bare spaCy'})"
    )
    # As `incidents analyze` runs by default: a large input on every core, whole corpus per round.
    core_ratios = []
    for index in range(rounds):
        if index % 2 == 0:
            b, a = time_bare(bare, texts, args.batch_size), time_analyzer(every_core, docs)
        else:
            a, b = time_analyzer(every_core, docs), time_bare(bare, texts, args.batch_size)
        core_ratios.append(b / a)
        print(
            f"  round {index + 1}: bare (1 process) {b:6.2f} s  Analyzer ({every_core.n_process} processes) {a:6.2f} s"
        )
    core_ratio = statistics.median(core_ratios)
    print(
        f"  ratio Analyzer on every core ({every_core.n_process}) / bare spaCy in one process: {core_ratio:.2f} "
        f"(target 1.5: {'met' if core_ratio >= 1.5 else 'NOT met'})"
    )
    return 0 if ratio >= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
