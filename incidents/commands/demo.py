"""Serve the bundled sample web on 127.0.0.1, crawl it, extract, build the dataset and print
a summary. Needs no internet. Uses data/demo/ unless --data-dir is given; a demo directory
is recreated on every run (a directory that is not a demo's is never wiped)."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from core.config import SAMPLE_WEB, DataDir
from incidents.cli import UserError, holding_lock

MARKER = ".incidents-demo"
# Loopback needs no politeness; everything else stays as a real crawl runs it. The sample web's
# sources allow its loopback address (allow_private_addresses); nothing else internal is fetched.
FAST_LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "PROGRESS_INTERVAL": "5",
    "LOG_LEVEL": "WARNING",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=None, help="where the demo's data goes (default: data/demo)")
    parser.add_argument("--processes", type=int, default=1, help="spaCy processes for extraction")


def run(args: argparse.Namespace) -> int:
    data_dir = prepare_data_dir(Path(args.data_dir) if args.data_dir else Path("data") / "demo")
    with holding_lock(data_dir, "demo"):
        return run_demo(data_dir, args.processes)


def run_demo(data_dir: DataDir, processes: int) -> int:
    started = time.monotonic()
    from crawler.run import run_crawl
    from incidents.commands.crawl import format_crawl_summary
    from incidents.commands.extract import extract
    from sample_web.render import sources_toml
    from sample_web.server import serve

    with serve(SAMPLE_WEB / "web") as base_url:
        sources_file = data_dir.root / "demo-sources.toml"
        sources_file.write_text(sources_toml(base_url), encoding="utf-8")
        print(f"serving the sample web at {base_url}; crawling it ...", flush=True)
        result = run_crawl(sources_file, data_dir, overrides=FAST_LOCAL)
    print("\nCrawl, per source (fetched pages are stored unless skipped):")
    print(format_crawl_summary(result.per_source))

    print("\nExtracting (parsing and analysing the stored pages) ...", flush=True)
    summary = extract(data_dir, processes=processes)
    print(
        f"{summary.pages} pages extracted: {summary.parsed} with text, "
        f"{summary.incidents} about incidents, {summary.analysis_errors} analysis errors"
    )
    print_articles(data_dir)

    from analysis.build import build_dataset
    from analysis.exports import export_incidents
    from analysis.report import write_report
    from analysis.summary import format_incidents, latest_incidents

    built = build_dataset(data_dir)
    csv_path = data_dir.exports / "incidents.csv"
    export_incidents(csv_path, "csv", None, data_dir)
    report = write_report(data_dir.exports / "report", data_dir)
    incidents = latest_incidents(data_dir, n=None)
    print(
        f"\nIncidents found ({len(incidents)}, from {built.incident_articles} incident articles), newest first:"
    )
    print(format_incidents(incidents))
    print(f"\nDone in {time.monotonic() - started:.0f} s.")
    print(f"  dataset:  {built.dataset}")
    print(f"  CSV:      {csv_path}")
    print(f"  report:   {report}")
    print(
        f"\nNext, the README's examples on this dataset: source .venv/bin/activate; "
        f"export INCIDENTS_DATA_DIR={data_dir.root}\n"
        '  incidents query "SELECT victim, incident_types FROM incidents"   incidents serve   incidents report'
    )
    return 0


def prepare_data_dir(root: Path) -> DataDir:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise UserError(f"{root} exists and is not a demo directory; choose an empty --data-dir")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("created by `incidents demo`; recreated on every run\n")
    return DataDir(root)


def print_articles(data_dir: DataDir) -> None:
    import pandas as pd

    from pipelines.extracted import read_extracted

    articles = read_extracted(data_dir.extracted)
    print(f"\nArticles found ({len(articles)}):")
    for row in articles.sort_values(["source", "published_at"]).itertuples():
        published = row.published_at.strftime("%Y-%m-%d") if pd.notna(row.published_at) else "undated"
        flag = "incident" if row.is_incident else "        "
        title = (row.title or "(no title)")[:90]
        print(f"  {row.source:<13} {published}  {flag}  {title}")
