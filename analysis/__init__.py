"""analysis: the incident dataset — building it, querying it, exporting and charting it.

from analysis import load_dataset
ds = load_dataset("data")          # or None: $INCIDENTS_DATA_DIR, else data/
ds.incidents                       # pandas DataFrames: incidents, articles, mentions, statements
ds.sql("SELECT victim FROM incidents WHERE list_contains(attackers, 'LockBit')")
"""

from analysis.query import Dataset, load_dataset

__all__ = ["Dataset", "load_dataset"]
