"""Run DuckDB SQL over the dataset tables.

The tables are views: incidents, articles, mentions, statements (and redirects: incident
IDs that moved). Lists are DuckDB lists, e.g.

  incidents query "SELECT victim, first_reported_at FROM incidents
                   WHERE list_contains(attackers, 'LockBit') ORDER BY 2"
  incidents query --format csv --out by-month.csv \\
      "SELECT strftime(first_reported_at, '%Y-%m') AS month, count(*) AS n
       FROM incidents GROUP BY 1 ORDER BY 1"
"""

from __future__ import annotations

import argparse
import sys

from analysis.query import FORMATS, MissingDataset, QueryError, run_query, write_result
from core.config import DataDir
from incidents.cli import UserError, add_data_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="the SQL statement (use - to read it from stdin)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--out", help="write the result to this file instead of stdout")
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    if args.format == "parquet" and not args.out:
        raise UserError("--format parquet needs --out FILE")
    try:
        table = run_query(sql, DataDir.resolve(args.data_dir))
    except (QueryError, MissingDataset) as exc:
        raise UserError(str(exc)) from None
    if table is None:
        return 0
    if args.out:
        mode = "wb" if args.format == "parquet" else "w"
        try:
            with open(
                args.out, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})
            ) as out:
                write_result(table, args.format, out)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
        print(f"{table.num_rows} rows → {args.out}", file=sys.stderr)
    else:
        write_result(table, args.format, sys.stdout)
    return 0
