"""The README's examples work as written: after the demo, every block marked `<!-- tested -->`
runs, in order, in a fresh directory (the demo's data in data/demo, as after `make demo`), and
each one shows data: it succeeds, prints something, reports no empty result, and every file it
writes with --out has content. `incidents serve` is started on a free port and asked for a page.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
BLOCK = re.compile(r"<!-- tested -->\n```(sh|python)\n(.*?)```", re.S)
EMPTY = re.compile(r"\(0 rows\)|\b0 (incidents|rows)\b|no dataset|Traceback")


def readme_blocks() -> list[tuple[str, str]]:
    """(language, code) of every tested block, in README order."""
    return BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workdir(demo_run) -> Path:
    """A fresh directory as after `make demo`: .venv (this interpreter's) and data/demo."""
    root, _ = demo_run
    return root


def environment(done: list[str]) -> str:
    """The lines of earlier blocks that set up the shell (source, export), to run before the next."""
    return "\n".join(
        line for code in done for line in code.splitlines() if line.startswith(("source ", "export "))
    )


def shell(workdir: Path, script: str, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("INCIDENTS_DATA_DIR", "VIRTUAL_ENV")}
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, **extra},
    )


def check_serve(workdir: Path, setup: str, code: str) -> None:
    """Run the block's `incidents serve` on a free port; the page it names must list incidents."""
    command = next(line for line in code.splitlines() if line.startswith("incidents serve")).split("#")[0]
    process = subprocess.Popen(
        ["bash", "-e", "-c", f"{setup}\nexec {command.strip()} --port 0"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        url = None
        for line in process.stdout:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, process.stderr.read()
        with urllib.request.urlopen(url + ".json?_shape=array", timeout=60) as response:
            assert b"royal-mail-2023-01" in response.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_readme_marks_the_examples():
    languages = [lang for lang, _ in readme_blocks()]
    assert len(languages) >= 7 and "python" in languages
    assert "incidents serve" in README.read_text(encoding="utf-8")


@pytest.mark.xdist_group("demo")
def test_readme_examples_run_in_order_and_show_data(workdir):
    done: list[str] = []
    for language, code in readme_blocks():
        setup = environment(done)
        if "incidents serve" in code:
            check_serve(workdir, setup, code)
            done.append(code)
            continue
        if language == "python":
            result = shell(workdir, f'{setup}\npython -c "$README_PYTHON"', README_PYTHON=code)
        else:
            result = shell(workdir, f"{setup}\n{code}")
        shown = result.stdout + result.stderr
        assert result.returncode == 0, f"{code}\n---\n{shown[-3000:]}"
        assert shown.strip(), f"{code}\n--- printed nothing"
        assert not EMPTY.search(shown), f"{code}\n---\n{shown[-3000:]}"
        for out in re.findall(r"--out (\S+)", code):
            path = workdir / out
            assert path.exists(), f"{code}\n--- wrote no {out}"
            assert path.stat().st_size > 0 if path.is_file() else any(path.iterdir()), out
        done.append(code)


@pytest.mark.xdist_group("demo")
def test_everything_generated_is_ignored_by_git(workdir):
    """What the demo wrote under its data directory, were it data/, and what the examples wrote."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    demo = workdir / "data" / "demo"
    generated = [f"data/{p.relative_to(demo)}" for p in demo.rglob("*") if p.is_file()]
    generated += [
        p.name + ("/" if p.is_dir() else "") for p in workdir.iterdir() if p.name not in ("data", ".venv")
    ]
    assert len(generated) > 20
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *generated],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    not_ignored = [line.split("\t", 1)[1] for line in checked.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == []
