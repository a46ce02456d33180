"""Main text of an article page, without navigation, banners, comments or related links."""

from __future__ import annotations

import re

import trafilatura
from lxml.html import HtmlElement

# Boxes that trafilatura sometimes keeps because they sit inside the article element.
BOILERPLATE_XPATH = (
    "//*[self::aside or self::nav or self::form or self::footer or self::dialog]"
    " | //*[@role='dialog' or @role='navigation' or @role='complementary']"
    " | //*[@aria-modal='true']"
)
BOILERPLATE_CLASS = re.compile(
    r"(^|[\s_-])(cookie|consent|gdpr|newsletter|subscribe|signup|sign-up|related|recommended|"
    r"read-more|more-stories|share|social|comments?|disqus|advert|ad-slot|promo|paywall|sidebar|"
    r"breadcrumbs?|tags|author-bio|popular|trending|byline|dateline|entry-meta|post-meta|nav|menu|"
    r"masthead|topbar|skip-link|feedback)([\s_-]|$)",
    re.IGNORECASE,
)


def main_text(tree: HtmlElement, url: str | None = None) -> str:
    """trafilatura on a tree already stripped of the boxes that are never article text."""
    prune(tree)
    text = trafilatura.extract(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        output_format="txt",
        deduplicate=False,
    )
    return normalise_text(text or "")


def prune(tree: HtmlElement) -> None:
    unwrap_layout_tables(tree)
    protected = _main_container_and_ancestors(tree)
    doomed = [node for node in tree.xpath(BOILERPLATE_XPATH) if node not in protected]
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in ("html", "body", "article", "main") or node in protected:
            continue
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if marker.strip() and BOILERPLATE_CLASS.search(marker):
            doomed.append(node)
    for node in doomed:
        parent = node.getparent()
        if parent is not None:
            tail = node.tail
            parent.remove(node)
            if tail and tail.strip():
                previous = parent[-1] if len(parent) else None
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail


def _main_container_and_ancestors(tree: HtmlElement) -> set:
    """The element holding the most paragraph text, and its ancestors: a class name such as
    "social-share-enabled" on the article body must never cost the article."""
    weight: dict = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + len(paragraph.text_content())
    if not weight:
        return set()
    main = max(weight, key=weight.get)
    return {main, *main.iterancestors()}


def unwrap_layout_tables(tree: HtmlElement) -> None:
    """Tables used for page layout (cells holding paragraphs and headings) become plain
    blocks, so their paragraphs are read as paragraphs and not as one table row."""
    for table in tree.xpath("//table[.//td//p or .//td//h1 or .//td//h2]"):
        for node in table.iter("table", "tbody", "thead", "tr", "td", "th"):
            node.tag = "div"
            for attribute in ("width", "valign", "align"):
                node.attrib.pop(attribute, None)


def normalise_text(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
