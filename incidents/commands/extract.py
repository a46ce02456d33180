"""Parse and analyse the stored pages not yet processed into the extracted articles.

--all re-processes every stored page (after the parser or the analyser improved), without
re-crawling anything.
"""

from __future__ import annotations

import argparse

from core.config import DataDir
from core.machine import usable_cores
from incidents.cli import UserError, add_data_dir, holding_lock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser, lock=True)
    parser.add_argument("--all", action="store_true", help="re-process every stored page")
    parser.add_argument("--no-analysis", action="store_true", help="parse only (skip spaCy)")
    parser.add_argument(
        "--model",
        help="spaCy pipeline to load (default: $INCIDENTS_SPACY_MODEL or the bundled English model)",
    )
    parser.add_argument("--processes", type=int, default=1, help="spaCy processes")
    parser.add_argument(
        "--jobs", type=int, default=usable_cores(), help="parsing processes (default: all usable cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--batch-size", type=int, default=200, help="pages per written batch")


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.resolve(args.data_dir)
    with holding_lock(data_dir, "extract", wait=args.wait):
        summary = extract(
            data_dir,
            reprocess_all=args.all,
            analysis=not args.no_analysis,
            model=args.model,
            processes=args.processes,
            batch_size=args.batch_size,
            jobs=max(1, args.jobs),
            progress=not args.no_progress,
        )
    print(
        f"extracted {summary.pages} pages: {summary.parsed} with text, "
        f"{summary.parse_errors} without, {summary.analysis_errors} analysis errors, "
        f"{summary.incidents} about incidents"
    )
    return 0


def extract(
    data_dir: DataDir,
    *,
    reprocess_all: bool = False,
    analysis: bool = True,
    model: str | None = None,
    processes: int = 1,
    batch_size: int = 200,
    jobs: int = 1,
    progress: bool = False,
):
    from pipelines.extract import run_extract

    analyze, version = load_analyzer(model, processes) if analysis else (None, "parse-only")
    return run_extract(
        data_dir,
        analyze,
        reprocess_all=reprocess_all,
        batch_size=batch_size,
        extractor_version=version,
        jobs=jobs,
        progress=progress,
    )


def load_analyzer(model: str | None = None, processes: int = 1):
    """(the analyser's analyze function, its version), or a clear error for a bad model."""
    from pipelines.nlp import ANALYZER_VERSION, Analyzer

    try:
        return Analyzer(model=model, n_process=processes).analyze, ANALYZER_VERSION
    except OSError as exc:
        raise UserError(f"cannot load spaCy model: {exc}") from None
