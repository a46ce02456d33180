"""What the last `incidents watch` cycle did per source (new articles, errors, last success) and
the lag: median and 90th-percentile minutes from an article's publication (or its first
appearance in its feed) to its row in the dataset."""

from __future__ import annotations

import argparse

from core.config import DataDir
from incidents.cli import add_data_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--window", type=float, default=24.0, help="hours of cycles the lag is measured over")


def run(args: argparse.Namespace) -> int:
    from analysis.status import format_status, watch_status

    print(format_status(watch_status(DataDir.resolve(args.data_dir), args.window)))
    return 0
