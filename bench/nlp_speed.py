"""Throughput of the Analyzer against bare spaCy on the same texts, in the same run.

    python -m bench.nlp_speed [--docs 200] [--rounds 5]

Bare spaCy is the same model with its full default pipeline, one process, `nlp.pipe`. The
Analyzer runs its own pipeline (model without the lemmatizer, the entity recogniser only on
sentences that can hold a name, plus the project's components) and builds the records.
Both run in the same process, interleaved: each round times both on the same texts, slice by
slice of documents (which one goes first alternates), so load from other processes on a shared machine hits both
alike. The median of the per-round ratios Analyzer / bare must be at least 1.0.

Then the Analyzer as `incidents analyze` runs it by default (a large input on every core) is
timed against bare spaCy in one process, interleaved in slices of 64 documents per core; the
target is 1.5x. Each round starts a new Analyzer on the loaded pipeline, so the worker
processes' start is timed too, as a run of `incidents analyze` pays it (loading the model is
not timed on either side). Beside the wall-clock ratio it prints the CPU seconds each side
spent (the Analyzer's worker processes included) and the load average: on a machine busy with
other work, and with the kernel's per-session scheduling (autogroup), several processes of
one run get little more CPU than one, so the wall-clock gain of more cores is understated
there while the CPU figures still show what each document costs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import spacy

from bench.nlp_quality import SAMPLE, load_articles
from core.config import spacy_model_name
from core.machine import usable_cores
from pipelines.nlp import Analyzer
from pipelines.nlp.analyzer import MULTIPROCESS_MIN_DOCS

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


def cpu_seconds(who: int) -> float:
    """User and system CPU seconds of this process (RUSAGE_SELF) or its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


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
    # As `incidents analyze` runs by default: a new Analyzer per round (its workers start in
    # the round), fed the corpus in slices large enough for every core, interleaved with bare
    # spaCy on the same slices as above.
    core_step = max(step, MULTIPROCESS_MIN_DOCS * usable_cores())
    core_ratios, cpu_ratios = [], []
    processes = 1
    for index in range(rounds):
        b = a = 0.0
        bare_cpu = own_cpu = 0.0
        children_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        with Analyzer(nlp=analyzer.nlp, batch_size=args.batch_size) as every_core:
            for offset, start in enumerate(range(0, len(docs), core_step)):
                part, part_texts = docs[start : start + core_step], texts[start : start + core_step]
                for side in (0, 1) if (index + offset) % 2 == 0 else (1, 0):
                    cpu = cpu_seconds(resource.RUSAGE_SELF)
                    if side == 0:
                        b += time_bare(bare, part_texts, args.batch_size)
                        bare_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
                    else:
                        a += time_analyzer(every_core, part)
                        own_cpu += cpu_seconds(resource.RUSAGE_SELF) - cpu
            processes = every_core.n_process if every_core.pool is not None else 1
        analyzer_cpu = own_cpu + cpu_seconds(resource.RUSAGE_CHILDREN) - children_before
        core_ratios.append(b / a)
        cpu_ratios.append(bare_cpu / analyzer_cpu)
        print(
            f"  round {index + 1}: bare (1 process) {b:6.2f} s ({bare_cpu:5.1f} CPU s)  "
            f"Analyzer ({processes} processes) {a:6.2f} s ({analyzer_cpu:5.1f} CPU s)  "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    core_ratio = statistics.median(core_ratios)
    print(
        f"  ratio Analyzer by default ({processes} processes) / bare spaCy in one process: {core_ratio:.2f} "
        f"(min {min(core_ratios):.2f}, max {max(core_ratios):.2f}; target 1.5: {'met' if core_ratio >= 1.5 else 'NOT met'})"
    )
    print(
        f"  CPU seconds per document, bare / Analyzer (all its processes): {statistics.median(cpu_ratios):.2f} "
        f"(what the cores do, whatever else runs; {usable_cores()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    return 0 if ratio >= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
