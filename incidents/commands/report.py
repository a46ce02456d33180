"""Write a self-contained HTML report: OUT/index.html has charts (incidents per month by type,
by sector, by country, the agencies most involved, the services most affected) and every
incident in a table with a search box, filters and sortable columns; OUT/incidents/<id>.html
is one page per incident (victim, dates, types, services with the sentence that says so,
agencies, attackers, statements, sources as publisher and date, linked). One small inline
script allowed by its hash, no external file: open it anywhere, offline."""

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
