"""`make bench` knows every benchmark: a module in bench/ that the runner does not list never runs."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import BENCHMARKS, main

BENCH = Path(__file__).resolve().parent.parent / "bench"
# Not benchmarks: the runner, and the line model's training (it writes a model, it measures nothing).
HELPERS = {"__init__", "__main__", "extraction_training"}


def test_every_benchmark_module_is_registered_and_exists():
    modules = {path.stem for path in BENCH.glob("*.py")} - HELPERS
    registered = {bench.name for bench in BENCHMARKS}
    assert modules - registered == set(), "register these in bench/__main__.py"
    assert registered - modules == set(), "registered benchmarks without a module"


def test_list_names_each_benchmark_with_its_usual_time(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [bench.name for bench in BENCHMARKS]
    assert all("~" in line for line in lines)
