"""Browse the dataset with datasette on 127.0.0.1.

Writes the dataset to one SQLite file (D/exports/incidents.db: full-text search on headlines,
victims and article texts, foreign keys from articles and mentions to their incident, column
descriptions) and serves it with datasette, with facets on type, country, sector, agency and
attacker. Ctrl-C stops it. `incidents export sqlite` writes the same file without serving it.
"""

from __future__ import annotations

import argparse

from analysis.exports import DEFAULT_NAMES, export_incidents
from analysis.query import MissingDataset
from core.config import DataDir
from incidents.cli import UserError, add_data_dir

HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001; 0: any free port)"
    )
    add_data_dir(parser)


def run(args: argparse.Namespace) -> int:
    from analysis.serve import serve

    data_dir = DataDir.resolve(args.data_dir)
    db = data_dir.exports / DEFAULT_NAMES["sqlite"]
    try:
        count = export_incidents(db, "sqlite", None, data_dir)
    except MissingDataset as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {db}: {exc.strerror or exc}") from None

    def ready(url: str) -> None:
        print(f"{count} incidents in {db}\nserving {url}  (Ctrl-C stops)", flush=True)

    try:
        serve(db, HOST, args.port, on_ready=ready)
    except OSError as exc:
        raise UserError(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}") from None
    return 0
