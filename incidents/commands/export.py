"""Export a journalist's summary: one row per incident, safe to open in Excel.

  incidents export csv --out incidents.csv --since 2024-01-01 --type ransomware
  incidents export xlsx --out incidents.xlsx --country GB --agency NCSC

Filters combine (AND); a filter given several times, or with commas, matches any of its
values. Dates compare with the incident's first report (UTC; --until is inclusive).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from analysis.export import export_incidents, make_filters
from analysis.query import MissingDataset
from core.config import DataDir
from incidents.cli import UserError, add_data_dir


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=("csv", "xlsx"), help="file format")
    parser.add_argument("--out", help="output file (default: D/exports/incidents.<format>)")
    parser.add_argument("--since", type=_iso_date, help="first reported on or after this date (YYYY-MM-DD)")
    parser.add_argument("--until", type=_iso_date, help="first reported on or before this date (YYYY-MM-DD)")
    parser.add_argument("--type", action="append", dest="types", help="incident type, e.g. ransomware")
    parser.add_argument("--country", action="append", dest="countries", help="ISO code or name, e.g. GB")
    parser.add_argument(
        "--sector", action="append", dest="sectors", help="sector (case-insensitive, part of it is enough)"
    )
    parser.add_argument(
        "--agency", action="append", dest="agencies", help="agency name, alias or part of the name"
    )
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.resolve(args.data_dir)
    out = args.out or data_dir.exports / f"incidents.{args.format}"
    if args.since and args.until and args.since > args.until:
        raise UserError("--since is after --until")
    try:
        filters = make_filters(
            args.since, args.until, args.types, args.countries, args.sectors, args.agencies
        )
        count = export_incidents(out, args.format, filters, data_dir)
    except (ValueError, MissingDataset) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    print(f"{count} incidents → {out}", file=sys.stderr)
    return 0
