"""List the sources of a sources file; --check fetches each once and reports what works."""

from __future__ import annotations

import argparse
import urllib.error
import urllib.request

from incidents.cli import UserError
from incidents.config import DEFAULT_SOURCES, user_agent
from incidents.sources import Source, SourcesFileError, load_sources


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file (TOML)")
    parser.add_argument("--check", action="store_true", help="fetch each source once (needs internet)")
    parser.add_argument("--contact", help="your e-mail, sent in the User-Agent (or $INCIDENTS_CONTACT)")
    parser.add_argument("--timeout", type=float, default=20.0)


def run(args: argparse.Namespace) -> int:
    try:
        sources = load_sources(args.sources)
    except SourcesFileError as exc:
        raise UserError(str(exc)) from None
    print(f"{'name':<28} {'kind':<14} {'group':<12} {'country':<7} publisher / url")
    failures = 0
    for source in sources:
        line = f"{source.name:<28} {source.kind:<14} {source.group or '':<12} {source.country or '':<7} {source.publisher} <{source.url}>"
        if args.check:
            ok, status = check_source(source, args.contact, args.timeout)
            failures += not ok
            line += f"  [{status}]"
        print(line)
    print(f"{len(sources)} sources")
    return 1 if failures else 0


def check_source(source: Source, contact: str | None, timeout: float) -> tuple[bool, str]:
    """One GET with the crawler's User-Agent and the source's own headers."""
    import os

    headers = {"User-Agent": user_agent(contact or os.environ.get("INCIDENTS_CONTACT")), **source.headers}
    request = urllib.request.Request(source.url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            size = len(response.read(5_000_000))
            return True, f"HTTP {response.status}, {size} bytes"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return False, f"error: {exc}"
