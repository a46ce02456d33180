"""The data-dir lock: one holder at a time, named in the refusal, released on exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.config import DataDir
from core.locks import DataDirLocked, data_dir_lock, lock_holder

HOLD = """
import sys, time
from core.config import DataDir
from core.locks import data_dir_lock
with data_dir_lock(DataDir.resolve(sys.argv[1]), "incidents build"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_holder_is_refused_with_the_first_ones_pid_and_command(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirLocked, match=rf"pid {holder.pid} \(incidents build\)"):
            with data_dir_lock(DataDir(tmp_path), "incidents crawl"):
                pass
    finally:
        holder.kill()
        holder.wait()
    # killed (even with SIGKILL) means released: the next command gets the lock at once
    with data_dir_lock(DataDir(tmp_path), "incidents crawl"):
        assert lock_holder(DataDir(tmp_path))["command"] == "incidents crawl"


def test_wait_takes_the_lock_once_the_holder_is_done(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.replace("time.sleep(60)", "time.sleep(1)"), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataDirLocked):
            with data_dir_lock(DataDir(tmp_path), "incidents extract"):
                pass
        with data_dir_lock(DataDir(tmp_path), "incidents extract", wait=True, poll_seconds=0.05):
            assert lock_holder(DataDir(tmp_path))["command"] == "incidents extract"
    finally:
        holder.wait()
