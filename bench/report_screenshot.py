"""Render `incidents report` in headless Chromium and save a PNG, to check it looks right.

    python -m bench.report_screenshot [--data-dir D] [--report DIR] [--png FILE]

Builds the report from D's dataset (default: a dataset made from the sample web's gold,
with a hostile headline added), then screenshots it at 1280×2400. Needs /usr/bin/chromium
(`apt-get install -y chromium`). Prints the PNG's path and size; exits non-zero when
Chromium fails or the picture is blank.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analysis.build import build_dataset
from analysis.report import write_report
from core.config import SAMPLE_WEB, DataDir
from pipelines.extracted import write_batch

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> $x^2$ & <b>bold</b>'


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: apt-get install -y chromium")


def headless(target: str, *options: str, timeout: float = 120) -> str:
    """Run headless Chromium on a URL with a throwaway profile; returns what it prints (stdout).

    `--virtual-time-budget` lets the page's scripts run before a screenshot or a DOM dump."""
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            f"--user-data-dir={profile}",
            *options,
            target,
        ]
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
    return done.stdout


def screenshot(page: Path, png: Path, size: str = "1280,2400") -> Path:
    """Headless Chromium screenshot of a local HTML file (no network, throwaway profile)."""
    headless(page.resolve().as_uri(), f"--screenshot={png}", f"--window-size={size}")
    return png


def dump_dom(url: str) -> str:
    """The page's DOM after its scripts ran, as HTML (what a reader's browser shows)."""
    return headless(url, "--dump-dom")


def sample_data_dir(root: Path) -> DataDir:
    """A data dir whose dataset is built from the gold rows, plus one hostile headline."""
    from bench.clustering_quality import gold_rows

    data_dir = DataDir.resolve(root)
    rows = gold_rows(SAMPLE_WEB / "content")
    hostile = dict(
        rows[0],
        article_id="hostile",
        url="https://hostile.example/x",
        title=HOSTILE_TITLE,
        text="A hostile page " + HOSTILE_TITLE,
        victims=["<img src=x onerror=alert(1)>"],
        sector="$finance$ <i>sector</i>",
    )
    write_batch(data_dir.extracted, rows + [hostile])
    build_dataset(data_dir)
    return data_dir


def blank(png: Path) -> bool:
    """True when the picture is one flat colour (a failed render)."""
    from matplotlib import image

    pixels = image.imread(png)
    return float(pixels.std()) < 1e-3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="use this data dir's dataset")
    parser.add_argument("--report", type=Path, default=Path(tempfile.gettempdir()) / "incidents-report")
    parser.add_argument("--png", type=Path, default=Path(tempfile.gettempdir()) / "incidents-report.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = DataDir.resolve(args.data_dir) if args.data_dir else sample_data_dir(Path(tmp))
        page = write_report(args.report, data_dir)
    png = screenshot(page, args.png)
    print(
        f"report {page} ({page.stat().st_size // 1024} KiB) → screenshot {png} ({png.stat().st_size // 1024} KiB)"
    )
    if blank(png):
        print("the screenshot is blank", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
