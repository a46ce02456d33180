"""The source kinds: a kind's name (the `kind` of a sources-file entry, its spider's name) →
its package under sources/. Adding a kind: its folder, and one line here."""

from __future__ import annotations

from pathlib import Path

KINDS: dict[str, str] = {
    "feed": "sources.feed",
    "sitemap": "sources.sitemap",
    "google-news": "sources.google_news",
    "sec-edgar": "sources.sec_edgar",
    "portal-california": "sources.portal_california",
    "portal-maine": "sources.portal_maine",
    "portal-washington": "sources.portal_washington",
    "ransomware-live": "sources.ransomware_live",
}

SOURCES_ROOT = Path(__file__).resolve().parent


def kind_folder(kind: str) -> Path:
    """The folder of a kind's package: its spider, parser and fixtures/."""
    return SOURCES_ROOT / KINDS[kind].rsplit(".", 1)[-1]
