"""Stored HTML article pages → parsed fields."""

from __future__ import annotations

from core.raw_store import StoredPage
from pipelines.parsing import parse_html


def parse_stored_html(page: StoredPage) -> dict:
    article = parse_html(page.body, page.url, page.content_type, page.listed_at, page.listed_by)
    return {
        "url": article.canonical_url or page.url,
        "title": article.title,
        "text": article.text,
        "published_at": article.published,
        "published_source": article.published_source,
        "authors": article.authors,
        "language": article.language,
        "parse_error": "; ".join(article.warnings) or None,
    }
