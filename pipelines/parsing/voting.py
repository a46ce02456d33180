"""Main text by line voting: several extractors read the page, and a trained line model
keeps each line that they agree is article text.

trafilatura alone misses what another extractor finds and keeps boilerplate that the others
drop. Here the page is read by our own extraction (trafilatura over the pruned tree,
pipelines.parsing.text), plain trafilatura (the page as served; also favouring recall and
favouring precision), readability and jusText (both as trafilatura ships them, jusText with
the stop list of the page's language) and resiliparse. The candidate lines are
trafilatura's, then the lines only ours has, then those only resiliparse has (it reads the
whole page in order, so it has the most); each is scored by gradient-boosted trees over how
much of it each extractor also has (word pairs), how much of it sits in each place of the
markup (links, headings, lists, page chrome, comment, related, sharing or metadata boxes, the
<article>: pipelines.parsing.places), its shape (length, final punctuation, capitals, digits,
separators), its place in the text (first, last, before the first or after the last
sentence-like line) and how much the extractors agree on the whole page. Lines of trafilatura are kept above one threshold, lines it lacks
above another. The trees and thresholds are data (models/lines.json, written by
`python -m bench.extraction_training`; model card in docs/models.md).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import py3langid
import trafilatura
from lxml.html import HtmlElement
from trafilatura.external import try_justext, try_readability

from pipelines.parsing.places import PLACE_PREFIX, PLACES
from pipelines.trees import Tree, trees_margin

LOGGER = logging.getLogger(__name__)
MODEL_FILE = Path(__file__).resolve().parent / "models" / "lines.json"
VOTERS = ("ours", "trafilatura", "resiliparse", "readability", "justext", "recall", "precision")
# Where candidate lines come from, in order: a line already (half) covered is not a candidate again.
SOURCES = ("trafilatura", "ours", "resiliparse")
WORD = re.compile(r"\w+")
SENTENCE_END = ".!?\"'”»)"
LONG_LINE_WORDS = 12
LANGUAGE_SAMPLE_CHARS = 3000


@dataclass(frozen=True)
class LineModel:
    """Gradient-boosted trees over a line's features (stored as plain nodes, pipelines.trees)
    and the two thresholds on their probability."""

    features: list[str]
    trees: list[Tree]
    bias: float
    rate: float
    keep_threshold: float  # for trafilatura's own lines
    add_threshold: float  # for lines trafilatura lacks

    def probability(self, features: dict[str, float]) -> float:
        margin = trees_margin(self.features, self.trees, self.bias, self.rate, features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, margin))))

    def to_dict(self) -> dict:
        return {
            "features": self.features,
            "trees": self.trees,
            "bias": self.bias,
            "rate": self.rate,
            "keep_threshold": self.keep_threshold,
            "add_threshold": self.add_threshold,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LineModel:
        return cls(
            list(data["features"]),
            data["trees"],
            float(data["bias"]),
            float(data["rate"]),
            float(data["keep_threshold"]),
            float(data["add_threshold"]),
        )


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> LineModel | None:
    file = Path(path) if path else MODEL_FILE
    if not file.exists():
        LOGGER.warning("no line model at %s: the main text is our extraction alone", file)
        return None
    return LineModel.from_dict(json.loads(file.read_text(encoding="utf-8")))


def voter_texts(
    tree: HtmlElement, markup: str, url: str | None, page: HtmlElement | None = None
) -> dict[str, str]:
    """What each of the other extractors takes for the main text of the page (`tree` is left
    as it is). Plain trafilatura reads `page`, the tree of the page as served, when given:
    so it finds the article our stripping removes with <noscript> (Blogger serves its posts
    there) or changes (measured on trafilatura's own evaluation set)."""
    served = page if page is not None else tree  # trafilatura reads a copy of the tree it is given
    readers: dict[str, Callable[[], str]] = {
        "trafilatura": lambda: trafilatura.extract(served, url=url, include_comments=False) or "",
        "recall": lambda: (
            trafilatura.extract(served, url=url, include_comments=False, favor_recall=True) or ""
        ),
        "precision": lambda: (
            trafilatura.extract(served, url=url, include_comments=False, favor_precision=True) or ""
        ),
        "readability": lambda: _block_text(try_readability(deepcopy(tree))),
        "justext": lambda: _block_text(try_justext(deepcopy(tree), url, page_language(tree))),
        "resiliparse": lambda: _resiliparse(markup),
    }
    texts = {}
    for name, read in readers.items():
        try:
            texts[name] = read()
        except Exception as exc:  # one extractor failing on a page costs its vote, not the page
            LOGGER.warning("%s failed on %s: %s: %s", name, url or "a page", type(exc).__name__, exc)
            texts[name] = ""
    return texts


def page_language(tree: HtmlElement) -> str | None:
    """The page's language code for jusText's stop list: the <html lang> it declares, else
    the one its text reads as (jusText with English stop words keeps next to nothing of a
    German page)."""
    declared = (tree.get("lang") or "").strip()[:2].lower()
    if declared.isalpha() and len(declared) == 2:
        return declared
    language, _ = py3langid.classify(tree.text_content()[:LANGUAGE_SAMPLE_CHARS])
    return language


def _resiliparse(markup: str) -> str:
    # Imported here: an environment that predates the dependency (`make install` adds it)
    # loses this reading, with one log line, not every parse.
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        _warn_once("resiliparse is not installed (make install): the vote runs without its reading")
        return ""
    return extract_plain_text(
        HTMLTree.parse(markup),
        preserve_formatting=True,
        main_content=True,
        list_bullets=False,
        comments=False,
        links=False,
        alt_texts=False,
    )


@cache
def _warn_once(message: str) -> None:
    LOGGER.warning(message)


def _block_text(node: HtmlElement | None) -> str:
    return "\n".join(piece.strip() for piece in node.itertext() if piece.strip()) if node is not None else ""


def vote(texts: dict[str, str], model: LineModel, scored: list[tuple[str, bool, float]] | None = None) -> str:
    """The lines the model keeps, in the page's order. `scored` (each candidate line, whether
    trafilatura has it, its probability) saves scoring the lines again when only the
    thresholds change (bench.extraction_training's search)."""
    if scored is None:
        scored = [
            (line, bool(features.get("src_trafilatura")), model.probability(features))
            for line, features in candidates(texts)
        ]
    kept = [
        (line, base)
        for line, base, probability in scored
        if probability >= (model.keep_threshold if base else model.add_threshold)
    ]
    return "\n".join(_in_page_order(kept, texts.get("resiliparse", "")))


def _tokens(line: str) -> list[str]:
    return WORD.findall(line.lower())


def _pairs(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 2:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + 2]) for i in range(len(tokens) - 1)}


def _text_pairs(text: str) -> set[tuple[str, ...]]:
    pairs: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        pairs |= _pairs(_tokens(line))
    return pairs


def candidates(texts: dict[str, str]) -> list[tuple[str, dict[str, float]]]:
    """Each candidate line with its features (the names the model's weights use)."""
    pairs = {voter: _text_pairs(texts.get(voter, "")) for voter in VOTERS}
    places = {place: _text_pairs(texts.get(PLACE_PREFIX + place, "")) for place in PLACES}
    base = pairs["trafilatura"]
    page: dict[str, float] = {}
    for voter in VOTERS:
        if voter != "trafilatura":
            shared = len(base & pairs[voter])
            page[f"doc_cover_{voter}"] = shared / max(1, len(pairs[voter]))
            page[f"doc_in_{voter}"] = shared / max(1, len(base))
    lines: list[tuple[str, dict[str, float]]] = []
    covered: set[tuple[str, ...]] = set()
    # How often each line was taken: a paragraph the page repeats and trafilatura keeps once
    # (it drops repeated text) is a candidate again from the next source, marked a repeat.
    taken: Counter[str] = Counter()
    for order, source in enumerate(SOURCES):
        source_lines = [line.strip() for line in texts.get(source, "").splitlines() if line.strip()]
        count = len(source_lines)
        seen: Counter[str] = Counter()
        for index, line in enumerate(source_lines):
            tokens = _tokens(line)
            if not tokens:
                continue
            grams = _pairs(tokens)
            seen[line] += 1
            repeat = seen[line] > taken[line] > 0
            if order > 0 and not repeat and len(grams & covered) / len(grams) >= 0.5:
                continue
            taken[line] = seen[line]
            covered |= grams
            features = dict(page)
            for voter in VOTERS:
                features[f"sup_{voter}"] = len(grams & pairs[voter]) / len(grams)
            for place, held in places.items():
                features[f"in_{place}"] = len(grams & held) / len(grams)
            features[f"src_{source}"] = 1.0
            features["repeat"] = float(repeat)
            features.update(_shape(line, tokens, index, count))
            lines.append((line, features))
    _add_context(lines)
    return lines


def _shape(line: str, tokens: list[str], index: int, count: int) -> dict[str, float]:
    words = line.split()
    return {
        "logwords": math.log1p(len(tokens)),
        "short3": float(len(tokens) <= 3),
        "short8": float(len(tokens) <= 8),
        "endpunct": float(line[-1] in SENTENCE_END),
        "colon_end": float(line.endswith(":")),
        "has_colon": float(":" in line[:40]),
        "pipe": float("|" in line),
        "digits": sum(c.isdigit() for c in line) / len(line),
        "caps": sum(1 for word in words if word[:1].isupper()) / max(1, len(words)),
        "pos": index / max(1, count - 1),
        "first": float(index == 0),
        "last": float(index == count - 1),
        "last3": float(index >= count - 3),
        "first3": float(index < 3),
        "commas": min(3, line.count(",")) / 3,
        "bullet": float(line[:1] in "-•*·"),
    }


def _add_context(lines: list[tuple[str, dict[str, float]]]) -> None:
    """Where each line sits against trafilatura's sentence-like lines, and its neighbours."""
    long_lines = [
        i
        for i, (line, f) in enumerate(lines)
        if f.get("src_trafilatura") and len(_tokens(line)) >= LONG_LINE_WORDS and f["endpunct"]
    ]
    first_long = long_lines[0] if long_lines else len(lines)
    last_long = long_lines[-1] if long_lines else -1
    for i, (_, f) in enumerate(lines):
        from_base = f.get("src_trafilatura", 0.0)
        f["before_first_long"] = float(bool(from_base) and i < first_long)
        f["after_last_long"] = float(bool(from_base) and i > last_long)
        neighbours = (
            ("prev", lines[i - 1][1] if i > 0 else None),
            ("next", lines[i + 1][1] if i + 1 < len(lines) else None),
        )
        for name, other in neighbours:
            if other is not None and other.get("src_trafilatura") != f.get("src_trafilatura"):
                other = None
            f[f"{name}_short8"] = other["short8"] if other else 1.0
            f[f"{name}_sup_min"] = min(v for k, v in other.items() if k.startswith("sup_")) if other else 0.0
            f[f"{name}_endpunct"] = other["endpunct"] if other else 0.0
        support = [f[f"sup_{voter}"] for voter in VOTERS]
        f["sup_min"] = min(support)
        f["sup_mean"] = sum(support) / len(support)


def _in_page_order(lines: list[tuple[str, bool]], page_text: str) -> list[str]:
    """trafilatura's lines in their order, each other line after the last of them that
    starts before it in a reading of the whole page (resiliparse's): first if none does, last
    if the line is not found there."""
    tokens = _tokens(page_text)
    first_at: dict[tuple[str, ...], int] = {}
    for i in range(len(tokens) - 2):
        first_at.setdefault(tuple(tokens[i : i + 3]), i)
    base = [(first_at.get(tuple(_tokens(line)[:3])), line) for line, is_base in lines if is_base]
    ordered: list[list[str]] = [[line] for _, line in base]
    head: list[str] = []
    tail: list[str] = []
    for line, is_base in lines:
        if is_base:
            continue
        at = first_at.get(tuple(_tokens(line)[:3]))
        before = [
            i for i, (start, _) in enumerate(base) if at is not None and start is not None and start < at
        ]
        (ordered[before[-1]] if before else head if at is not None else tail).append(line)
    return head + [line for group in ordered for line in group] + tail
