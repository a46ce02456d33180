"""Parsing throughput of `incidents extract` (parse only): pages/s with one process and with
every core (--jobs), in the same run, over copies of the sample web's pages in a raw store.

    python -m bench.extract_speed [--pages 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.parse_quality import BASE_URL, load_gold, page_bytes
from core.config import DataDir
from core.machine import usable_cores
from core.raw_store import RawStore
from core.records import PageItem
from pipelines.extract import run_extract


def fill_store(data_dir: DataDir, pages: int) -> None:
    gold = load_gold()
    with RawStore(data_dir.raw) as store:
        for i in range(pages):
            record = gold[i % len(gold)]
            url = f"{BASE_URL}{record['path']}?copy={i}"
            headers = [("Content-Type", "text/html; charset=utf-8")]
            store.add(PageItem(url, url, url, "bench", 200, headers, page_bytes(record), "Bench"))


def pages_per_second(root: Path, pages: int, jobs: int) -> float:
    data_dir = DataDir(root / f"jobs-{jobs}")
    fill_store(data_dir, pages)
    start = time.perf_counter()
    summary = run_extract(data_dir, None, jobs=jobs)
    seconds = time.perf_counter() - start
    assert summary.pages == pages, summary
    return pages / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=400)
    args = parser.parse_args(argv)
    cores = usable_cores()
    with tempfile.TemporaryDirectory() as tmp:
        one = pages_per_second(Path(tmp), args.pages, 1)
        many = pages_per_second(Path(tmp), args.pages, cores)
    print(f"pages: {args.pages} (parse only)")
    print(f"1 process:    {one:7.1f} pages/s")
    print(f"{cores} processes: {many:7.1f} pages/s")
    print(f"ratio {cores} jobs / 1 job: {many / one:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
