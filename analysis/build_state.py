"""What a build keeps beside the dataset so that the next build redoes only what changed.

Stored in D/dataset/.build-state/ and swapped in with the dataset, so the state always
describes the dataset next to it:
- `articles.parquet`: per extracted article, the part file its row came from, what the
  clustering reads of its prepared row (whether it is about an incident, its date and the
  date's source as extracted, its victims, its incident types), its clustering features
  (MinHash signature, dates named), and the story and incident it was put in: an incremental
  build clusters every article again without reading or preparing the old rows;
- `victim_keys.parquet`: every victim spelling → its merge key;
- `pairs.parquet`: the near-duplicate pairs found (so the next build compares only the new
  articles' signatures with the others);
- `state.json`: the settings the state is valid for (this layout, the builder's version, the
  clustering constants, the gazetteers' fingerprint: a state that does not match them is
  ignored, a full build), the extracted parts the build read (name and size), and what it
  built. A build whose parts and settings are those of the state has nothing to do.

Extracted parts are never modified (a re-extraction writes a new part and the newest row of
an article wins), so an article whose row comes from the same part as last time is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import storage
from analysis.cluster import FEATURES, GAP_DAYS, IDENTICAL, LOOKBACK_RECENT_DAYS, PAIR_COLUMNS, SIMILAR
from analysis.dedup import MAX_TOKENS, NUM_PERM, SHINGLE
from core import __version__
from pipelines.extracted import live_articles_dir

log = logging.getLogger(__name__)
STATE_DIR = ".build-state"
LAYOUT = 3
ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("part", pa.string()),
        pa.field("is_incident", pa.bool_()),
        pa.field("published_at", pa.timestamp("us", tz="UTC")),
        pa.field("published_source", pa.string()),
        pa.field("victims", pa.list_(pa.string())),
        pa.field("incident_types", pa.list_(pa.string())),
        pa.field("story_id", pa.string()),
        pa.field("incident_id", pa.string()),
        pa.field("victim_key", pa.string()),
        pa.field("signature", pa.list_(pa.uint32(), NUM_PERM)),
        pa.field("ref_months", pa.list_(pa.int32())),
        pa.field("ref_years", pa.list_(pa.int32())),
    ]
)


def fingerprint(gazetteers: Path) -> dict:
    """What the state is valid for: change any of it and the next build is a full one."""
    digest = hashlib.sha256()
    for path in sorted(Path(gazetteers).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return {
        "layout": LAYOUT,
        "builder_version": __version__,
        "clustering": [GAP_DAYS, SIMILAR, IDENTICAL, LOOKBACK_RECENT_DAYS],
        "minhash": [NUM_PERM, SHINGLE, MAX_TOKENS],
        "gazetteers": digest.hexdigest(),
    }


def extracted_parts(extracted_root: Path) -> list[list]:
    """[name, size] of every extracted part a build reads: parts are only ever added (a
    re-extraction of everything swaps in a new set), so equal lists mean equal inputs."""
    folder = live_articles_dir(extracted_root)
    return [[path.name, path.stat().st_size] for path in sorted(folder.glob("part-*.parquet"))]


# The prepared columns kept (the rest of ARTICLES: the features and the assignment).
INPUTS = (
    "article_id",
    "part",
    "is_incident",
    "published_at",
    "published_source",
    "victims",
    "incident_types",
)
ASSIGNED = ("story_id", "incident_id", "victim_key")
# An article's clustering inputs as the state keeps them.
PREPARED = (*INPUTS, *FEATURES)


def state_rows(prepared: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """Every article's state row: its clustering inputs as prepared (taken before the
    clustering dates copies) and its assignment, `assigned` in the same row order."""
    return prepared[list(PREPARED)].assign(**{c: assigned[c].to_numpy() for c in ASSIGNED})


@dataclass
class BuildState:
    articles: pd.DataFrame  # ARTICLES columns, indexed by article_id (an unnamed index)
    victim_key: dict[str, str]
    pairs: pd.DataFrame  # PAIR_COLUMNS
    parts: list[list]  # [name, size] of the extracted parts the build read


def _meta(dataset: Path) -> dict | None:
    try:
        return json.loads((storage.live(dataset) / STATE_DIR / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unchanged(dataset: Path, expected: dict, parts: list[list]) -> dict | None:
    """What the last build built, when it read exactly these parts with these settings and its
    dataset is in place (then there is nothing to build); else None."""
    meta = _meta(dataset)
    if meta is None or not Path(dataset).is_dir():
        return None
    if meta.get("settings") != expected or meta.get("parts") != parts:
        return None
    return meta.get("summary")


def load(dataset: Path, expected: dict) -> BuildState | None:
    """The state beside the live dataset, or None when there is none or it does not fit."""
    folder = storage.live(dataset) / STATE_DIR
    meta = _meta(dataset)
    if meta is None or meta.get("settings") != expected:
        log.info("no build state for these settings and gazetteers: full build")
        return None
    try:
        articles = pq.read_table(folder / "articles.parquet", schema=ARTICLES)
        keys = pq.read_table(folder / "victim_keys.parquet").to_pydict()
        pairs = pq.read_table(folder / "pairs.parquet").to_pandas()
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        log.info("no usable build state (%s): full build", exc)
        return None
    lists = ["victims", "incident_types", "ref_months", "ref_years"]
    frame = articles.drop_columns(["signature", *lists]).to_pandas()
    for name in lists:  # Python lists, as prepared rows hold them
        frame[name] = pd.Series(articles.column(name).to_pylist(), dtype=object)
    frame["signature"] = _signatures_from_arrow(articles.column("signature"))
    frame.index = pd.Index(frame["article_id"].to_numpy(), name=None)
    keymap = dict(zip(keys["spelling"], keys["key"]))
    return BuildState(frame, keymap, pairs[list(PAIR_COLUMNS)], meta.get("parts", []))


def _signatures_from_arrow(column: pa.ChunkedArray) -> list[np.ndarray | None]:
    column = column.combine_chunks()
    values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, NUM_PERM)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    # flatten() skips null lists, so the matrix has one row per valid signature.
    rows = iter(values)
    return [next(rows) if ok else None for ok in valid]


def tables(
    articles: pd.DataFrame,
    victim_key: dict[str, str],
    pairs: pd.DataFrame,
    meta: dict,
    parts: list[list],
    summary: dict,
) -> dict[str, object]:
    """The state's files, ready for storage.write_dataset(extra=...)."""
    signatures = articles["signature"].tolist()
    valid = np.array([s is not None for s in signatures], dtype=bool)
    flat = (
        np.concatenate([s for s in signatures if s is not None]).astype(np.uint32)
        if valid.any()
        else np.empty(0, np.uint32)
    )
    # A null list still takes its NUM_PERM slots in a fixed-size list: pad them with zeros.
    full = np.zeros((len(signatures), NUM_PERM), dtype=np.uint32)
    full[valid] = flat.reshape(-1, NUM_PERM)
    signature = pa.FixedSizeListArray.from_arrays(pa.array(full.ravel()), NUM_PERM, mask=pa.array(~valid))
    columns = {
        name: pa.array(articles[name], type=ARTICLES.field(name).type, from_pandas=True)
        for name in ARTICLES.names
        if name != "signature"
    }
    columns["signature"] = signature
    state = pa.table([columns[name] for name in ARTICLES.names], schema=ARTICLES)
    keys = pa.table({"spelling": list(victim_key), "key": list(victim_key.values())})
    pair_table = pa.table(
        {
            "a": pa.array(pairs["a"], pa.string()),
            "b": pa.array(pairs["b"], pa.string()),
            "similarity": pa.array(pairs["similarity"], pa.float64()),
        }
    )
    record = {"settings": meta, "parts": parts, "summary": summary}
    return {
        f"{STATE_DIR}/articles.parquet": state,
        f"{STATE_DIR}/victim_keys.parquet": keys,
        f"{STATE_DIR}/pairs.parquet": pair_table,
        f"{STATE_DIR}/state.json": json.dumps(record, indent=2) + "\n",
    }
