"""Main-text quality on real pages with gold text others published, ours against plain
trafilatura in the same run: per set, mean token precision and recall and their F1 (the
sample-web bench's measure), and the F1 ratio ours / trafilatura.

The sets are read from a local cache ($INCIDENTS_EXTRACTION_BENCH, default
~/.cache/incident-tracker/extraction-bench), never committed (their licences: AGPL for
Dragnet, research-only for L3S-GN1 and CleanEval). Filled from public repositories:
- trafilatura/: adbar/trafilatura tests/ (evaldata.json, eval/, cache/): its own evaluation
  set, scored as trafilatura scores it (with/without snippets, micro F1);
- merged/cleaneval-final, merged/dragnet_data: j-szulc/html-cleaning-dataset-merged (the
  original CleanEval final set and seomoz/dragnet_data, whose HTML tarball is past the
  snapshot size limit in its own repository); Dragnet's gold is the article before its
  comments separator;
- page-signal/L3S-GN1-*: geodrome/page-signal (annotated pages, x-nc-sel classes);
- readability/test/test-pages: mozilla/readability.
The chatnoir-eu/web-content-extraction-benchmark copies are Git LFS objects, which the
snapshots here lack; google-trends-2017 is only on a file host and is not available.

Each set's held-out half (`held_out`: pages whose key hashes odd) is never trained on by
the line model of pipelines.parsing.voting (bench.extraction_training fits on the other half);
its figures are printed beside the whole set's.

Last full run (2026-12-03 18:06 UTC, every page of every set, one process, the shipped line
model: gradient-boosted trees, docs/models.md), F1 ours / trafilatura, whole set / held-out half:
    trafilatura's set  0.9476 / 0.9261 (+0.0215);  held-out 0.9303 / 0.9255 (+0.0049)
    CleanEval          0.9215 / 0.8940 (+0.0275);  held-out 0.9143 / 0.8842 (+0.0301)
    Dragnet (news)     0.9297 / 0.9132 (+0.0165);  held-out 0.9243 / 0.9074 (+0.0169)
    L3S-GN1 (news)     0.9439 / 0.9064 (+0.0376);  held-out 0.9391 / 0.9071 (+0.0320)
    Readability        0.9642 / 0.9463 (+0.0179);  held-out 0.9575 / 0.9441 (+0.0134)
The whole-set figures include the tuning half the trees were fitted on, which they score far
better than new pages: read the held-out halves. The run before (15:27, the logistic
regression) printed held-out gains of +0.0026, +0.0334, +0.0181, +0.0263 and +0.0130 (whole
sets +0.0050, +0.0267, +0.0136, +0.0259, +0.0129). The target (ours above trafilatura by at
least 0.01 F1, never worse on the news sets) is met on CleanEval, Dragnet, L3S-GN1 and
Readability, on both halves; on trafilatura's own evaluation set it is met on the whole set
only, +0.0049 on its held-out half.
Earlier fixes that moved these figures (2026-12-03): on 48 of L3S-GN1's pages the pruning had
removed the whole article (a page-wide ASP.NET <form>, a "footer" word in the <body> class,
pages whose text has no <p>); the gold of L3S-GN1 and Readability had been read as Latin-1.

    python -m bench.extraction_benchmark [--limit N] [--sets cleaneval,dragnet]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import lxml.html
import trafilatura

from pipelines.parsing import parse_html

CACHE = Path(
    os.environ.get("INCIDENTS_EXTRACTION_BENCH", Path.home() / ".cache/incident-tracker/extraction-bench")
)
TOKEN = re.compile(r"\w+", re.UNICODE)
DRAGNET_COMMENTS = "!@#$%^&*()  COMMENTS"
NEWS_SETS = {"dragnet", "l3s-gn1"}
BODY_ONLY_GOLD = {"readability"}


def held_out(key: str) -> bool:
    """Whether a page is in the held-out half of its set (never trained on: the line model of
    pipelines.parsing.voting is fitted on the other half, bench.extraction_training)."""
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % 2 == 1


def _decode(data: bytes) -> str:
    """A gold file's text: UTF-8, else Windows-1252 (CleanEval and Dragnet have both). Gold
    HTML is decoded here, not by lxml, which reads undeclared bytes as Latin-1 (L3S-GN1's
    annotated pages and Readability's expected pages declare no charset: their non-ASCII
    words became mojibake that no extractor's text matched)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _body_text(markup: str) -> str:
    tree = lxml.html.document_fromstring(markup or "<html></html>")
    body = tree.find("body")
    return (body if body is not None else tree).text_content()


def cleaneval() -> Iterator[tuple[str, bytes, str]]:
    base = CACHE / "merged" / "cleaneval-final"
    for gold in sorted((base / "GoldStandard").glob("*.txt")):
        page = base / "input" / f"{gold.stem}.html"
        if page.exists():
            text = re.sub(r"^\s*URL:[^\n]*\n", "", _decode(gold.read_bytes()))
            raw = re.sub(rb"</text>\s*$", b"", re.sub(rb"^\s*<text [^>]*>", b"", page.read_bytes()))
            yield gold.stem, raw, re.sub(r"<[hpl]>", " ", text)


def dragnet() -> Iterator[tuple[str, bytes, str]]:
    base = CACHE / "merged" / "dragnet_data"
    for gold in sorted((base / "GoldStandard").glob("*.txt")):
        page = base / "input" / f"{gold.stem}.html"
        if page.exists():
            yield (
                gold.stem,
                page.read_bytes(),
                _decode(gold.read_bytes()).split(DRAGNET_COMMENTS)[0],
            )


def l3s_gn1() -> Iterator[tuple[str, bytes, str]]:
    for base in sorted((CACHE / "page-signal").glob("L3S-GN1-*")):
        for annotated in sorted((base / "annotated").glob("*.html")):
            page = base / "original" / annotated.name
            if not page.exists():
                continue
            tree = lxml.html.document_fromstring(_decode(annotated.read_bytes()))
            selected = tree.xpath(
                "//*[contains(@class,'x-nc-sel1') or contains(@class,'x-nc-sel2') or contains(@class,'x-nc-sel3')]"
            )
            yield (
                annotated.stem,
                page.read_bytes(),
                "\n".join((e.text or "").strip() for e in selected if len(e) == 0),
            )


def readability() -> Iterator[tuple[str, bytes, str]]:
    base = CACHE / "readability" / "test" / "test-pages"
    for case in sorted(base.iterdir()) if base.exists() else ():
        source, expected = case / "source.html", case / "expected.html"
        if source.exists() and expected.exists():
            yield case.name, source.read_bytes(), _body_text(_decode(expected.read_bytes()))


def trafilatura_eval() -> Iterator[tuple[str, bytes, dict]]:
    base = CACHE / "trafilatura" / "tests"
    if not (base / "evaldata.json").exists():
        return
    for url, item in sorted(json.loads((base / "evaldata.json").read_text("utf-8")).items()):
        for folder in ("cache", "eval"):
            page = base / folder / item["file"]
            if page.exists():
                yield url, page.read_bytes(), item
                break


SETS: dict[str, Callable[[], Iterator]] = {
    "trafilatura": trafilatura_eval,
    "cleaneval": cleaneval,
    "dragnet": dragnet,
    "l3s-gn1": l3s_gn1,
    "readability": readability,
}


def ours(raw: bytes, url: str | None) -> str:
    article = parse_html(raw, url)
    return f"{article.title}\n{article.text}" if article.title else article.text  # gold has the title


def ours_body(raw: bytes, url: str | None) -> str:
    """For Readability's test pages, whose gold is the article body (the title is a separate
    field of their expected metadata)."""
    return parse_html(raw, url).text


def plain_trafilatura(raw: bytes, url: str | None) -> str:
    return trafilatura.extract(raw, url=url, include_comments=False) or ""


EXTRACTORS = {"ours": ours, "trafilatura": plain_trafilatura}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def score(name: str, extract: Callable[[bytes, str | None], str], limit: int | None) -> dict:
    """Scores over the whole set and over its held-out half (`held_out`)."""
    per_page: list[tuple[bool, tuple[float, float, float]]] = []
    errors = 0
    for index, (key, raw, gold) in enumerate(SETS[name]()):
        if limit is not None and index >= limit:
            break
        try:
            text = extract(raw, key if name == "trafilatura" else None)
        except Exception:  # a crash costs the page, as in the published benchmarks
            text, errors = "", errors + 1
        per_page.append((held_out(key), page_counts(name, text, gold)))
    return {
        **aggregate(name, [counts for _, counts in per_page]),
        "errors": errors,
        "held_out": aggregate(name, [counts for out, counts in per_page if out]),
    }


def page_counts(name: str, text: str, gold) -> tuple[float, float, float]:
    """One page's share of the measure: for trafilatura's set (its own measure: snippets found
    or not) the wanted snippets found, the unwanted found and the wanted missed; for the others
    token precision and recall."""
    if name == "trafilatura":
        found = _norm(text)
        hits = sum(_norm(w) in found for w in gold["with"])
        return hits, sum(_norm(w) in found for w in gold["without"]), len(gold["with"]) - hits
    got, want = Counter(TOKEN.findall(text.lower())), Counter(TOKEN.findall(gold.lower()))
    overlap = sum((got & want).values())
    return overlap / max(1, sum(got.values())), overlap / max(1, sum(want.values())), 0.0


def aggregate(name: str, pages: list[tuple[float, float, float]]) -> dict:
    """Micro P/R over snippets for trafilatura's set, mean token P/R per page for the others."""
    if name == "trafilatura":
        tp, fp, fn = (sum(page[i] for page in pages) for i in range(3))
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    else:
        p = sum(page[0] for page in pages) / max(1, len(pages))
        r = sum(page[1] for page in pages) / max(1, len(pages))
    return {"pages": len(pages), "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="pages per set (default: all)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    args = parser.parse_args(argv)
    if not CACHE.exists():
        print(f"no benchmark data in {CACHE}: see this module's docstring for where each set comes from")
        return 0
    print("google-trends-2017: not available (not in any public repository this project can fetch)")
    for name in args.sets.split(","):
        extractors = {**EXTRACTORS, "ours": ours_body} if name in BODY_ONLY_GOLD else EXTRACTORS
        results = {extractor: score(name, fn, args.limit) for extractor, fn in extractors.items()}
        if not results["ours"]["pages"]:
            print(f"{name}: not in the cache")
            continue
        for extractor, r in results.items():
            print(
                f"{name:<12} {extractor:<12} pages {r['pages']:5}  P {r['precision']:.3f}  R {r['recall']:.3f}"
                f"  F1 {r['f1']:.4f}  errors {r['errors']}"
            )
        ratio = results["ours"]["f1"] / max(1e-9, results["trafilatura"]["f1"])
        gap = results["ours"]["f1"] - results["trafilatura"]["f1"]
        news = " (news)" if name in NEWS_SETS else ""
        held = {extractor: r["held_out"] for extractor, r in results.items()}
        print(
            f"{name:<12} F1 ours - trafilatura {gap:+.4f}, ratio {ratio:.3f}{news}; held-out half"
            f" ({held['ours']['pages']} pages, never trained on): {held['ours']['f1']:.4f} vs"
            f" {held['trafilatura']['f1']:.4f}, {held['ours']['f1'] - held['trafilatura']['f1']:+.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
