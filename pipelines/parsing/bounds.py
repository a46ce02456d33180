"""What keeps parsing bounded in time whatever the page: script, style and comments dropped
in one linear pass (a regex with a lazy `.*?` per unclosed <script> is quadratic), nesting
flattened when it is deeper than libxml2 follows (it silently drops everything after depth
256, the article with it), and a node count that sends huge trees down the cheap path
(pipelines.parsing.density) instead of the extractors, which are slow on them.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Above this many elements, or this much markup once scripts and styles are gone, the
# extractors and the date search take seconds: the page goes down the text-density path
# instead. Article pages have a few thousand elements (median 476, 99th percentile 2,434 on
# the extraction benchmarks' pages) and well under a megabyte of markup.
MAX_NODES = 10_000
MAX_FULL_PATH_CHARS = 1_000_000
# Above these, the page is read by our extraction alone, not voted by five extractors
# (pipelines.parsing.voting), which would take seconds: the 99th percentile of the
# benchmarks' article pages is well inside both.
MAX_VOTE_NODES = 4_000
MAX_VOTE_CHARS = 400_000
# Plain trafilatura's vote reads the page as served (its <noscript> and layout kept: it reads
# more of the article so, as in the benchmark's baseline) when it is no bigger than this;
# a bigger page, mostly inline script, is read from the stripped tree.
MAX_VOTE_PAGE_CHARS = 1_500_000
# Elements whose content is never article text; an unclosed one swallows the rest of the
# page, as in a browser.
_RAW_OPEN = re.compile(r"<(script|style|svg|template|noscript)\b|<!--", re.IGNORECASE)
# Container and inline tags that carry no paragraph structure: removing them flattens any
# nesting while paragraphs, headings, list items and line breaks keep the text's shape.
_NESTING_TAGS = re.compile(
    r"</?(?:div|span|section|article|main|aside|header|footer|nav|b|i|u|em|strong|font|a|small|big|"
    r"table|tbody|thead|tfoot|tr|td|th|ul|ol|dl|dd|dt|center|form|label|figure|figcaption|sup|sub|"
    r"abbr|cite|code|mark|q|s|strike|tt|var|ins|del|time|address|details|summary|fieldset|"
    r"[a-z]+-[a-z-]+)\b[^>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"  +")
# lxml refuses a decoded string that still declares its encoding (XHTML pages start so).
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)


def strip_raw_text_elements(markup: str) -> str:
    """Markup without <script>, <style>, <svg>, <template>, <noscript> and comments, in one
    pass over the text (each closing tag is searched once, from where its element opens)."""
    lower = markup.lower()
    parts: list[str] = []
    position = 0
    while True:
        match = _RAW_OPEN.search(markup, position)
        if match is None:
            parts.append(markup[position:])
            break
        parts.append(markup[position : match.start()])
        parts.append(" ")
        closing = "-->" if match.group(0) == "<!--" else f"</{match.group(1).lower()}"
        end = lower.find(closing, match.end())
        if end < 0:
            break  # unclosed: the rest of the page is inside it
        close_end = lower.find(">", end) if closing != "-->" else end + 2
        position = (close_end if close_end >= 0 else len(markup) - 1) + 1
    return "".join(parts)


def parse_tree(markup: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """(tree, flattened): the tree of the markup, re-parsed from flattened markup when the
    nesting was too deep for libxml2 to keep everything."""
    markup = _XML_DECLARATION.sub("", markup, count=1)
    parser = lxml.html.HTMLParser(recover=True, remove_comments=True)
    tree = lxml.html.document_fromstring(markup, parser=parser)
    if any(entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for entry in parser.error_log):
        flat = _SPACES.sub(" ", _NESTING_TAGS.sub(" ", markup))
        return lxml.html.document_fromstring(flat, parser=lxml.html.HTMLParser(recover=True)), True
    return tree, False


def too_many_nodes(tree: etree._Element, limit: int = MAX_NODES) -> bool:
    """Whether the tree has more than `limit` nodes (counting stops there)."""
    for count, _ in enumerate(tree.iter(), 1):
        if count > limit:
            return True
    return False
