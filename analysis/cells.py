"""Reading the dataset's cells: list columns come back from parquet as arrays (or None)."""

from __future__ import annotations


def listed(cell) -> list[str]:
    """A list cell as a list of strings (None and missing items dropped; a scalar is no list)."""
    if cell is None or isinstance(cell, str):
        return []
    try:
        return [str(v) for v in cell if v is not None]
    except TypeError:  # NaN and other scalars where a list was expected
        return []
