"""Build the dataset tables (incidents, articles, mentions, statements) from the extracted
articles: near-duplicate copies become one story, stories about one victim close in time
become one incident. The new dataset replaces D/dataset/ atomically. A data directory with
no extracted articles is an error (an empty dataset is published only with --allow-shrink).

Incremental: only articles extracted since the last build get their clustering features
computed, and only the incidents they touch are aggregated again (the result equals a full
build; --full ignores what the last build kept). With nothing new or changed since the last
build, it says so and leaves the dataset as it is."""

from __future__ import annotations

import argparse

from analysis.build import build_dataset
from analysis.storage import DatasetShrinks
from core.config import DataDir
from incidents.cli import UserError, add_data_dir, holding_lock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser, lock=True)
    parser.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even when the new dataset drops many of the published one's articles",
    )
    parser.add_argument(
        "--full", action="store_true", help="rebuild from scratch, ignoring the last build's state"
    )


def run(args: argparse.Namespace) -> int:
    from pipelines.extracted import live_articles_dir

    data_dir = DataDir.resolve(args.data_dir)
    nothing = not any(live_articles_dir(data_dir.extracted).glob("part-*.parquet"))
    if nothing and not args.allow_shrink and not data_dir.dataset.exists():
        raise UserError(
            f"no extracted articles in {data_dir.extracted}: run `incidents crawl` and `incidents extract` "
            f"with --data-dir {data_dir.root} first (nothing was published)"
        )
    with holding_lock(data_dir, "build", wait=args.wait):
        try:
            summary = build_dataset(data_dir, allow_shrink=args.allow_shrink, incremental=not args.full)
        except DatasetShrinks as exc:
            raise UserError(str(exc)) from None
    if summary.mode == "unchanged":
        print(
            f"nothing new or changed since the last build (same extracted articles, settings and "
            f"gazetteers): {summary.dataset} left as it is, {summary.incidents} incidents from "
            f"{summary.articles} articles"
        )
        return 0
    print(
        f"{summary.incidents} incidents from {summary.incident_articles} incident articles "
        f"({summary.articles} articles in all), {summary.statements} statements, "
        f"{summary.mentions} mentions → {summary.dataset} ({summary.mode} build, {summary.seconds:.1f} s)"
    )
    if summary.redirects:
        print(f"{summary.redirects} earlier incident IDs redirect to current ones (table `redirects`)")
    return 0
