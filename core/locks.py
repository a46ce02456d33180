"""One lock per data directory: crawl, extract, build and watch never run on one dir at once.

An advisory `fcntl.flock` on D/.lock; the holder writes its pid and command into the file so a
second command can say who holds it. The kernel releases the lock when the holder exits, even
on kill -9, so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.config import DataDir

LOCK_FILE = ".lock"


class DataDirLocked(RuntimeError):
    """Another process holds the data directory's lock; the message names it."""


def lock_path(data_dir: DataDir) -> Path:
    return data_dir.root / LOCK_FILE


def lock_holder(data_dir: DataDir) -> dict:
    """What the holder wrote: {"pid": ..., "command": ..., "since": ...}, or {} when unknown."""
    try:
        return json.loads(lock_path(data_dir).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def data_dir_lock(
    data_dir: DataDir, command: str, *, wait: bool = False, poll_seconds: float = 0.5
) -> Iterator[None]:
    """Hold D's lock for the block. Raises DataDirLocked at once when another process holds it,
    or waits for it (`wait=True`)."""
    data_dir.root.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(data_dir), "a+", encoding="utf-8")
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    holder = lock_holder(data_dir)
                    raise DataDirLocked(
                        f"{data_dir.root} is in use by pid {holder.get('pid', '?')} "
                        f"({holder.get('command', 'unknown command')}); "
                        "wait for it to finish or pass --wait"
                    ) from None
                time.sleep(poll_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
