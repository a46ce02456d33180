"""Crawl the sources of a sources file into the data directory's raw store.

Polite by default (robots.txt, AutoThrottle, per-domain concurrency, back-off on errors).
Pages are stored as they arrive: Ctrl-C stops cleanly and loses nothing stored; --resume
continues from where an interrupted crawl stopped.

The output is a progress line now and then and a summary per source (pages listed, fetched,
stored, skipped, failed, with the first error); --verbose shows Scrapy's own log. The exit
status is 1 when no source could be reached at all (no network, every host down).
"""

from __future__ import annotations

import argparse
import sys

from core.config import DEFAULT_SOURCES, DataDir
from core.sources import SourcesFileError
from incidents.cli import UserError, add_data_dir, holding_lock

# Scrapy's log and its stats dump only with --verbose (or -s LOG_LEVEL=INFO); the spiders' own
# warnings (a listing that failed, a sitemap cut at its limits) stay, one line each.
QUIET = {
    "LOG_LEVEL": "CRITICAL",
    "INCIDENTS_SPIDER_LOG_LEVEL": "WARNING",
    "STATS_DUMP": "False",
    "LOGSTATS_INTERVAL": "0",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file (TOML)")
    add_data_dir(parser, lock=True)
    parser.add_argument("--since", help="skip entries a feed or sitemap dates before this ISO date")
    parser.add_argument("--only", help="comma-separated source names to crawl")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted crawl")
    parser.add_argument(
        "--redis",
        metavar="redis://HOST:PORT",
        help="share one crawl frontier (queue and seen pages) with other crawl processes through redis",
    )
    parser.add_argument("--contact", help="your e-mail, sent in the User-Agent (or $INCIDENTS_CONTACT)")
    parser.add_argument(
        "--verbose", dest="scrapy_log", action="store_true", help="show Scrapy's log and stats"
    )
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting, e.g. -s DOWNLOAD_DELAY=0 (repeatable)",
    )


def parse_settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    return settings


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.resolve(args.data_dir)
    # Taken before Scrapy loads: a second crawl says who holds the data directory at once. The
    # crawl's job queue (D/jobs/) is never shared by two processes.
    with holding_lock(data_dir, "crawl", wait=args.wait):
        from crawler.run import CrawlFailed, run_crawl
        from crawler.spiders.base import parse_since

        overrides = parse_settings(args.settings)
        if not (args.verbose or args.scrapy_log):
            # Quiet by default: the summary below says what happened, per source.
            overrides = {**QUIET, **overrides}
        if args.contact:
            overrides["INCIDENTS_CONTACT"] = args.contact
        try:
            parse_since(args.since)
            result = run_crawl(
                args.sources,
                data_dir,
                since=args.since,
                only=args.only,
                resume=args.resume,
                overrides=overrides,
                redis_url=args.redis,
            )
        except (SourcesFileError, ValueError, CrawlFailed) as exc:
            raise UserError(str(exc)) from None
    print(format_crawl_summary(result.per_source))
    if not any_reached(result.per_source):
        first = next((e["first_error"] for e in result.per_source.values() if e.get("first_error")), None)
        print(
            "0 pages stored: no source could be reached; check the network"
            + (f" (first error: {first})" if first else ""),
            file=sys.stderr,
        )
        return 1
    return 0


def any_reached(per_source: dict[str, dict]) -> bool:
    """Whether any source answered: a listing read, a page fetched, or a listing unchanged (304).
    A crawl with nothing to crawl reached nothing but failed nothing either."""
    if not per_source:
        return True
    answered = ("listing_unchanged", "already_stored", "older_than_since", "robots_txt")
    return any(
        e["listed"] or e["fetched"] or e["stored"] or any(r in e["skipped_reasons"] for r in answered)
        for e in per_source.values()
    ) or not any(e["failed"] for e in per_source.values())


def format_crawl_summary(per_source: dict[str, dict]) -> str:
    lines = [
        f"{'source':<24} {'listed':>7} {'fetched':>8} {'stored':>7} {'skipped':>8} {'failed':>7}  reasons"
    ]
    for name in sorted(per_source):
        entry = per_source[name]
        reasons = {**entry["skipped_reasons"], **entry["failed_reasons"]}
        why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        lines.append(
            f"{name:<24} {entry['listed']:>7} {entry['fetched']:>8} {entry['stored']:>7} "
            f"{entry['skipped']:>8} {entry['failed']:>7}  {why}"
        )
        if entry.get("first_error"):
            lines.append(f"{'':<24} first error: {entry['first_error']}")
    changed = [
        f"  {name}: {problem}"
        for name in sorted(per_source)
        for problem in sorted(per_source[name].get("drift_reasons", {}))
    ]
    if changed:
        lines.append("sources that changed shape (read anyway; check their parsers):")
        lines.extend(changed)
    return "\n".join(lines)
