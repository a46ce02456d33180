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
    r"breadcrumbs?|tags|author-bio|popular|trending)([\s_-]|$)",
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
    doomed = list(tree.xpath(BOILERPLATE_XPATH))
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in ("html", "body", "article", "main"):
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


def normalise_text(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
