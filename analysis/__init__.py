"""analysis: the incident dataset — building it, querying it, exporting and charting it.

from analysis import load_dataset
ds = load_dataset("data")          # or None: $INCIDENTS_DATA_DIR, else data/
ds.incidents                       # pandas DataFrames: incidents, articles, mentions, statements
ds.sql("SELECT victim FROM incidents WHERE list_contains(attackers, 'LockBit')")
ds.resolve("royal-mail-2023-01")   # the current ID; an unknown one raises UnknownIncident
"""

from analysis.query import Dataset, UnknownIncident, load_dataset

__all__ = ["Dataset", "UnknownIncident", "load_dataset"]
