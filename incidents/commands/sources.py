"""List the sources of a sources file; --check fetches each once and reports what works.

The list shows every source's name, kind, group, country, publisher and URL. --check (for
a machine with internet) sends one GET per source, with the crawler's User-Agent and the
source's own headers, and reports the HTTP status, the size and what the answer holds
(feed entries, JSON records, CSV rows), so a changed or blocked source shows up at once.
EDGAR sources are checked only with a contact e-mail, as EDGAR's fair-access policy asks.
Like a crawl, --check fetches nothing from loopback, private or link-local addresses (at every
redirect) unless the source allows its own (allow_private_addresses) or the run does
(--allow-private-addresses).
"""

from __future__ import annotations

import argparse
import gzip
import os
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor

from core.config import CONTACT_ENV, DEFAULT_SOURCES, user_agent
from core.sources import Source, SourcesFileError, load_sources
from crawler.middlewares import internal_host
from incidents.cli import UserError
from sources import registry

MAX_CHECK_BYTES = 20_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file (TOML)")
    parser.add_argument(
        "--group", help="only sources of this group (press, official, regulatory, portal, discovery)"
    )
    parser.add_argument("--kind", help="only sources of this kind (a spider name)")
    parser.add_argument("--check", action="store_true", help="fetch each source once (needs internet)")
    parser.add_argument("--contact", help="your e-mail, sent in the User-Agent (or $INCIDENTS_CONTACT)")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=6, help="sources checked at once (different sites)")
    parser.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="check sources on loopback or private addresses too (as -s ALLOW_PRIVATE_ADDRESSES=True)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        sources = load_sources(args.sources)
    except SourcesFileError as exc:
        raise UserError(str(exc)) from None
    sources = [
        s
        for s in sources
        if (not args.group or s.group == args.group) and (not args.kind or s.kind == args.kind)
    ]
    contact = args.contact or os.environ.get(CONTACT_ENV) or None
    results: list[tuple[bool, str] | None] = [None] * len(sources)
    if args.check:
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            results = list(
                pool.map(
                    lambda s: (
                        check_source(s, contact, args.timeout, args.allow_private_addresses)
                        if not s.unavailable
                        else (True, f"not checked: unavailable since {s.unavailable['since']}")
                    ),
                    sources,
                )
            )
    print(f"{'name':<28} {'kind':<18} {'group':<11} {'country':<7} publisher <url>")
    failures = 0
    for source, result in zip(sources, results):
        disabled = "" if source.enabled else " (disabled)"
        if source.unavailable:
            disabled += f" (unavailable since {source.unavailable['since']}: {source.unavailable['reason']})"
        line = (
            f"{source.name:<28} {source.kind:<18} {source.group or '-':<11} {source.country or '-':<7} "
            f"{source.publisher}{disabled} <{source.url}>"
        )
        if result is not None:
            ok, status = result
            failures += not ok
            line += f"  [{status}]"
        print(line)
    groups = sorted({s.group or "-" for s in sources})
    print(
        f"{len(sources)} sources in {len(groups)} groups ({', '.join(groups)})"
        + (f"; {failures} failed the check" if args.check else "")
    )
    return 1 if failures else 0


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a host that is not internal (unless allowed)."""

    def __init__(self, allowed: list[str] | None) -> None:
        super().__init__()
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        problem = None if self.allowed is None else internal_host(newurl, self.allowed)
        if problem:
            raise urllib.error.URLError(f"redirect to {newurl} refused: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_source(
    source: Source, contact: str | None, timeout: float, allow_private: bool = False
) -> tuple[bool, str]:
    """One GET with the crawler's User-Agent and the source's own headers: (ok, what happened).

    What the answer holds is read by the source's kind (sources.registry), the reader its
    spider uses, so --check reports the same drift (missing columns, no entries) as a crawl."""
    kind = registry.kind(source.kind)
    if kind.needs_contact and (not contact or "@" not in contact):
        return False, "not checked: this site requires a contact e-mail (--contact or $INCIDENTS_CONTACT)"
    url = kind.load(kind.check_url)(source) if kind.check_url else source.url
    # None: everything allowed; else the origins allowed although internal (the source's own).
    allowed = None if allow_private else ([source.url] if source.allow_private_addresses else [])
    problem = None if allowed is None else internal_host(url, allowed)
    if problem:
        return False, f"not checked: {problem} (allow_private_addresses = true on the source allows it)"
    headers = {"User-Agent": user_agent(contact), **source.headers}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(_GuardedRedirects(allowed)).open(
            request, timeout=timeout
        ) as response:
            body = decoded(response.read(MAX_CHECK_BYTES), response.headers.get("Content-Encoding"))
            content_type = response.headers.get("Content-Type", "")
            summary = f"HTTP {response.status}, {len(body):,} bytes, {content_type.split(';')[0] or '?'}"
            listing = kind.reader()(body, response.geturl(), content_type, params=source.params)
            ok = not listing.broken and not (not listing.entries and not listing.may_be_empty)
            holds = listing.describe(kind.noun)
            if not listing.entries and not listing.may_be_empty and not listing.broken:
                holds += " (it should list some: check the source)"
            return ok, f"{summary}, {holds}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return False, f"error: {getattr(exc, 'reason', exc)}"


def decoded(body: bytes, encoding: str | None) -> bytes:
    """The body as the crawler sees it (sources that insist on gzip answer gzipped)."""
    encoding = (encoding or "").lower()
    if "gzip" in encoding:
        return gzip.decompress(body)
    if "deflate" in encoding:
        return zlib.decompress(body)
    return body
