"""The `incidents` command: one subcommand per module in incidents/commands/."""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from core.config import DataDir
from incidents import __version__

# Each name is a module incidents/commands/<name>.py with add_arguments(parser) and run(args).
COMMANDS = {
    "demo": "serve the bundled sample web on loopback, crawl, extract, build, summarise",
    "crawl": "crawl the sources in a sources file into the raw store",
    "extract": "parse and analyse stored pages not yet processed",
    "build": "build the dataset tables from the extracted articles",
    "watch": "crawl, extract and build again and again: minutes behind the news",
    "status": "the last watch cycle per source, and the lag behind the news",
    "backfill": "read WARC files (e.g. CC-NEWS) into the store and articles, on Dask",
    "parse": "parse HTML files into one JSON line each",
    "analyze": "analyse JSON-line documents into analysis records",
    "query": "run DuckDB SQL over the dataset tables",
    "export": "export the incidents: CSV, XLSX, SQLite, STIX 2.1, VERIS",
    "report": "write a self-contained HTML report: charts, a searchable table, a page per incident",
    "serve": "browse the dataset with datasette on 127.0.0.1",
    "sources": "list the sources in a sources file, optionally checking each",
    "train": "retrain the shipped analysis models from labelled JSON lines",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only the chosen command's module is imported, so start-up stays quick."""
    parser = argparse.ArgumentParser(
        prog="incidents",
        description="Crawl public reporting of cyber incidents into a queryable dataset.",
    )
    parser.add_argument("--version", action="version", version=f"incidents {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text)
        if name == command:
            module = importlib.import_module(f"incidents.commands.{name}")
            sub.description = module.__doc__
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
            module.add_arguments(sub)
            sub.set_defaults(handler=module.run)
    return parser


def _chosen_command(argv: list[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def unknown_command(argv: list[str]) -> str | None:
    """The error for a mistyped command, with the closest commands (difflib), or None."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    if word is None or word in COMMANDS:
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"incidents: unknown command {word!r}.{hint} Commands: {', '.join(COMMANDS)}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mistyped = unknown_command(argv)
    if mistyped:
        print(mistyped, file=sys.stderr)
        return 2
    args = build_parser(_chosen_command(argv)).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except UserError as exc:
        print(f"incidents {args.command}: {exc}", file=sys.stderr)
        return 2


class UserError(Exception):
    """A problem the user can fix (bad file, bad option): printed without a traceback."""


def add_data_dir(parser: argparse.ArgumentParser, lock: bool = False) -> None:
    """--data-dir; with `lock`, also --wait for the data directory's lock (see holding_lock)."""
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data directory (default: $INCIDENTS_DATA_DIR, else data/)",
    )
    if lock:
        parser.add_argument(
            "--wait",
            action="store_true",
            help="wait while another crawl, extract, build or watch uses the data directory "
            "(default: stop at once, naming it)",
        )


@contextmanager
def holding_lock(data_dir: DataDir, command: str, wait: bool = False) -> Iterator[None]:
    """The data directory's lock for the block: crawl, extract, build and watch never run on one
    data directory at once. A lock held elsewhere is a UserError naming its pid and command."""
    from core.locks import DataDirLocked, data_dir_lock

    held = ExitStack()
    try:
        held.enter_context(data_dir_lock(data_dir, f"incidents {command}", wait=wait))
    except DataDirLocked as exc:
        raise UserError(str(exc)) from None
    with held:
        yield


if __name__ == "__main__":
    sys.exit(main())
