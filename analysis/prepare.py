"""Extracted rows → prepared articles: canonical names, clean country codes, a date to
cluster on. What a build derives from each extracted row alone (the gazetteers aside), so an
incremental build prepares only the rows it has not seen."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.cluster import FEATURES, article_features
from core.countries import country_code
from core.gazetteers import AliasIndex

# List columns that become Python lists (nulls → []), and those kept in Arrow (they become
# tables of their own: statements, mentions).
LIST_COLUMNS = (
    "incident_types",
    "victims",
    "attackers",
    "services_affected",
    "countries",
    "agencies",
    "services",
)
ARROW_COLUMNS = ("statements", "mentions")


def prepare_articles(extracted: pa.Table, agencies: AliasIndex, actors: AliasIndex) -> pd.DataFrame:
    """Extracted rows (sorted by article_id) with canonical names, clean country codes and a
    date to cluster on. Columns the table lacks (an incremental build re-reads old rows
    without their texts, statements and mentions) are simply not in the frame."""
    extracted = extracted.take(pc.sort_indices(extracted, [("article_id", "ascending")]))
    arrow_columns = [c for c in ARROW_COLUMNS if c in extracted.column_names]
    frame = extracted.drop_columns(list(LIST_COLUMNS) + arrow_columns).to_pandas()
    for column in LIST_COLUMNS:
        # Python lists straight from Arrow (nulls → []): cheaper than numpy arrays per cell.
        frame[column] = pd.Series(
            [[] if v is None else v for v in extracted.column(column).to_pylist()], dtype=object
        )
    for column in arrow_columns:
        frame[column] = pd.Series(pd.arrays.ArrowExtensionArray(extracted.column(column)))
    # Never the crawl date: an undated copy of a story takes the story's date (cluster.py).
    frame["date"] = frame["published_at"]
    # A dataset repeats a few thousand name lists many times: each distinct one is resolved once.
    frame["attackers"] = _per_distinct(
        frame["attackers"], tuple, lambda names: list(dict.fromkeys(actors.resolve(n) for n in names if n))
    )
    frame["agency_names"] = _per_distinct(
        frame["agencies"],
        lambda items: tuple(a.get("name") for a in items if a),
        lambda items: list(dict.fromkeys(agencies.resolve(a["name"]) for a in items if a and a.get("name"))),
    )
    frame["country_codes"] = _per_distinct(
        frame["countries"], tuple, lambda codes: list(dict.fromkeys(c for c in map(country_code, codes) if c))
    )
    frame["incident_types"] = _per_distinct(
        frame["incident_types"], tuple, lambda types: list(dict.fromkeys(t for t in types if t))
    )
    return frame


def _per_distinct(cells: pd.Series, key, resolve) -> pd.Series:
    """resolve(cell) for every cell, computed once per distinct key(cell); equal cells share
    their result (a list nobody modifies)."""
    done: dict = {}
    out = []
    for cell in cells.tolist():
        marker = key(cell)
        if marker not in done:
            done[marker] = resolve(cell)
        out.append(done[marker])
    return pd.Series(out, index=cells.index, dtype=object)


def is_candidate(frame: pd.DataFrame) -> pd.Series:
    """Articles that are clustered into incidents: those about an incident."""
    return frame["is_incident"].eq(True)


def with_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The clustering FEATURES of every candidate article (added to `frame`; None for the others)."""
    candidate = is_candidate(frame).to_numpy()
    for column in FEATURES:
        frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if candidate.any():
        rows = frame[candidate]
        features = article_features(rows["text"].tolist(), rows["title"].tolist())
        for column in FEATURES:
            frame.loc[candidate, column] = pd.Series(features[column].to_numpy(), index=rows.index)
    return frame
