"""Where the page's text sits: the text inside links, headings, list items, page chrome,
boxes whose class or id names comments, related links, sharing or metadata, and the
<article>, one reading per place.

The line model (pipelines.parsing.voting) sees the other extractors' texts only, which
carry no markup; a line of link text in a "related" box and a line of the article read the
same there. These readings put the markup back: the share of a line's word pairs in each
place is one of its features. One walk over the tree, linear in its nodes.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

PLACE_PREFIX = "place_"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LISTS = {"li", "dt", "dd"}
CHROME = {"header", "footer", "nav", "aside", "form"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "dialog", "search"}
ARTICLE = {"article", "main"}
# Class and id words (lower-cased, searched anywhere in them: "commentlist", "postComments").
BOX_WORDS = {
    "comments": re.compile(r"comment|disqus|repl(y|ies)|respond|discussion"),
    "related": re.compile(r"related|recommend|more-|popular|trending|teaser|promo|also|next|prev"),
    "share": re.compile(r"share|social|follow|facebook|twitter|whatsapp|linkedin|newsletter|subscri"),
    "meta": re.compile(
        r"byline|author|dateline|(^|[\s_-])(meta|date|time|posted|tags?)([\s_-]|$)|categor|breadcrumb|caption|credit"
    ),
    "menu": re.compile(r"nav|menu|footer|header|sidebar|widget|copyright|legal|cookie|banner|\bad"),
    "body": re.compile(r"content|article|post|entry|story|body|text"),
}
# Class words naming the taxonomy of the page ("entry-category-news", "tag-ransomware",
# "author-jane"), not what the box is.
TAXONOMY = re.compile(r"(^|[_-])(category|categories|tag|tags|author|type|format|has|is|with)[_-]")
PLACES = ("link", "heading", "list", "paragraph", "table", "chrome", "article", *BOX_WORDS)


def place_readings(tree: HtmlElement) -> dict[str, str]:
    """For each place (PLACES), the text in it under its name prefixed by PLACE_PREFIX: one
    line per outermost element of that place (each element's text is read once per place)."""
    pieces: dict[str, list[str]] = {place: [] for place in PLACES}
    stack: list[tuple[HtmlElement, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, inherited = stack.pop()
        own = _own_places(node)
        for place in own - inherited:
            text = " ".join(node.text_content().split())
            if text:
                pieces[place].append(text)
        places = inherited | own
        stack.extend((child, places) for child in reversed(node) if isinstance(child.tag, str))
    return {PLACE_PREFIX + place: "\n".join(texts) for place, texts in pieces.items()}


def _own_places(node: HtmlElement) -> frozenset[str]:
    tag = node.tag if isinstance(node.tag, str) else ""
    places = set()
    if tag == "a":
        places.add("link")
    elif tag in HEADINGS:
        places.add("heading")
    elif tag in LISTS:
        places.add("list")
    elif tag == "p":
        places.add("paragraph")
    elif tag in ("td", "th"):
        places.add("table")
    if tag in CHROME or node.get("role", "") in CHROME_ROLES:
        places.add("chrome")
    if tag in ARTICLE or node.get("itemprop", "") == "articleBody":
        places.add("article")
    words = " ".join(
        word
        for word in f"{node.get('class', '')} {node.get('id', '')}".lower().split()
        if not TAXONOMY.search(word)
    )
    if words and tag not in ("html", "body"):
        places.update(place for place, pattern in BOX_WORDS.items() if pattern.search(words))
    return frozenset(places)
