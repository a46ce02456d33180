"""Backfill from web archives: read WARC / WARC.gz files of any origin (Common Crawl's CC-NEWS
included) into the raw store and the extracted articles, as a crawl and `incidents extract`
would. Pages without a security word (data/prefilter/security-terms.txt) are dropped before
any parsing; the rest are parsed and analysed as Dask tasks, on a local cluster of --workers
processes, or on a running cluster given by --scheduler. Run `incidents build` afterwards."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import DataDir
from incidents.cli import UserError, add_data_dir, holding_lock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("warcs", nargs="+", type=Path, metavar="WARC", help="WARC or WARC.gz files")
    add_data_dir(parser, lock=True)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=2, help="local Dask worker processes (default 2)")
    where.add_argument("--scheduler", metavar="tcp://HOST:8786", help="a running Dask scheduler to use")
    parser.add_argument("--model", help="spaCy pipeline to load (default: the bundled English model)")
    parser.add_argument("--no-analysis", action="store_true", help="parse only (skip spaCy)")


def run(args: argparse.Namespace) -> int:
    from pipelines.backfill import run_backfill

    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    data_dir = DataDir.resolve(args.data_dir)
    with holding_lock(data_dir, "backfill", wait=args.wait):
        try:
            summary = run_backfill(
                args.warcs,
                data_dir,
                workers=args.workers,
                scheduler=args.scheduler,
                model=args.model,
                analysis=not args.no_analysis,
            )
        except (FileNotFoundError, OSError) as exc:
            raise UserError(str(exc)) from None
    print(
        f"{summary.files} WARC files, {summary.records} responses: {summary.not_html} not HTML or not 200, "
        f"{summary.dropped} dropped by the prefilter, {summary.already_stored} already stored; "
        f"{summary.articles} articles stored and extracted ({summary.incidents} about incidents) on "
        f"{summary.workers} workers in {summary.seconds:.1f} s ({summary.articles_per_second:.1f} articles/s)"
    )
    return 0
