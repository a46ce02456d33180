"""Shared fixtures: local web servers on 127.0.0.1 and a way to run the `incidents` CLI.

Crawls run in a subprocess (Twisted's reactor starts once per process), the way Scrapy's
own tests drive `scrapy crawl` against a mock server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import SAMPLE_WEB
from sample_web.server import serve

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
# The keys every analysis record carries (DESIGN.md's record, plus services, sector, mentions, error).
RECORD_KEYS = {
    "id",
    "is_incident",
    "incident_types",
    "victims",
    "attackers",
    "agencies",
    "services_affected",
    "services",
    "organisations",
    "countries",
    "sector",
    "statements",
    "mentions",
    "error",
}
# No politeness delays against local servers.
QUICK_CRAWL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]
# The local servers are on loopback, which crawls refuse unless allowed explicitly.
FAST_CRAWL = [*QUICK_CRAWL, "-s", "ALLOW_PRIVATE_ADDRESSES=True"]


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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`incidents demo` run once, in a fresh directory as after `make demo` (.venv, then
    data/demo); (that directory, the finished demo). Tests that read it share one run: mark
    them `@pytest.mark.xdist_group("demo")` so they run on one worker."""
    root = tmp_path_factory.mktemp("demo-run")
    (root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    result = subprocess.run(
        [str(root / ".venv" / "bin" / "incidents"), "demo"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result


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


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_sources(path: Path, entries: list[dict[str, Any]]) -> Path:
    """A sources file; values may be strings, booleans, numbers, lists and tables."""
    blocks = ["[[sources]]\n" + "\n".join(f"{k} = {toml_value(v)}" for k, v in e.items()) for e in entries]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path
