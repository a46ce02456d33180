"""The cheap path for trees too big for the extractors: text density over a pruned tree.

The article is where the paragraph text is: after pruning page chrome (pipelines.parsing.text
.prune), the element holding the most paragraph text is the article, and its paragraphs,
headings and list items are the text. A page without paragraphs falls back to the element
with the most text of its own. Linear in the number of nodes.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from pipelines.parsing.text import BOILERPLATE_CLASS, CHROME_TAGS, marker, normalise_text

BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
MIN_BLOCK_WORDS = 4


def dense_text(tree: HtmlElement, container: HtmlElement | None) -> str:
    """The article text of a big tree: the blocks of its main container (text.main_container),
    without those inside page chrome or boilerplate boxes (pruning the whole tree costs
    seconds on such pages)."""
    if container is not None:
        lines = []
        for block in container.iter(*BLOCKS):
            if _in_boilerplate(block, container):
                continue
            text = " ".join(block.text_content().split())
            if len(text.split()) >= MIN_BLOCK_WORDS or block.tag.startswith("h"):
                lines.append(text)
        if lines:
            return normalise_text("\n".join(lines))
    densest, best = None, 0  # no paragraphs: the element with the most text of its own
    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        own = len(node.text or "") + sum(len(child.tail or "") for child in node)
        if own > best:
            densest, best = node, own
    return normalise_text(densest.text_content()) if densest is not None else ""


def _in_boilerplate(block: HtmlElement, container: HtmlElement) -> bool:
    """Inside another block (read with it), or inside chrome between it and the container."""
    for node in (block, *block.iterancestors()):
        if node is container:
            return False
        if node is not block and node.tag in BLOCKS:
            return True
        if node.tag in CHROME_TAGS or BOILERPLATE_CLASS.search(marker(node)):
            return True
    return False
