"""HTML page → article: title, main text, published date, authors, language, canonical URL.

Bounded in time and memory whatever the page: scripts, styles and inline data are dropped
before parsing and what remains is capped, so a many-megabyte page parses like a normal one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
import py3langid
from lxml import etree

from pipelines.parsing.bounds import (
    MAX_FULL_PATH_CHARS,
    MAX_NODES,
    MAX_VOTE_CHARS,
    MAX_VOTE_NODES,
    MAX_VOTE_PAGE_CHARS,
    parse_tree,
    strip_raw_text_elements,
    too_many_nodes,
)
from pipelines.parsing.dates import published_date
from pipelines.parsing.density import dense_text
from pipelines.parsing.encoding import decode_html
from pipelines.parsing.metadata import extract_metadata
from pipelines.parsing.text import article_text, main_container, squash

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_MARKUP_CHARS = 3_000_000
MAX_JSON_LD_CHARS = 1_000_000
SMALL_COPY_CHARS = 30_000
JSON_LD = re.compile(
    r"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
SITE_TAIL = re.compile(r"\s+[|\-–—:]\s+[^|\-–—:]{2,60}$")  # " | Site", " - Site"
INLINE_DATA = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]{200,}", re.IGNORECASE)


@dataclass
class ParsedArticle:
    url: str | None
    title: str | None
    text: str
    published: datetime | None
    # Where the date came from: metadata, feed, sitemap, page_text, url or none.
    published_source: str = "none"
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    canonical_url: str | None = None
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        record = asdict(self)
        record["published"] = self.published.isoformat() if self.published else None
        return record


class ParseError(ValueError):
    """A page that yields no usable document (empty, not HTML)."""


def parse_html(
    body: bytes,
    url: str | None = None,
    content_type: str | None = None,
    listed_at: datetime | None = None,
    listed_by: str | None = None,
    readings: dict[str, str] | None = None,
) -> ParsedArticle:
    """The article of a page; `listed_at`/`listed_by` are the date a feed or sitemap gave for
    its URL (pipelines.parsing.dates says which date wins); `readings`, when given, receives
    each extractor's main text (pipelines.parsing.voting; for training its line model)."""
    warnings: list[str] = []
    if len(body) > MAX_BODY_BYTES:
        warnings.append(f"body of {len(body)} bytes truncated to {MAX_BODY_BYTES}")
        body = body[:MAX_BODY_BYTES]
    markup, encoding = decode_html(body, content_type)
    page = markup  # as served, for plain trafilatura's vote (pipelines.parsing.voting)
    json_ld = [m.group(1) for m in JSON_LD.finditer(markup) if len(m.group(1)) <= MAX_JSON_LD_CHARS][:20]
    markup = INLINE_DATA.sub("data:,", strip_raw_text_elements(markup))
    if len(markup) > MAX_MARKUP_CHARS:
        warnings.append(f"markup of {len(markup)} characters truncated to {MAX_MARKUP_CHARS}")
        markup = markup[:MAX_MARKUP_CHARS]
    tree, flattened = _parse_tree(markup)
    if flattened:
        # lxml drops whatever is nested deeper than its limit (256): the markup was flattened.
        warnings.append("tags nested deeper than the HTML parser's limit: containers flattened")
    meta = extract_metadata(tree, json_ld)
    if too_many_nodes(tree) or len(markup) > MAX_FULL_PATH_CHARS:
        # The cheap path: text density over the pruned tree, dated from the article's box.
        warnings.append(
            f"over {MAX_NODES} elements or {MAX_FULL_PATH_CHARS} characters: text-density extraction"
        )
        container = main_container(tree)
        text = dense_text(tree, container)
        article_box = _small_copy(container)
        published, published_source = published_date(meta.published, article_box, url, listed_at, listed_by)
    else:
        # Before article_text, which prunes the tree: the byline date is in the boxes it removes.
        published, published_source = published_date(meta.published, tree, url, listed_at, listed_by)
        voted = len(markup) <= MAX_VOTE_CHARS and not too_many_nodes(tree, MAX_VOTE_NODES)
        served = page if len(page) <= MAX_VOTE_PAGE_CHARS and not flattened else None
        text = article_text(tree, markup, url, readings, voted, served)
    text = _without_title(text, meta.title)
    if not text and meta.body:
        text = meta.body
    if not text and flattened:
        raise ParseError("tags nested deeper than the HTML parser's limit, and no text outside them")
    canonical = urljoin(url, meta.canonical_url) if url and meta.canonical_url else meta.canonical_url or url
    return ParsedArticle(
        url=url,
        title=meta.title,
        text=text,
        published=published,
        published_source=published_source,
        authors=meta.authors,
        language=meta.language or detect_language(text),
        canonical_url=canonical,
        encoding=encoding,
        warnings=warnings,
    )


def _parse_tree(markup: str) -> tuple[lxml.html.HtmlElement, bool]:
    if not markup.strip():
        raise ParseError("empty page")
    try:
        tree, flattened = parse_tree(markup)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unparseable HTML: {exc}") from None
    if tree is None:
        raise ParseError("no HTML document")
    return tree, flattened


def _small_copy(container: lxml.html.HtmlElement | None) -> lxml.html.HtmlElement | None:
    """The start of the article's box as a page of its own, where a date search is quick
    whatever the page (the byline is at the article's start)."""
    if container is None:
        return None
    head = lxml.html.tostring(container, encoding="unicode")[:SMALL_COPY_CHARS]
    return lxml.html.document_fromstring(f"<html><body>{head}</body></html>")


def _without_title(text: str, title: str | None) -> str:
    """Extractors often keep the <h1> (and a section label above it); the title is its own
    field, so the text starts after it."""
    lines = text.split("\n")
    if title:
        titles = {squash(title), squash(SITE_TAIL.sub("", title))}
        for index, line in enumerate(lines[:3]):
            if squash(line) in titles and all(len(earlier.split()) < 8 for earlier in lines[:index]):
                return "\n".join(lines[index + 1 :])
    return text


def detect_language(text: str) -> str | None:
    if len(text) < 20:
        return None
    language, _ = py3langid.classify(text[:5000])
    return language
