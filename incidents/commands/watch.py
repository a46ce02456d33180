"""Keep the dataset minutes behind the news: crawl what is new (feeds and sitemaps re-read with
conditional GETs, stored pages never fetched again), extract it, build incrementally; again
every --every (seconds or a duration: 90, 15m, 1h). Ctrl-C or SIGTERM finishes the current
step and stops. Each cycle holds the data dir's lock and is recorded for `incidents status`."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import DEFAULT_SOURCES, DataDir
from incidents.cli import UserError, add_data_dir
from incidents.commands.crawl import parse_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file (TOML)")
    add_data_dir(parser)
    parser.add_argument("--every", default="15m", help="time between cycle starts: seconds, or 90s, 15m, 1h")
    parser.add_argument("--cycles", type=int, help="stop after this many cycles")
    parser.add_argument("--redis", help="redis://HOST:PORT: share the crawl frontier with other crawlers")
    parser.add_argument("--model", help="spaCy pipeline to load (default: the bundled English model)")
    parser.add_argument(
        "-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
        help="a Scrapy setting, e.g. -s DOWNLOAD_DELAY=0 (repeatable)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from analysis.watch import WatchOptions, parse_every, watch
    from incidents.commands.extract import load_analyzer

    try:
        every = parse_every(args.every)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.cycles is not None and args.cycles < 1:
        raise UserError("--cycles must be at least 1")
    sources = Path(args.sources)
    if not sources.is_file():
        raise UserError(f"sources file not found: {sources}")
    options = WatchOptions(sources, every, args.cycles, parse_settings(args.settings), args.redis)
    analyze, version = load_analyzer(args.model)
    records = watch(options, DataDir.resolve(args.data_dir), analyze, version, on_cycle=print_cycle)
    return 1 if records and all(r.get("error") for r in records) else 0


def print_cycle(record: dict) -> None:
    build = record.get("build") or {}
    if record.get("error"):
        print(f"cycle {record['cycle']}: failed: {record['error']}", flush=True)
    elif record.get("interrupted"):
        print(f"cycle {record['cycle']}: stopped after {', '.join(record['steps']) or 'nothing'}", flush=True)
    else:
        fetched = sum(s.get("stored", 0) for s in (record.get("sources") or {}).values())
        print(
            f"cycle {record['cycle']}: {fetched} pages stored, {build['new_articles']} new articles, "
            f"{build['mode']} build in {build['seconds']} s ({build['incidents']} incidents)",
            flush=True,
        )
