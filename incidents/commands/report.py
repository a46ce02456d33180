"""Write a self-contained HTML report (OUT/index.html): incidents per month by type, by
sector, by country, the agencies most involved, the services most affected, and the latest
incidents with links to their sources. No script, no external file: open it anywhere."""

from __future__ import annotations

import argparse

from analysis.query import MissingDataset
from analysis.report import write_report
from core.config import DataDir
from incidents.cli import UserError, add_data_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="output directory (default: D/exports/report)")
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.resolve(args.data_dir)
    try:
        page = write_report(args.out or data_dir.exports / "report", data_dir)
    except MissingDataset as exc:
        raise UserError(str(exc)) from None
    print(f"report → {page}")
    return 0
