"""Build the dataset tables (incidents, articles, mentions, statements) from the extracted
articles: near-duplicate copies become one story, stories about one victim close in time
become one incident. The new dataset replaces D/dataset/ atomically."""

from __future__ import annotations

import argparse

from analysis.build import build_dataset
from core.config import DataDir
from incidents.cli import add_data_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    summary = build_dataset(DataDir.resolve(args.data_dir))
    print(
        f"{summary.incidents} incidents from {summary.incident_articles} incident articles "
        f"({summary.articles} articles in all), {summary.statements} statements, "
        f"{summary.mentions} mentions → {summary.dataset} ({summary.seconds:.1f} s)"
    )
    if summary.redirects:
        print(f"{summary.redirects} earlier incident IDs redirect to current ones (table `redirects`)")
    return 0
