"""Export the incidents: a journalist's spreadsheet, one SQLite file, STIX 2.1 or VERIS 1.3.

  incidents export csv    --out incidents.csv --since 2024-01-01 --type ransomware
  incidents export xlsx   --out incidents.xlsx --country GB --agency NCSC
  incidents export sqlite --out incidents.db          # the whole dataset, full-text indexed
  incidents export stix   --out incidents.stix.json   # one STIX 2.1 bundle
  incidents export veris  --out veris/                # one VERIS JSON file per incident

Filters combine (AND); a filter given several times, or with commas, matches any of its
values. Dates compare with the incident's first report (UTC; --until is inclusive). A value
that matches nothing known is an error listing the known values.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from analysis.exports import DEFAULT_NAMES, FORMATS, UnknownFilterValue, export_incidents, make_filters
from analysis.query import MissingDataset
from core.config import DataDir
from incidents.cli import UserError, add_data_dir

FILTERS = ("since", "until", "types", "countries", "sectors", "agencies", "attackers", "sources")


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The incident filters, shared by the commands that select incidents."""
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
    parser.add_argument(
        "--attacker", action="append", dest="attackers", help="attacker name or alias, e.g. LockBit"
    )
    parser.add_argument("--source", action="append", dest="sources", help="source name (data/sources.toml)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=FORMATS, help="file format")
    parser.add_argument(
        "--out", help="output file (a directory for veris; default: D/exports/incidents.<format>)"
    )
    add_filter_arguments(parser)
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.resolve(args.data_dir)
    out = args.out or data_dir.exports / DEFAULT_NAMES[args.format]
    given = [name for name in FILTERS if getattr(args, name)]
    if args.format == "sqlite" and given:
        raise UserError("the sqlite export holds the whole dataset: filter it with SQL, not --" + given[0])
    try:
        filters = make_filters(*(getattr(args, name) for name in FILTERS))
        count = export_incidents(out, args.format, filters, data_dir)
    except (UnknownFilterValue, ValueError, MissingDataset) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"{count} incidents → {out}", file=sys.stderr)
    return 0
