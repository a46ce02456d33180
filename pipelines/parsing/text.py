"""Main text of an article page, without navigation, banners, comments or related links."""

from __future__ import annotations

import re
from copy import deepcopy

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from pipelines.parsing.bounds import parse_tree
from pipelines.parsing.places import place_readings
from pipelines.parsing.voting import LineModel, load_model, vote, voter_texts

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
TAXONOMY_OR_LAYOUT = re.compile(r"^(category|tag|has|is|with|l)-|layout", re.IGNORECASE)
CHROME_TAGS = {"footer", "header", "nav", "aside", "form"}
# Never boxes of boilerplate whatever their class names say ("site-footer-visible" on <body>).
PAGE_TAGS = {"html", "body", "article", "main"}
FALLBACK_BELOW_CHARS = 200
# Where `readings` keeps the text of each box the pruning removed (for training the line model).
PRUNED = "pruned"
BOX_SEPARATOR = "\x1e"
# A <form> holding this share of the page's text is the page itself (ASP.NET wraps every page
# in one), not a search or comment form.
PAGE_FORM_SHARE = 0.5


def article_text(
    tree: HtmlElement,
    markup: str,
    url: str | None = None,
    readings: dict[str, str] | None = None,
    voted: bool = True,
    page: str | None = None,
) -> str:
    """The main text: our extraction (main_text) and the other extractors' readings of the
    page, with where the page's text sits in its markup (pipelines.parsing.places), voted
    line by line by the trained line model (pipelines.parsing.voting); our
    extraction alone when the model file is missing or the vote keeps nothing. `readings`,
    when given, receives each extractor's text, the place readings and, under PRUNED, the
    pruned boxes' texts joined by BOX_SEPARATOR (what the line model is trained on); `voted`
    False is our extraction alone (pages too big for five readings in bounded time); `page`,
    the page as served, is what plain trafilatura reads, its layout unwrapped (the tree when
    None)."""
    unwrap_layout(tree)
    model = load_model() if voted else None
    if model is None and (readings is None or not voted):
        return main_text(tree, url)
    served = _served_tree(page) if page is not None else None
    others = voter_texts(tree, markup, url, served)  # the unpruned page (its layout tables unwrapped)
    places = place_readings(tree)  # before the pruning, which removes the chrome they describe
    removed: list[str] = []
    texts = {"ours": main_text(tree, url, removed), **others, **places}
    if readings is not None:
        readings.update(texts)
        readings[PRUNED] = BOX_SEPARATOR.join(removed)
    return voted_text(texts, removed, model) if model else texts["ours"]


def _served_tree(page: str) -> HtmlElement | None:
    """The page as served (scripts, <noscript> and comments kept) as a tree, its layout
    unwrapped as the stripped tree's is; None when it does not parse whole."""
    try:
        served, flattened = parse_tree(page)
    except (etree.ParserError, ValueError):
        return None
    if served is None or flattened:
        return None
    unwrap_layout(served)
    return served


def voted_text(
    texts: dict[str, str],
    removed: list[str],
    model: LineModel,
    scored: list[tuple[str, bool, float]] | None = None,
) -> str:
    """The main text from the extractors' readings: the lines the model keeps, without those
    in boxes the pruning removed; our extraction when nothing is left."""
    chosen = normalise_text(vote(texts, model, scored))
    return _outside_boilerplate(chosen, removed, texts["ours"]) or texts["ours"]


def _outside_boilerplate(text: str, removed: list[str], ours: str) -> str:
    """The text without the lines that stand in a box the markup marks as boilerplate
    (newsletter, related, share ...: what prune removed), which the other extractors, blind
    to class names, may have voted for. When our extraction found nothing, the pruning took
    the article with a box (a page wrapper with id "nav"), and its boxes tell nothing."""
    if not ours:
        return text
    boxes = [squash(box) for box in removed]
    kept = squash(ours)
    lines = []
    for line in text.split("\n"):
        key = squash(line)
        if key and key not in kept and any(key in box for box in boxes):
            continue
        lines.append(line)
    return "\n".join(lines)


def squash(value: str) -> str:
    """Letters and digits alone, lower-cased: how two lines are compared whatever their
    spacing, punctuation and case."""
    return re.sub(r"\W+", "", value).lower()


def main_text(tree: HtmlElement, url: str | None = None, removed: list[str] | None = None) -> str:
    """trafilatura on a tree already stripped of the boxes that are never article text (the
    tree's layout unwrapped first: article_text does it once for every reader).

    Its own extraction alone (fast) is more precise on the pruned tree than with its
    fallback extractors, which second-guess the pruning (measured on real pages); the
    fallbacks run only when the fast pass finds next to nothing on a page full of text (a
    short post among long teasers is a short post, not a failure). `removed`, when given,
    receives the text of each box pruned.
    """
    prune(tree, removed)
    text = normalise_text(_extract(deepcopy(tree), url, fast=True))
    if len(text) < FALLBACK_BELOW_CHARS and _paragraph_text(tree) > 5 * FALLBACK_BELOW_CHARS:
        text = max(text, normalise_text(_extract(tree, url, fast=False)), key=len)
    return text


def _extract(tree: HtmlElement, url: str | None, fast: bool) -> str:
    return (
        trafilatura.extract(
            tree,
            url=url,
            fast=fast,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            output_format="txt",
            deduplicate=False,
        )
        or ""
    )


def prune(tree: HtmlElement, removed: list[str] | None = None) -> None:
    protected = _main_container_and_ancestors(tree)
    candidates = list(tree.xpath(BOILERPLATE_XPATH))
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in PAGE_TAGS:
            continue
        if BOILERPLATE_CLASS.search(marker(node)):
            candidates.append(node)
    for node in candidates:
        if node not in protected:
            if removed is not None and node.getparent() is not None:
                removed.append(node.text_content())
            _remove_keeping_tail(node)


def marker(node: HtmlElement) -> str:
    """Class and id words that describe what a box is, without taxonomy and layout names
    ("category-news", "tag-ransomware", "has-sidebar", "l-grid") that describe its context."""
    words = f"{node.get('class', '')} {node.get('id', '')}".split()
    return " ".join(word for word in words if not TAXONOMY_OR_LAYOUT.match(word))


def _paragraph_text(node: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in node.iter("p"))


def _remove_keeping_tail(node: HtmlElement) -> None:
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    previous = node.getprevious()
    parent.remove(node)
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _main_container_and_ancestors(tree: HtmlElement) -> set:
    """The main container and its ancestors: a class name such as "social-share-enabled" or
    "l-sidebar-fixed" on the article body must never cost the article."""
    main = main_container(tree)
    return {main, *main.iterancestors()} if main is not None else set()


def main_container(tree: HtmlElement) -> HtmlElement | None:
    """The element holding the most paragraph text, searched within the page's first <article>
    (or <main>, or articleBody) with paragraphs, when it has one; paragraphs in page chrome
    (footer, header, navigation, forms) do not count. On a page without such paragraphs, the
    element with the most text of its own (text set with line breaks, as in older table
    layouts) or the most paragraph text in chrome (markup so broken that the whole page sits
    inside its header), whichever holds more."""
    scopes = tree.xpath("//article | //main | //*[@itemprop='articleBody']")
    scope = next((scope for scope in scopes if _paragraph_text(scope)), tree)
    weight: dict = {}
    in_chrome: dict = {}  # per ancestor, computed once: pages can have tens of thousands of <p>
    chrome: dict = {}
    for paragraph in scope.iter("p"):
        parent = paragraph.getparent()
        if parent is None:
            continue
        into = chrome if _in_chrome(parent, in_chrome) else weight
        into[parent] = into.get(parent, 0) + len(paragraph.text_content())
    body = tree.find("body")
    if not weight and body is not None:
        weight = chrome
        nodes = [node for node in body.iter() if isinstance(node.tag, str) and node.tag not in PAGE_TAGS]
        outside = [node for node in nodes if not _in_chrome(node, in_chrome)]
        for node in outside if any(map(_own_text, outside)) else nodes:
            own = _own_text(node)
            if own > weight.get(node, 0):
                weight[node] = own
    if not weight:
        return None
    return max(weight, key=weight.get)


def _own_text(node: HtmlElement) -> int:
    """Characters of text directly in the element, not in its children."""
    return len((node.text or "").strip()) + sum(len((child.tail or "").strip()) for child in node)


def _in_chrome(node: HtmlElement, memo: dict) -> bool:
    """Whether the node or an ancestor is page chrome (memoised along the path)."""
    path = []
    answer = False
    while node is not None:
        if node in memo:
            answer = memo[node]
            break
        path.append(node)
        if node.tag in CHROME_TAGS or (node.tag not in PAGE_TAGS and "footer" in marker(node).lower()):
            answer = True
            break
        node = node.getparent()
    for visited in path:
        memo[visited] = answer
    return answer


def unwrap_layout(tree: HtmlElement) -> None:
    """Layout that is not what its tag says becomes plain blocks: tables used for page layout
    (cells holding paragraphs and headings), so their paragraphs are read as paragraphs and
    not as one table row, and a form wrapping the page, which would otherwise be pruned as
    a form with the article inside it."""
    forms = tree.xpath("//form")
    if forms:
        page_chars = len(tree.text_content())
        for form in forms:
            if len(form.text_content()) > PAGE_FORM_SHARE * page_chars:
                form.tag = "div"
    for table in tree.xpath("//table[.//td//p or .//td//h1 or .//td//h2]"):
        for node in table.iter("table", "tbody", "thead", "tr", "td", "th"):
            node.tag = "div"
            for attribute in ("width", "valign", "align"):
                node.attrib.pop(attribute, None)


def normalise_text(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
