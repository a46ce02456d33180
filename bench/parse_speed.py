"""Parse time on pathological pages and on the sample web: every page should parse in
under 2 s on one core. Prints each page's time, whether its article came out, and the worst.

The pages are generated here, each holding one article among what makes parsers slow:
hundreds of thousands of nodes (the 8.8 MB page of 400,000 spans), 100,000-deep nesting,
megabytes of inline script, unclosed tags, giant tables and attributes, random tag soup. The
fuzz test (tests/test_parse_bounds.py) feeds the same pages. The article text is our own.

    python -m bench.parse_speed
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator

ARTICLE_TITLE = "Harbour authority recovers from ransomware attack"
ARTICLE_PARAGRAPHS = [
    "The Northport Harbour Authority said on Tuesday that its cargo booking systems were back "
    "online after a ransomware attack that forced staff to process shipments by hand for a week.",
    "The authority's chief executive said investigators had found no sign that customer payment "
    "data was copied, and that backups kept offline had allowed the systems to be rebuilt.",
    "Shipping agents had reported queues of lorries at the gates while the booking portal was down, "
    "and some perishable cargo was diverted to a neighbouring port during the outage.",
    "The authority has reported the incident to the national cyber security agency and said it "
    "would publish a fuller account once the forensic review is complete.",
]
ARTICLE_TEXT = "\n".join(ARTICLE_PARAGRAPHS)


def _article_html() -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)
    return (
        f"<article><h1>{ARTICLE_TITLE}</h1>"
        '<div class="meta">Published 14 February 2023</div>'
        f"{paragraphs}</article>"
    )


def _page(head: str = "", before: str = "", after: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{ARTICLE_TITLE}</title>{head}</head>"
        f"<body>{before}{_article_html()}{after}</body></html>"
    ).encode()


def many_spans(n: int = 400_000) -> bytes:
    """About 8.8 MB of small spans after the article (the page from issue 12)."""
    return _page(after="<div>" + "".join(f"<span>item {i % 997}</span>" for i in range(n)) + "</div>")


def deep_nesting(depth: int = 100_000) -> bytes:
    return _page(before="<div>" * depth + "x" + "</div>" * depth)


def deep_unclosed(depth: int = 100_000) -> bytes:
    return _page(after="<span><b><i>" * (depth // 3))


def inline_script(megabytes: int = 6) -> bytes:
    blob = "var d=" + "[" + ",".join(str(i) for i in range(megabytes * 140_000)) + "];"
    return _page(head=f"<script>{blob}</script>", after=f"<script>{blob}</script>")


def unclosed_scripts(n: int = 50_000) -> bytes:
    return _page(after="<script>var a=1;" * n)


def giant_table(rows: int = 30_000, cols: int = 10) -> bytes:
    cells = "".join("<tr>" + "".join(f"<td>{r}-{c}</td>" for c in range(cols)) + "</tr>" for r in range(rows))
    return _page(after=f"<table>{cells}</table>")


def huge_attributes(n: int = 20_000) -> bytes:
    value = "x" * 200
    return _page(after="".join(f'<div data-a="{value}" class="c{i}" id="i{i}"></div>' for i in range(n)))


def text_wall(megabytes: int = 5) -> bytes:
    """One unbroken run of text without a tag, megabytes long."""
    return _page(after="<div>" + ("lorem ipsum " * (megabytes * 90_000)) + "</div>")


def comment_flood(n: int = 200_000) -> bytes:
    return _page(after="<!-- c -->" * n + "<!-- unterminated")


def random_tag_soup(seed: int = 12, n: int = 150_000) -> bytes:
    """Random open and close tags of random kinds, unbalanced."""
    rng = random.Random(seed)
    tags = ["div", "span", "p", "a", "li", "ul", "table", "td", "tr", "b", "font", "section"]
    parts = []
    for _ in range(n):
        tag = rng.choice(tags)
        parts.append(f"<{tag}>" if rng.random() < 0.6 else f"</{tag}>")
        if rng.random() < 0.2:
            parts.append("w")
    return _page(after="".join(parts))


PATHOLOGICAL: dict[str, Callable[[], bytes]] = {
    "many_spans": many_spans,
    "deep_nesting": deep_nesting,
    "deep_unclosed": deep_unclosed,
    "inline_script": inline_script,
    "unclosed_scripts": unclosed_scripts,
    "giant_table": giant_table,
    "huge_attributes": huge_attributes,
    "text_wall": text_wall,
    "comment_flood": comment_flood,
    "random_tag_soup": random_tag_soup,
}


def pages() -> Iterator[tuple[str, bytes]]:
    for name, make in PATHOLOGICAL.items():
        yield name, make()


def main() -> int:
    from bench.parse_quality import BASE_URL, load_gold, page_bytes
    from pipelines.parsing import detect_language, parse_html

    detect_language("the language model loads once per process, not per page")
    rows = []
    for name, body in pages():
        start = time.perf_counter()
        article = parse_html(body, "http://127.0.0.1/news/harbour.html")
        seconds = time.perf_counter() - start
        ok = all(paragraph in article.text for paragraph in ARTICLE_PARAGRAPHS)
        rows.append((seconds, name))
        print(f"{name:<18} {len(body) / 1e6:6.1f} MB  {seconds:6.2f} s  article {'yes' if ok else 'NO'}")
    sample = []
    for record in load_gold():
        start = time.perf_counter()
        parse_html(page_bytes(record), f"{BASE_URL}{record['path']}")
        sample.append((time.perf_counter() - start, record["path"]))
    worst, worst_name = max(rows)
    worst_sample, worst_path = max(sample)
    print(f"worst pathological page: {worst_name} {worst:.2f} s (target < 2 s)")
    print(
        f"sample web: {len(sample)} pages, mean {sum(s for s, _ in sample) / len(sample):.3f} s, "
        f"worst {worst_sample:.2f} s ({worst_path})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
