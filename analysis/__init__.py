"""analysis: the incident dataset — building it, querying it, exporting and charting it.

from analysis import load_dataset
ds = load_dataset("data")          # or None: $INCIDENTS_DATA_DIR, else data/
ds.incidents                       # pandas DataFrames: incidents, articles, mentions, statements
ds.sql("SELECT victim FROM incidents WHERE list_contains(attackers, 'LockBit')")
ds.resolve("royal-mail-2023-01")   # the current ID; an unknown one raises UnknownIncident
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.query import Dataset, UnknownIncident, load_dataset

__all__ = ["Dataset", "UnknownIncident", "load_dataset"]


def __getattr__(name: str) -> object:
    """The query names load on first use, so commands that only build or export do not pay
    for DuckDB's import (PEP 562)."""
    if name in __all__:
        from analysis import query

        return getattr(query, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
