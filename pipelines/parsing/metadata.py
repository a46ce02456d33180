"""Article metadata, most reliable first: JSON-LD, then OpenGraph and meta tags, then
microdata, then visible markup (h1, <time>, bylines)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser
from lxml.html import HtmlElement

from pipelines.parsing.dates import plausible

ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "backgroundnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "report",
    "techarticle",
    "scholarlyarticle",
    "pressrelease",
    "liveblogposting",
    "socialmediaposting",
    "webpage",
}
DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "citation_publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "og:published_time",
    "article_date_original",
    "cxenseparse:recs:publishtime",
)
AUTHOR_META = (
    "author",
    "article:author",
    "sailthru.author",
    "parsely-author",
    "dc.creator",
    "citation_author",
    "byl",
)
TITLE_META = ("og:title", "twitter:title", "dc.title", "citation_title", "parsely-title")
# One pass over the tree (nodes without a class attribute are skipped at once): five unions
# of contains(concat(...)) took seconds on pages of hundreds of thousands of nodes.
BYLINE_XPATH = (
    '//*[@rel="author" or (@class and ('
    'contains(concat(" ", normalize-space(@class), " "), " byline ")'
    ' or contains(concat(" ", normalize-space(@class), " "), " author ")'
    ' or contains(concat(" ", normalize-space(@class), " "), " author-name ")'
    ' or contains(concat(" ", normalize-space(@class), " "), " dateline ")))]'
)
BY_PREFIX = re.compile(r"^\s*(by|written by|posted by|von|par)\s+", re.IGNORECASE)


@dataclass
class Metadata:
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    body: str | None = None  # JSON-LD articleBody, when a page carries one


def extract_metadata(tree: HtmlElement, json_ld_blocks: Iterable[str]) -> Metadata:
    """json_ld_blocks are the raw <script type="application/ld+json"> texts of the page."""
    meta = Metadata()
    _from_json_ld(meta, json_ld_blocks)
    tags = _meta_tags(tree)
    meta.title = meta.title or _first(tags, TITLE_META)
    meta.published = meta.published or _first_date(tags.get(k) for k in DATE_META)
    meta.authors = meta.authors or _clean_authors(_all(tags, AUTHOR_META))
    meta.site_name = meta.site_name or tags.get("og:site_name") or tags.get("application-name")
    meta.language = meta.language or _language(tree, tags)
    meta.canonical_url = _canonical(tree) or tags.get("og:url") or meta.canonical_url
    _from_microdata(meta, tree)
    _from_visible(meta, tree)
    return meta


def _from_json_ld(meta: Metadata, blocks: Iterable[str]) -> None:
    for block in blocks:
        try:
            data = json.loads(block, strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            types = {t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
            if not types & ARTICLE_TYPES:
                continue
            meta.title = meta.title or _text(node.get("headline") or node.get("name"))
            meta.published = meta.published or _first_date(
                [node.get("datePublished"), node.get("dateCreated")]
            )
            meta.authors = meta.authors or _clean_authors(_json_ld_people(node.get("author")))
            meta.language = meta.language or _lang_code(_text(node.get("inLanguage")))
            meta.canonical_url = meta.canonical_url or _text(node.get("url"))
            body = _text(node.get("articleBody"))
            if body and not meta.body:
                meta.body = body
            publisher = node.get("publisher")
            if isinstance(publisher, dict):
                meta.site_name = meta.site_name or _text(publisher.get("name"))


def _json_ld_nodes(data: Any, depth: int = 0) -> Iterable[dict]:
    if depth > 5:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _json_ld_nodes(data["@graph"], depth + 1)
        if isinstance(data.get("mainEntity"), (dict, list)):
            yield from _json_ld_nodes(data["mainEntity"], depth + 1)


def _json_ld_people(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [_text(value.get("name"))] if value.get("name") else []
    if isinstance(value, list):
        return [name for item in value for name in _json_ld_people(item)]
    return []


def _meta_tags(tree: HtmlElement) -> dict[str, list[str] | str]:
    tags: dict[str, Any] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        value = (node.get("content") or "").strip()
        if key and value:
            tags.setdefault(key, value)
            tags.setdefault(f"{key}[]", []).append(value)
    return tags


def _first(tags: dict, keys: Iterable[str]) -> str | None:
    for key in keys:
        if tags.get(key):
            return tags[key]
    return None


def _all(tags: dict, keys: Iterable[str]) -> list[str]:
    for key in keys:
        if tags.get(f"{key}[]"):
            return tags[f"{key}[]"]
    return []


def _from_microdata(meta: Metadata, tree: HtmlElement) -> None:
    if not tree.xpath("boolean(//*[@itemprop])"):
        return  # one pass instead of three on the many pages without microdata
    if meta.published is None:
        nodes = tree.xpath('//*[@itemprop="datePublished"]')
        meta.published = _first_date(
            n.get("content") or n.get("datetime") or n.text_content() for n in nodes[:3]
        )
    if not meta.authors:
        names = tree.xpath(
            '//*[@itemprop="author"]//*[@itemprop="name"] | //*[@itemprop="author"][not(.//*[@itemprop="name"])]'
        )
        meta.authors = _clean_authors(n.get("content") or n.text_content() for n in names[:5])
    if not meta.title:
        heads = tree.xpath('//*[@itemprop="headline"]')
        meta.title = _text(heads[0].text_content()) if heads else None


def _from_visible(meta: Metadata, tree: HtmlElement) -> None:
    if not meta.title:
        heads = tree.xpath("//h1")
        meta.title = _text(heads[0].text_content()) if heads else None
    if not meta.title:
        titles = tree.xpath("//title")
        if titles:
            meta.title = _strip_site_name(_text(titles[0].text_content()), meta.site_name)
    if meta.published is None:
        times = tree.xpath("//article//time[@datetime] | //time[@datetime]")
        meta.published = _first_date(t.get("datetime") for t in times[:3])
    if not meta.authors:
        bylines = tree.xpath(BYLINE_XPATH)
        meta.authors = _clean_authors(b.text_content() for b in bylines[:3])


def _strip_site_name(title: str | None, site: str | None) -> str | None:
    if not title:
        return title
    for sep in (" | ", " - ", " – ", " — ", " :: "):
        if sep in title:
            head, _, tail = title.rpartition(sep)
            if site and site.lower() in tail.lower() or len(tail) < len(head) / 2:
                return head.strip()
    return title


def _canonical(tree: HtmlElement) -> str | None:
    links = tree.xpath('//link[@rel="canonical"]/@href')
    return links[0].strip() if links and links[0].strip() else None


def _language(tree: HtmlElement, tags: dict) -> str | None:
    candidates = [
        tree.get("lang"),
        tree.get("xml:lang"),
        tags.get("content-language"),
        tags.get("og:locale"),
        tags.get("language"),
        tags.get("dc.language"),
    ]
    for node in tree.xpath("//meta[@http-equiv]"):
        if node.get("http-equiv", "").lower() == "content-language":
            candidates.append(node.get("content"))
    for value in candidates:
        code = _lang_code(value)
        if code:
            return code
    return None


def _lang_code(value: str | None) -> str | None:
    if not value:
        return None
    code = re.split(r"[-_,;\s]", value.strip().lower())[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _first_date(values: Iterable[Any]) -> datetime | None:
    for value in values:
        moment = parse_date(value)
        if moment is not None:
            return moment
    return None


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a date string; None when absent or implausible."""
    text = _text(value)
    if not text or len(text) > 100:
        return None
    try:
        moment = dateparser.parse(text)
    except (ValueError, OverflowError, TypeError):
        return None
    return plausible(moment, "metadata")


def _clean_authors(values: Iterable[Any]) -> list[str]:
    authors: list[str] = []
    for value in values:
        text = _text(value)
        if not text or text.startswith(("http://", "https://")):
            continue
        text = BY_PREFIX.sub("", text)
        for name in re.split(r"\s*(?:,| and | & |;|\||·|•)\s*", text):
            name = BY_PREFIX.sub("", name).strip(" -–")
            if 2 < len(name) < 80 and name not in authors and not any(c.isdigit() for c in name):
                authors.append(name)
    return authors


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if not isinstance(value, str):
        return None
    # JSON-LD and meta values often carry HTML entities ("&#8216;"): text, not markup.
    value = re.sub(r"\s+", " ", html.unescape(value)).strip()
    return value or None
