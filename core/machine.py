"""What this machine lets the process use: one answer for every stage that sizes a pool."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), not all the machine has.

    In a container or under `taskset`, `os.cpu_count()` reports the host's cores, and a pool
    of that size only makes processes queue for the few they may use.
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
