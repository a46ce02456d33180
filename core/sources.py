"""The sources file (TOML): which sources to crawl, of which kind, with what per-source settings."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REQUIRED = ("name", "kind", "url", "publisher")
KNOWN_KEYS = set(REQUIRED) | {
    "country",
    "language",
    "group",
    "terms",
    "notes",
    "enabled",
    "settings",
    "headers",
    "params",
    "allow_private_addresses",
    "allowed_domains",
    "unavailable",
}


# A name is a key in reports, stats and file names: letters, digits, dot, dash, underscore.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def _non_negative_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _positive_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# The per-source `settings` the crawler reads, each with its check and what it expects.
SETTINGS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "delay": (_non_negative_number, "a number of seconds (0 or more)"),
    "concurrency": (_positive_integer, "a whole number of requests (1 or more)"),
    "conditional": (lambda value: isinstance(value, bool), "true or false"),
}


class SourcesFileError(ValueError):
    """A sources file that cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    url: str
    publisher: str
    country: str | None = None
    language: str | None = None
    group: str | None = None
    terms: str | None = None
    notes: str | None = None
    enabled: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    # Fetch from the URL's host even when it is loopback, private or link-local (a source on
    # the operator's own network, the sample web); other internal hosts stay refused.
    allow_private_addresses: bool = False
    # Other sites whose pages this source links to and may be fetched (the source's own site
    # always may; "*" for any site): a feed on a feed host linking to the publisher's pages.
    allowed_domains: list[str] = field(default_factory=list)
    # A source that is gone: {since = "YYYY-MM-DD", reason = "..."}; not crawled (its kind's
    # parser stays, for archived copies of its pages), shown as unavailable by `incidents sources`.
    unavailable: dict[str, str] | None = None

    @property
    def crawlable(self) -> bool:
        return self.enabled and not self.unavailable


def load_sources(path: str | Path, known_kinds: Iterable[str] | None = None) -> list[Source]:
    """Read and validate a sources file; every problem is reported with file and entry."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesFileError(f"{path}: no such sources file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesFileError(f"{path}: not valid TOML: {exc}") from None
    entries = raw.get("sources")
    if not isinstance(entries, list) or not entries:
        raise SourcesFileError(f"{path}: expected one or more [[sources]] tables")
    kinds = set(known_kinds) if known_kinds is not None else None
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        source = _validate_entry(path, index, entry, kinds)
        if source.name in seen:
            raise SourcesFileError(f"{path}: source #{index} ({source.name!r}): duplicate name")
        seen.add(source.name)
        sources.append(source)
    return sources


def _validate_entry(path: Path, index: int, entry: Any, kinds: set[str] | None) -> Source:
    label = f"{path}: source #{index}"
    if not isinstance(entry, dict):
        raise SourcesFileError(f"{label}: expected a table, got {type(entry).__name__}")
    if isinstance(entry.get("name"), str):
        label += f" ({entry['name']!r})"
    missing = [key for key in REQUIRED if not entry.get(key)]
    if missing:
        raise SourcesFileError(f"{label}: missing {', '.join(missing)}")
    for key in REQUIRED:
        if not isinstance(entry[key], str):
            raise SourcesFileError(f"{label}: {key} must be a string")
    if not NAME.fullmatch(entry["name"]):
        raise SourcesFileError(
            f"{label}: name must be 1 to 80 letters, digits, '.', '-' or '_' (starting with a letter "
            "or digit)"
        )
    unknown = sorted(set(entry) - KNOWN_KEYS)
    if unknown:
        raise SourcesFileError(f"{label}: unknown key(s) {', '.join(unknown)}")
    if kinds is not None and entry["kind"] not in kinds:
        raise SourcesFileError(f"{label}: unknown kind {entry['kind']!r} (known: {', '.join(sorted(kinds))})")
    url = urlparse(entry["url"])
    if url.scheme not in ("http", "https") or not url.netloc:
        raise SourcesFileError(f"{label}: url must be an http(s) URL, got {entry['url']!r}")
    if not isinstance(entry.get("allow_private_addresses", False), bool):
        raise SourcesFileError(f"{label}: allow_private_addresses must be true or false")
    domains = entry.get("allowed_domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) and d.strip() for d in domains):
        raise SourcesFileError(f'{label}: allowed_domains must be a list of domain names (or "*")')
    for key in ("settings", "headers", "params", "unavailable"):
        if key in entry and not isinstance(entry[key], dict):
            raise SourcesFileError(f"{label}: {key} must be a table")
    gone = entry.get("unavailable")
    if gone is not None:
        if not gone.get("reason") or not gone.get("since"):
            raise SourcesFileError(f"{label}: unavailable needs a reason and a since date")
        try:
            date.fromisoformat(str(gone["since"]))
        except ValueError:
            raise SourcesFileError(
                f"{label}: unavailable.since must be an ISO date, got {gone['since']!r}"
            ) from None
    for key, value in entry.get("settings", {}).items():
        if key not in SETTINGS:
            raise SourcesFileError(f"{label}: settings: unknown key {key!r} (known: {', '.join(SETTINGS)})")
        valid, expected = SETTINGS[key]
        if not valid(value):
            raise SourcesFileError(f"{label}: settings.{key} must be {expected}, got {value!r}")
    for key, value in entry.get("headers", {}).items():
        if not isinstance(value, str):
            raise SourcesFileError(f"{label}: headers.{key} must be a string, got {value!r}")
    return Source(**entry)
