"""Shared fixtures: local web servers on 127.0.0.1 and a way to run the `incidents` CLI.

Crawls run in a subprocess (Twisted's reactor starts once per process), the way Scrapy's
own tests drive `scrapy crawl` against a mock server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import SAMPLE_WEB
from sample_web.server import serve

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
FAST_CRAWL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


@pytest.fixture(scope="session")
def sample_web() -> Iterator[str]:
    """The bundled sample web, served; yields its base URL."""
    with serve(SAMPLE_WEB / "web") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def fixture_web() -> Iterator[str]:
    """tests/fixtures/web, served; yields its base URL."""
    with serve(FIXTURES / "web") as base_url:
        yield base_url


def run_cli(
    *args: str, timeout: float = 300, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`incidents ARGS...` in a fresh interpreter; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "incidents", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def write_sources(path: Path, entries: list[dict]) -> Path:
    blocks = []
    for entry in entries:
        lines = ["[[sources]]"] + [f'{key} = "{value}"' for key, value in entry.items()]
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path
