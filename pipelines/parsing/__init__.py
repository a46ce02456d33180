"""HTML page → article: title, main text, published date, authors, language, canonical URL.

Bounded in time and memory whatever the page: scripts, styles and inline data are dropped
before parsing and what remains is capped, so a many-megabyte page parses like a normal one.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
import py3langid
from lxml import etree

from pipelines.parsing.dates import published_date
from pipelines.parsing.encoding import decode_html
from pipelines.parsing.metadata import extract_metadata
from pipelines.parsing.text import main_text

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_MARKUP_CHARS = 3_000_000
MAX_JSON_LD_CHARS = 1_000_000
JSON_LD = re.compile(
    r"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
NOISE = re.compile(
    r"<(script|style|svg|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
TAG = re.compile(r"<[^>]*>")
HEAD = re.compile(r"</head\s*>", re.IGNORECASE)
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
) -> ParsedArticle:
    """The article of a page; `listed_at`/`listed_by` are the date a feed or sitemap gave for
    its URL (pipelines.parsing.dates says which date wins)."""
    warnings: list[str] = []
    if len(body) > MAX_BODY_BYTES:
        warnings.append(f"body of {len(body)} bytes truncated to {MAX_BODY_BYTES}")
        body = body[:MAX_BODY_BYTES]
    markup, encoding = decode_html(body, content_type)
    json_ld = [m.group(1) for m in JSON_LD.finditer(markup) if len(m.group(1)) <= MAX_JSON_LD_CHARS][:20]
    markup = INLINE_DATA.sub("data:,", NOISE.sub(" ", markup))
    if len(markup) > MAX_MARKUP_CHARS:
        warnings.append(f"markup of {len(markup)} characters truncated to {MAX_MARKUP_CHARS}")
        markup = markup[:MAX_MARKUP_CHARS]
    tree, too_deep = _parse_tree(markup)
    meta = extract_metadata(tree, json_ld)
    # Before main_text, which prunes the tree: the byline date is in the boxes it removes.
    published, published_source = published_date(meta.published, tree, url, listed_at, listed_by)
    text = _without_title(main_text(tree, url), meta.title)
    if not text and meta.body:
        text = meta.body
    if not text and too_deep:
        # lxml drops whatever is nested deeper than its limit (256): take the text flat.
        warnings.append("tags nested deeper than the HTML parser's limit: text taken without structure")
        text = flat_text(markup)
        if not text:
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
    """The tree, and whether the parser cut off markup nested deeper than its limit."""
    if not markup.strip():
        raise ParseError("empty page")
    parser = lxml.html.HTMLParser(recover=True, remove_comments=True)
    try:
        tree = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unparseable HTML: {exc}") from None
    if tree is None:
        raise ParseError("no HTML document")
    too_deep = any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)
    return tree, too_deep


def flat_text(markup: str) -> str:
    """The text of the body with every tag removed: for markup no tree can hold."""
    body = HEAD.split(markup, maxsplit=1)[-1]
    words = html.unescape(TAG.sub(" ", body)).split()
    return " ".join(words)


def _without_title(text: str, title: str | None) -> str:
    """Extractors often keep the <h1> (and a section label above it); the title is its own
    field, so the text starts after it."""
    lines = text.split("\n")
    if title:
        titles = {_squash(title), _squash(SITE_TAIL.sub("", title))}
        for index, line in enumerate(lines[:3]):
            if _squash(line) in titles and all(len(earlier.split()) < 8 for earlier in lines[:index]):
                return "\n".join(lines[index + 1 :])
    return text


def _squash(value: str) -> str:
    return re.sub(r"\W+", "", value).lower()


def detect_language(text: str) -> str | None:
    if len(text) < 20:
        return None
    language, _ = py3langid.classify(text[:5000])
    return language
