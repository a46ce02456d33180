"""Backfill throughput on Dask (articles/s with 1 and 2 workers, in one run), per-stage speed
on one core, and the prefilter's recall.

    python -m bench.backfill [--realdev ../shared/realdev] [--articles 200] [--filler 100] [--recall-only]

The corpus is a WARC in CC-NEWS layout written here: the sample web's pages, real articles
from ../shared/realdev rendered as plain HTML pages (read at bench time, never stored), and
filler pages that are not about security (what the prefilter should drop). Recall: the share
of incident articles the prefilter keeps, on the sample gold and on realdev's clean and
CASIE labels (target >= 0.98).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.config import SAMPLE_WEB, DataDir
from pipelines.backfill import Prefilter, prefilter_recall, read_warc, run_backfill

REPO = Path(__file__).resolve().parent.parent
# ../shared/realdev beside the clone (or beside the folder of worktrees).
REALDEV = next(
    (
        p
        for p in (REPO.parent / "shared" / "realdev", REPO.parent.parent / "shared" / "realdev")
        if p.is_dir()
    ),
    REPO.parent / "shared" / "realdev",
)
FILLER_TOPICS = ["football", "weather", "recipes", "gardening", "theatre", "elections", "housing", "tennis"]


def realdev_documents(realdev: Path) -> dict[str, list[dict]]:
    """{"clean": [...], "casie": [...]}: realdev articles with is_incident from each label set."""
    articles = {r["id"]: r for r in map(json.loads, (realdev / "input.jsonl").read_text().splitlines())}
    clean = [json.loads(line) for line in (realdev / "clean-dev.jsonl").read_text().splitlines()]
    casie = [json.loads(line) for line in (realdev / "casie-dev.jsonl").read_text().splitlines()]
    return {
        "clean": [
            dict(articles[r["id"]], is_incident=bool(r["is_incident"])) for r in clean if r["id"] in articles
        ],
        "casie": [
            dict(articles[r["id"]], is_incident=bool(r["is_attack"])) for r in casie if r["id"] in articles
        ],
    }


def filler_text(index: int) -> tuple[str, str]:
    topic = FILLER_TOPICS[index % len(FILLER_TOPICS)]
    sentence = f"The {topic} season continued this week as local people gathered to talk about it. "
    return (
        f"{topic.title()} roundup number {index}",
        sentence * 12 + f"Reporter {index} will follow up next week.",
    )


def write_cc_news_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    """A WARC as CC-NEWS publishes them: a warcinfo record, then per page its request and its
    response (HTTP headers and body), each record gzipped on its own."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        info = {"software": "StormCrawler 2.x (CC-NEWS)", "format": "WARC File Format 1.1",
                "isPartOf": "CC-NEWS", "operator": "Common Crawl"}  # fmt: skip
        writer.write_record(writer.create_warcinfo_record(path.name, info))
        for url, body, content_type in pages:
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(f"GET {url} HTTP/1.1\r\n\r\n".encode()), length=None
            )
            writer.write_record(request)
            status = "404 Not Found" if body == b"" else "200 OK"
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers
                )
            )
    return path


def article_html(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    page = f"<html><head><title>{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
    return page.encode("utf-8")


def write_corpus(path: Path, realdev: list[dict], filler: int) -> int:
    pages = []
    for file in sorted((SAMPLE_WEB / "web").rglob("*.html")):
        relative = file.relative_to(SAMPLE_WEB / "web").as_posix()
        body = file.read_bytes().replace(b"__BASE_URL__", b"https://sample.example")
        pages.append((f"https://sample.example/{relative}", body, "text/html; charset=utf-8"))
    for document in realdev:
        pages.append((f"https://realdev.example/{document['id']}.html", article_html(document["title"], document["text"]),
                      "text/html; charset=utf-8"))  # fmt: skip
    for index in range(filler):
        pages.append((f"https://filler.example/{index}.html", article_html(*filler_text(index)), "text/html"))
    write_cc_news_warc(path, pages)
    return len(pages)


def stage_speeds(warc: Path, prefilter: Prefilter) -> dict[str, float]:
    """Pages/s of each stage on one core, in this process: read, prefilter, parse, analyse."""
    from pipelines.backfill import process_slice
    from pipelines.extract import analyse_rows
    from pipelines.nlp import ANALYZER_VERSION, Analyzer

    started = time.perf_counter()
    pages = list(read_warc(warc))
    read = len(pages) / (time.perf_counter() - started)
    started = time.perf_counter()
    kept = [p for p in pages if prefilter.keeps(p.body)]
    filtered = len(pages) / (time.perf_counter() - started)
    result = process_slice(str(warc), 0, 1, prefilter.terms, None, analysis=False)
    parse = len(result.pages) / result.seconds
    rows = [row for _, row in result.pages]
    with Analyzer() as analyzer:
        started = time.perf_counter()
        analyse_rows(rows, analyzer.analyze, ANALYZER_VERSION)
        analyse = len(rows) / (time.perf_counter() - started)
    return {"read": read, "prefilter": filtered, "parse (read+prefilter+parse)": parse, "analyse": analyse,
            "kept": len(kept), "pages": len(pages)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--realdev", type=Path, default=REALDEV)
    parser.add_argument("--articles", type=int, default=200, help="realdev articles in the corpus")
    parser.add_argument("--filler", type=int, default=100, help="pages not about security")
    parser.add_argument("--recall-only", action="store_true")
    args = parser.parse_args(argv)

    prefilter = Prefilter.from_file()
    gold = [json.loads(line) for line in (SAMPLE_WEB / "gold.jsonl").read_text().splitlines()]
    sets = {"sample gold": gold}
    realdev = realdev_documents(args.realdev) if args.realdev.is_dir() else {}
    sets.update({f"realdev {name}": docs for name, docs in realdev.items()})
    print(f"{'prefilter recall':<24} {'kept':>5} {'of':>5} {'recall':>7}  (target 0.98)")
    for name, documents in sets.items():
        kept, total = prefilter_recall(prefilter, documents)
        print(f"{name:<24} {kept:>5} {total:>5} {kept / total:>7.3f}  {kept / total / 0.98:.2f}x target")
    fillers = [filler_text(i) for i in range(args.filler)]
    print(f"filler pages not about security dropped: {sum(not prefilter.keeps(t + ' ' + x) for t, x in fillers)} "
          f"of {len(fillers)}")  # fmt: skip
    if args.recall_only:
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "CC-NEWS-bench-00000.warc.gz"
        n = write_corpus(warc, realdev.get("casie", [])[: args.articles], args.filler)
        print(f"\ncorpus: {n} pages in a CC-NEWS-layout WARC ({warc.stat().st_size // 1024} KiB)")
        speeds = stage_speeds(warc, prefilter)
        print(f"per stage on one core: read {speeds['read']:.0f} pages/s, prefilter {speeds['prefilter']:.0f} pages/s "
              f"({speeds['kept']} of {speeds['pages']} kept), read+prefilter+parse {speeds['parse (read+prefilter+parse)']:.1f} "
              f"pages/s, analyse (spaCy) {speeds['analyse']:.1f} articles/s")  # fmt: skip
        rates = {}
        for workers in (1, 2):
            summary = run_backfill(
                [warc], DataDir(Path(tmp) / f"d{workers}"), workers=workers, slices_per_file=4
            )
            rates[workers] = summary.articles_per_second
            print(f"backfill on {workers} worker(s): {summary.articles} articles in {summary.seconds:.1f} s = "
                  f"{summary.articles_per_second:.2f} articles/s (cluster start and spaCy load included)")  # fmt: skip
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (this machine has 2 cores, shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
