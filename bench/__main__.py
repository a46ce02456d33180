"""Run the benchmarks one after another: `make bench`, or `python -m bench [--only NAME,...]`.

Each benchmark is a module `bench/<name>.py` runnable alone (`python -m bench.<name>`); this
runner announces each one with what it measures and how long it usually takes on the 2-core
reference machine, shows that it is still alive while it runs, and ends with a table of what
passed, what failed and how long each took. A benchmark that fails does not stop the others.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

HEARTBEAT_SECONDS = 30.0


@dataclass(frozen=True)
class Benchmark:
    name: str
    measures: str
    expected_seconds: int
    args: tuple[str, ...] = field(default_factory=tuple)


# In the order they run: quick ones first. Expected times were measured on the 2-core
# reference machine; add a benchmark here when you add its module.
BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("parse_quality", "main-text token F1 on the sample web, against trafilatura", 20),
    Benchmark("extract_speed", "extract pages/s on every core (--jobs) against one process", 60),
    Benchmark(
        "extraction_benchmark",
        "main-text F1 on published benchmark sets (local cache) against plain trafilatura",
        600,
    ),
    Benchmark(
        "parse_speed", "parse time of pathological pages (400k spans, deep nesting...) and the sample web", 40
    ),
    Benchmark(
        "clustering_quality", "articles grouped into incidents against the gold (pairwise, B-cubed)", 20
    ),
    Benchmark("nlp_quality", "victims, agencies, attackers, services, detection and types F1 per set", 90),
    Benchmark("nlp_speed", "analyze docs/s against bare spaCy on the same texts", 90),
    Benchmark("report_screenshot", "the HTML report rendered in headless Chromium to a PNG", 20),
    Benchmark("crawl_speed", "pages/s of the full crawl pipeline against bare Scrapy, peak memory", 180),
    Benchmark(
        "dataset_build",
        "full build of 100,000 articles, +1,000 incremental: time, memory, DuckDB vs pandas",
        300,
    ),
    Benchmark("backfill", "WARC backfill on Dask: prefilter recall, per-stage pages/s, 1 vs 2 workers", 300),
)


def human(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def run_one(bench: Benchmark, position: str) -> tuple[int, float]:
    """Run one benchmark in a child process, its output passed through; (exit code, seconds)."""
    print(
        f"\n=== {position} {bench.name}: {bench.measures} (usually about {human(bench.expected_seconds)})",
        flush=True,
    )
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", f"bench.{bench.name}", *bench.args])
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            elapsed = time.monotonic() - started
            print(
                f"... {bench.name} still running: {human(elapsed)} of about {human(bench.expected_seconds)}",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        code = child.wait()
    finally:
        done.set()
    return code, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and their usual times")
    args = parser.parse_args(argv)
    chosen = list(BENCHMARKS)
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        known = {b.name for b in BENCHMARKS}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        chosen = [b for b in BENCHMARKS if b.name in wanted]
    if args.list:
        for bench in chosen:
            print(f"{bench.name:<20} ~{human(bench.expected_seconds):>8}  {bench.measures}")
        return 0
    total = sum(b.expected_seconds for b in chosen)
    print(f"{len(chosen)} benchmarks, usually about {human(total)} in all", flush=True)
    results = []
    for index, bench in enumerate(chosen, start=1):
        code, seconds = run_one(bench, f"[{index}/{len(chosen)}]")
        results.append((bench, code, seconds))
    print("\n=== summary")
    for bench, code, seconds in results:
        print(f"{bench.name:<20} {'ok' if code == 0 else f'FAILED (exit {code})':<16} {human(seconds):>8}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
