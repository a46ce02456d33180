"""Pool sizes follow the cores the process may use (its CPU affinity), not the machine's count."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.machine import usable_cores

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")

PINNED_TO_ONE_CORE = """
import os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from core.machine import usable_cores
from incidents.cli import build_parser
print(usable_cores(), build_parser("extract").parse_args(["extract"]).jobs)
"""


def test_usable_cores_are_the_affinity_set() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_a_process_pinned_to_one_core_parses_on_one_job_by_default() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PINNED_TO_ONE_CORE], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["1", "1"]
