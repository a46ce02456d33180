"""Parse HTML files (.html or .html.gz) into one JSON line each:
path, url, title, text, published, authors, language."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

from pipelines.parsing import ParseError, parse_html


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="HTML files, optionally gzipped")
    parser.add_argument("--url", help="the URL the file was fetched from (one file only)")


def run(args: argparse.Namespace) -> int:
    failures = 0
    for name in args.files:
        record = parse_file(Path(name), args.url if len(args.files) == 1 else None)
        failures += bool(record.get("error"))
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 1 if failures else 0


def parse_file(path: Path, url: str | None = None) -> dict:
    record = {
        "path": str(path),
        "url": url,
        "title": None,
        "text": "",
        "published": None,
        "authors": [],
        "language": None,
    }
    try:
        body = path.read_bytes()
        if path.suffix == ".gz" or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        article = parse_html(body, url)
    except (OSError, EOFError, ParseError) as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
        return record
    record.update(
        url=article.canonical_url or url,
        title=article.title,
        text=article.text,
        published=article.published.isoformat() if article.published else None,
        authors=article.authors,
        language=article.language,
    )
    return record
