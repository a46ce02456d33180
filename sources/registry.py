"""The source kinds: a kind's name (the `kind` of a sources-file entry, its spider's name) →
its package under sources/, whose ``__init__.py`` declares everything about it as ``KIND``
(a sources.common.SourceKind). Adding a kind: its folder, and one line here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sources.common import SourceKind

KINDS: dict[str, str] = {
    "feed": "sources.feed",
    "sitemap": "sources.sitemap",
    "google-news": "sources.google_news",
    "sec-edgar": "sources.sec_edgar",
    "portal-california": "sources.portal_california",
    "portal-maine": "sources.portal_maine",
    "portal-washington": "sources.portal_washington",
    "ransomware-live": "sources.ransomware_live",
    "portal-texas": "sources.portal_texas",
    "portal-montana": "sources.portal_montana",
    "portal-new-hampshire": "sources.portal_new_hampshire",
    "hhs-ocr": "sources.hhs_ocr",
    "hibp": "sources.hibp",
    "ransomlook": "sources.ransomlook",
}

SOURCES_ROOT = Path(__file__).resolve().parent


class UnknownKind(KeyError):
    pass


@cache
def kind(name: str) -> SourceKind:
    """The declaration of a kind, from its package."""
    if name not in KINDS:
        raise UnknownKind(f"no source kind {name!r} (known: {', '.join(sorted(KINDS))})")
    declared = importlib.import_module(KINDS[name]).KIND
    if declared.name != name:
        raise UnknownKind(f"{KINDS[name]} declares kind {declared.name!r}, the registry calls it {name!r}")
    return declared


def kinds() -> list[SourceKind]:
    return [kind(name) for name in KINDS]


def kind_folder(name: str) -> Path:
    """The folder of a kind's package: its spider, parser and fixtures/."""
    return SOURCES_ROOT / KINDS[name].rsplit(".", 1)[-1]


@cache
def content_kinds() -> dict[str, tuple[str, str]]:
    """Content kind of a stored record → (source kind, "module:function" of its parser)."""
    found: dict[str, tuple[str, str]] = {}
    for declared in kinds():
        for content_kind, target in declared.parsers.items():
            if content_kind in found:
                raise UnknownKind(
                    f"content kind {content_kind!r} is declared by {found[content_kind][0]} and {declared.name}"
                )
            found[content_kind] = (declared.name, target)
    return found


def record_parser(content_kind: str) -> Callable[[Any], dict] | None:
    """The parser of stored records of this content kind, or None when no kind declares it."""
    entry = content_kinds().get(content_kind)
    if entry is None:
        return None
    return kind(entry[0]).load(entry[1])
