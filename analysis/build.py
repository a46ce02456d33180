"""`incidents build`: extracted articles → the dataset tables under D/dataset/.

The build is a pure function of the extracted articles (and the gazetteers): it always
recomputes every table from all extracted articles, so a build after a new crawl gives
exactly the tables a full rebuild gives. Only the `redirects` table carries history (old
incident IDs that moved, see analysis.cluster).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import build_state, storage
from analysis.cluster import (
    FEATURES,
    GAP_DAYS,
    IDENTICAL,
    SIMILAR,
    Assignment,
    article_features,
    assign_incidents,
)
from analysis.schema import ROLES, SCHEMAS, to_arrow, validate
from core import __version__
from core.config import GAZETTEERS, DataDir
from core.countries import country_code
from core.gazetteers import AGENCY, THREAT_ACTOR, AliasIndex, alias_index
from core.names import looks_like_acronym, normalise
from core.vocabulary import STORY_DATED
from pipelines.extracted import read_table as read_extracted_table

log = logging.getLogger(__name__)
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class BuildSummary:
    articles: int
    incident_articles: int
    incidents: int
    mentions: int
    statements: int
    redirects: int
    seconds: float
    dataset: Path
    mode: str = "full"  # or "incremental", or "unchanged" (nothing to build: nothing written)


def _long(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """(incident_id, story_id, article_id, date, value) for each list element of a column."""
    base = frame[["incident_id", "story_id", "article_id", "date", column]]
    long = base.explode(column).rename(columns={column: "value"})
    long = long[long["value"].notna()]
    long["value"] = long["value"].astype(str).str.split().str.join(" ")
    return long[long["value"] != ""]


def _collect(keys, values) -> dict:
    """Values gathered per key, in the order given: what groupby(...).agg(list) gives, without
    a Python call per group (the build has tens of thousands of groups)."""
    out: dict = {}
    for key, value in zip(keys, values):
        out.setdefault(key, []).append(value)
    return out


def _lists_by(frame: pd.DataFrame, by: str | list[str], column: str, unique: bool = False) -> pd.Series:
    """groupby(by)[column] as lists in row order (optionally first occurrences only)."""
    by = [by] if isinstance(by, str) else by
    part = frame[[*by, column]].dropna(subset=[column])
    if unique:
        part = part.drop_duplicates()
    keys = part[by[0]].tolist() if len(by) == 1 else list(zip(*(part[b].tolist() for b in by)))
    collected = _collect(keys, part[column].tolist())
    if len(by) == 1:
        return pd.Series(collected, dtype=object)
    index = pd.MultiIndex.from_tuples(list(collected), names=by) if collected else None
    return pd.Series(list(collected.values()), index=index, dtype=object)


def _ranked(long: pd.DataFrame) -> pd.DataFrame:
    """Per incident and value: stories supporting it (copies count once), first date, the
    articles as evidence, and the spelling most used; sorted by support then first date."""
    long = long.assign(norm=long["value"].str.casefold())
    stats = long.groupby(["incident_id", "norm"], sort=True).agg(
        stories=("story_id", "nunique"), first=("date", "min")
    )
    stats["article_ids"] = _lists_by(
        long.drop_duplicates(["incident_id", "norm", "article_id"]).sort_values("article_id", kind="stable"),
        ["incident_id", "norm"],
        "article_id",
    )
    spelled = long.groupby(["incident_id", "norm", "value"]).size().rename("uses").reset_index()
    spelled = spelled.sort_values(
        ["incident_id", "norm", "uses", "value"], ascending=[True, True, False, True]
    )
    stats["display"] = spelled.drop_duplicates(["incident_id", "norm"]).set_index(["incident_id", "norm"])[
        "value"
    ]
    stats = stats.reset_index().sort_values(
        ["incident_id", "stories", "first", "norm"], ascending=[True, False, True, True]
    )
    return stats


def _as_lists(stats: pd.DataFrame, index: pd.Index) -> pd.Series:
    lists = _lists_by(stats, "incident_id", "display")
    return lists.reindex(index).map(lambda v: v if isinstance(v, list) else [])


def _evidence(field: str, stats: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "incident_id": stats["incident_id"].to_numpy(),
            "field": field,
            "value": stats["display"].to_numpy(),
            "article_ids": stats["article_ids"].to_numpy(),
        }
    )


def _spelling(victims: pd.DataFrame) -> dict[str, str]:
    """One display name per victim key across the whole dataset, so every incident of an
    organisation shows the same name: the spelling used by most stories, then a full name
    before a fragment ("British Library" before "Library") or an acronym, then the shortest
    ("Royal Mail" before "Royal Mail Group")."""
    votes = (
        victims.drop_duplicates(["story_id", "value"])
        .groupby(["key", "value"])
        .size()
        .rename("n")
        .reset_index()
    )
    votes["partial"] = [normalise(v) != k for v, k in zip(votes["value"], votes["key"])]
    votes["acronym"] = votes["value"].map(looks_like_acronym)
    votes["length"] = votes["value"].str.len()
    votes = votes.sort_values(
        ["key", "n", "partial", "acronym", "length", "value"], ascending=[True, False, True, True, True, True]
    )
    return dict(zip(votes.drop_duplicates("key")["key"], votes.drop_duplicates("key")["value"]))


def prepare_articles(extracted: pa.Table, agencies: AliasIndex, actors: AliasIndex) -> pd.DataFrame:
    """Extracted rows with canonical names, clean country codes and a date to cluster on."""
    list_columns = [
        "incident_types",
        "victims",
        "attackers",
        "services_affected",
        "countries",
        "agencies",
        "services",
    ]
    arrow_columns = ["statements", "mentions"]  # become tables of their own, in Arrow
    extracted = extracted.take(pc.sort_indices(extracted, [("article_id", "ascending")]))
    frame = extracted.drop_columns(list_columns + arrow_columns).to_pandas()
    for column in list_columns:
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


# What an incident's row is made of (its articles' other columns are not copied around).
INCIDENT_ROW_COLUMNS = (
    "incident_id",
    "story_id",
    "article_id",
    "date",
    "url",
    "source",
    "title",
    "is_copy",
    "victim_key",
    "victims",
    "incident_types",
    "attackers",
    "agency_names",
    "services_affected",
    "country_codes",
    "sector",
    "services",
)


def is_candidate(frame: pd.DataFrame) -> pd.Series:
    """Articles that are clustered into incidents: those about an incident."""
    return frame["is_incident"].eq(True)


def build_incidents(
    frame: pd.DataFrame,
    aliases: AliasIndex | None = None,
    state: build_state.BuildState | None = None,
    previous: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Assignment]:
    """(articles with incident_id/story_id, incidents, the assignment) from prepared articles.

    The clustering always runs over every candidate (on features computed once per article,
    when the frame has FEATURES columns), so an incremental build assigns exactly what a full
    one would. With the previous build's `state` and `previous` incidents table, only the
    incidents whose articles changed are aggregated again; the others are copied."""
    columns = ["article_id", "date", "victims", "incident_types"]
    columns += [c for c in (*FEATURES, "fresh") if c in frame]
    if not set(FEATURES) <= set(frame):  # computed from the texts by the clustering
        columns += ["text", "title"]
    known = state.pairs if state is not None and previous is not None else None
    assignment = assign_incidents(frame.loc[is_candidate(frame), columns], aliases, known_pairs=known)
    assigned = assignment.frame
    if assigned.empty:  # nothing to cluster (a build allowed to shrink to nothing): keep the key's type
        assigned = assigned.astype({"article_id": frame["article_id"].dtype})
    frame = frame.merge(assigned, on="article_id", how="left")
    # A copy that no page, feed or URL dates takes its story's earliest date, and says so.
    story_dated = frame["published_at"].isna() & frame["story_date"].notna()
    frame.loc[story_dated, "published_at"] = frame.loc[story_dated, "story_date"]
    frame.loc[story_dated, "published_source"] = STORY_DATED
    frame["date"] = frame["date"].fillna(frame.pop("story_date"))
    # An incident is dated by its reports; a story no page, feed or URL dates has none.
    undated = frame["incident_id"].notna() & frame["date"].isna()
    if undated.any():
        log.info("%d incident articles have no date from any source; left out of incidents", undated.sum())
        frame.loc[undated, ["incident_id", "story_id", "victim_key"]] = None
    frame["is_copy"] = frame["story_id"].notna() & (frame["story_id"] != frame["article_id"])
    incident_rows = frame.loc[frame["incident_id"].notna(), list(INCIDENT_ROW_COLUMNS)]
    incident_rows = incident_rows.sort_values(["date", "article_id"], kind="stable")
    if incident_rows.empty:
        empty = pd.DataFrame({name: pd.Series(dtype=object) for name in SCHEMAS["incidents"].names})
        return frame, empty, assignment
    if state is None or previous is None:
        return frame, _aggregate_incidents(incident_rows, assignment), assignment
    touched = touched_incidents(frame, incident_rows, state, assignment.victim_key)
    current = set(incident_rows["incident_id"])
    kept = previous[~previous["incident_id"].isin(touched) & previous["incident_id"].isin(current)]
    changed = incident_rows[incident_rows["incident_id"].isin(touched)]
    log.info("incremental build: %s incidents changed, %s kept", len(touched & current), len(kept))
    parts = [kept] + ([_aggregate_incidents(changed, assignment)] if not changed.empty else [])
    incidents = pd.concat(parts, ignore_index=True).sort_values("incident_id", kind="stable")
    incidents = incidents.reset_index(drop=True)
    # A victim's display name is voted across all its incidents: new reports may change it,
    # for every incident of a key that a touched incident has or had.
    revoted = set(incidents.loc[incidents["incident_id"].isin(touched), "victim_key"])
    revoted |= set(previous.loc[previous["incident_id"].isin(touched), "victim_key"])
    again = incidents["victim_key"].isin(revoted).to_numpy()
    keys = pd.Series(
        incidents["victim_key"].to_numpy()[again], index=incidents["incident_id"].to_numpy()[again]
    )
    rows = incident_rows[incident_rows["incident_id"].isin(keys.index)]
    incidents.loc[again, "victim"] = _victim_names(rows, keys, assignment.victim_key).to_numpy()
    return frame, incidents, assignment


def touched_incidents(
    frame: pd.DataFrame, incident_rows: pd.DataFrame, state: build_state.BuildState, keymap: dict[str, str]
) -> set[str]:
    """Incident IDs (of this build) whose table row may differ from the previous build's: those
    holding an article that is new, changed (a newer extracted part), moved, or gone; those
    whose victim spellings map to other keys now."""
    compared = ["part", "story_id", "incident_id", "victim_key"]
    old = state.articles[["article_id", *compared]]
    merged = frame[["article_id", *compared]].merge(old, on="article_id", how="outer", suffixes=("", "_old"))
    differs = np.zeros(len(merged), dtype=bool)
    for column in compared:
        differs |= merged[column].fillna("").to_numpy() != merged[f"{column}_old"].fillna("").to_numpy()
    changed = merged[differs]
    touched = set(changed["incident_id"].dropna()) | set(changed["incident_id_old"].dropna())
    respelled = {name for name, key in keymap.items() if state.victim_key.get(name) != key}
    respelled |= set(state.victim_key) - set(keymap)
    if respelled:
        victims = incident_rows[["incident_id", "victims"]].explode("victims")
        touched |= set(victims.loc[victims["victims"].isin(respelled), "incident_id"])
    return touched


def _victim_names(
    incident_rows: pd.DataFrame,
    victim_key: pd.Series,
    keymap: dict[str, str],
    victims: pd.DataFrame | None = None,
) -> pd.Series:
    """Per incident (victim_key: incident_id → its key), its victim as most often spelled,
    across all the incidents of that key, among the names that map to the key."""
    victims = _long(incident_rows, "victims") if victims is None else victims
    if victims.empty:
        return pd.Series(None, index=victim_key.index, dtype=object)
    victims = victims.assign(key=victims["value"].map(keymap))
    main = victims[victims["key"].to_numpy() == victims["incident_id"].map(victim_key).to_numpy()]
    return victim_key.map(_spelling(main))


def _aggregate_incidents(incident_rows: pd.DataFrame, assignment: Assignment) -> pd.DataFrame:
    """One row per incident from its articles (sorted by date, then article id)."""

    grouped = incident_rows.groupby("incident_id", sort=True)
    incidents = grouped.agg(
        first_reported_at=("date", "min"),
        last_reported_at=("date", "max"),
        n_articles=("story_id", "nunique"),
        n_urls=("url", "nunique"),
        victim_key=("victim_key", "first"),
    )
    index = incidents.index
    incidents["title"] = (
        incident_rows[incident_rows["title"].fillna("").str.strip() != ""]
        .drop_duplicates("incident_id")
        .set_index("incident_id")["title"]
        .reindex(index)
    )
    incidents["source_urls"] = _lists_by(incident_rows, "incident_id", "url", unique=True).reindex(index)
    incidents["article_ids"] = _lists_by(incident_rows, "incident_id", "article_id").reindex(index)
    originals = incident_rows[~incident_rows["is_copy"]]
    incidents["n_sources"] = originals.groupby("incident_id")["source"].nunique().reindex(index).fillna(0)
    incidents["n_sources"] = incidents["n_sources"].clip(lower=1).astype("int32")
    sources = incident_rows[["incident_id"]].assign(source=incident_rows["source"].astype(object))
    incidents["sources"] = (
        _lists_by(
            sources.assign(source=sources["source"].map(lambda v: None if pd.isna(v) else str(v))),
            "incident_id",
            "source",
            unique=True,
        )
        .reindex(index)
        .map(lambda v: v if isinstance(v, list) else [])
    )

    victims = _long(incident_rows, "victims")
    if victims.empty:
        incidents["victim"], incidents["victims"] = None, [[] for _ in index]
    else:
        incidents["victims"] = _as_lists(_ranked(victims), index)
        incidents["victim"] = _victim_names(
            incident_rows, incidents["victim_key"], assignment.victim_key, victims
        )

    evidence_parts = []
    for field, column in (
        ("incident_types", "incident_types"),
        ("attackers", "attackers"),
        ("agencies", "agency_names"),
        ("services_affected", "services_affected"),
        ("countries", "country_codes"),
    ):
        long = _long(incident_rows, column)
        stats = (
            _ranked(long)
            if not long.empty
            else pd.DataFrame(columns=["incident_id", "display", "norm", "article_ids"])
        )
        if field == "incident_types":
            specific = set(stats.loc[stats["norm"] != UNSPECIFIED, "incident_id"])
            stats = stats[~((stats["norm"] == UNSPECIFIED) & stats["incident_id"].isin(specific))]
        incidents[field] = _as_lists(stats, index)
        evidence_parts.append(_evidence(field, stats))
    incidents["country"] = incidents["countries"].map(lambda codes: codes[0] if codes else None)

    sectors = incident_rows.assign(
        sector_list=incident_rows["sector"].map(lambda s: [s] if isinstance(s, str) and s.strip() else [])
    )
    sector_long = _long(sectors, "sector_list")
    if not sector_long.empty:
        sector_stats = _ranked(sector_long)
        incidents["sector"] = (
            sector_stats.drop_duplicates("incident_id").set_index("incident_id")["display"].reindex(index)
        )
        evidence_parts.append(_evidence("sector", sector_stats))
    else:
        incidents["sector"] = None
    incidents["services_status"] = _services_status(incident_rows).reindex(index)
    incidents["services_status"] = incidents["services_status"].map(
        lambda v: v if isinstance(v, list) else []
    )

    evidence = pd.concat(evidence_parts, ignore_index=True)
    incidents["evidence"] = (
        _records_by_incident(evidence, ["field", "value", "article_ids"])
        .reindex(index)
        .map(lambda v: v if isinstance(v, list) else [])
    )
    return incidents.reset_index()


def _services_status(rows: pd.DataFrame) -> pd.Series:
    """The latest reported status of each affected service, per incident, with the sentence
    that reports it (the evidence the report shows)."""
    long = rows[["incident_id", "article_id", "date", "services"]].explode("services")
    long = long[long["services"].notna()]
    if long.empty:
        return pd.Series(dtype=object)
    long["service"] = long["services"].map(lambda s: " ".join((s.get("service") or "").split()))
    long["status"] = long["services"].map(lambda s: s.get("status"))
    long["sentence"] = long["services"].map(lambda s: s.get("sentence"))
    long = long[long["service"] != ""]
    long["norm"] = long["service"].str.casefold()
    latest = long.sort_values(["incident_id", "norm", "date", "article_id"]).drop_duplicates(
        ["incident_id", "norm"], keep="last"
    )
    latest = latest.rename(columns={"date": "reported_at"})
    return _records_by_incident(latest, ["service", "status", "reported_at", "article_id", "sentence"])


def _records_by_incident(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Rows as dicts, collected per incident in frame order (one pass, no per-group pandas)."""
    grouped: dict[str, list[dict]] = {}
    values = [frame[c].tolist() for c in columns]
    for incident, *row in zip(frame["incident_id"].tolist(), *values):
        grouped.setdefault(incident, []).append(dict(zip(columns, row)))
    return pd.Series(grouped, dtype=object)


def _flattened(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, pa.Array]:
    """(row of each element, the elements) of a column of Arrow lists of structs, null
    elements left out: the rows the table gets, without a Python object per element."""
    lists = pa.array(frame[column].array)
    rows = pc.list_parent_indices(lists).to_numpy()
    elements = pc.list_flatten(lists)
    valid = elements.is_valid().to_numpy(zero_copy_only=False)
    return rows[valid], elements.filter(pa.array(valid))


def build_mentions(frame: pd.DataFrame) -> pd.DataFrame:
    rows, mentions = _flattened(frame, "mentions")
    role = pc.struct_field(mentions, "role")
    named = pc.and_kleene(pc.is_valid(role), pc.not_equal(role, ""))
    role = pc.if_else(pc.is_in(role, pa.array(ROLES)), role, pc.if_else(named, "other", None))
    return pd.DataFrame(
        {
            "article_id": frame["article_id"].to_numpy()[rows],
            "incident_id": frame["incident_id"].to_numpy()[rows],
            "text": pc.struct_field(mentions, "text").to_pandas(),
            "label": pc.struct_field(mentions, "label").to_pandas(),
            "role": role.to_pandas(),
            "sentence": pc.struct_field(mentions, "sentence").to_pandas(),
        }
    )


def build_statements(frame: pd.DataFrame) -> pd.DataFrame:
    rows, statements = _flattened(frame, "statements")
    return pd.DataFrame(
        {
            "incident_id": frame["incident_id"].to_numpy()[rows],
            "article_id": frame["article_id"].to_numpy()[rows],
            "speaker": pc.struct_field(statements, "speaker").to_pandas(),
            "quote": pc.struct_field(statements, "quote").to_pandas(),
            "url": frame["url"].to_numpy()[rows],
            "published_at": frame["date"].iloc[rows].reset_index(drop=True),
            "source": frame["source"].to_numpy()[rows],
        }
    )


def build_redirects(dataset: Path, articles: pd.DataFrame, incident_ids: set[str]) -> pd.DataFrame:
    """Old incident IDs that no longer exist → the incident now holding most of their articles.

    Earlier redirects are carried over, every one of them (re-pointed when their target moved
    too; kept when it has no articles now, so the history survives a build that shrank)."""
    columns = ["old_incident_id", "incident_id"]
    try:
        old_articles = storage.read_table(dataset, "articles", ["article_id", "incident_id"]).to_pandas()
        old_redirects = storage.read_frame(dataset, "redirects")
    except (OSError, pa.ArrowInvalid, KeyError):
        return pd.DataFrame(columns=columns)
    joined = old_articles.dropna().merge(
        articles[["article_id", "incident_id"]].dropna(), on="article_id", suffixes=("_old", "")
    )
    joined = joined[~joined["incident_id_old"].isin(incident_ids)]
    moved = (
        joined.groupby(["incident_id_old", "incident_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["incident_id_old", "n", "incident_id"], ascending=[True, False, True])
        .drop_duplicates("incident_id_old")
    )
    target = dict(zip(moved["incident_id_old"], moved["incident_id"]))
    for old, new in zip(old_redirects["old_incident_id"], old_redirects["incident_id"]):
        new = target.get(new, new)
        if old not in incident_ids:
            target.setdefault(old, new)
    pairs = sorted(target.items())
    return pd.DataFrame(pairs, columns=columns) if pairs else pd.DataFrame(columns=columns)


def _article_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["agencies"] = out["agency_names"]
    out["countries"] = out["country_codes"]
    out["is_copy"] = out["is_copy"].where(out["incident_id"].notna(), None)
    return out


def dataset_card(frame: pd.DataFrame, tables: dict[str, pa.Table], seconds: float) -> dict:
    """What the dataset is and where it came from, stored beside the tables."""
    by_source = (
        frame.groupby(frame["source"].astype(str), dropna=False)
        .agg(
            publisher=("publisher", "first"),
            articles=("article_id", "size"),
            incident_articles=("is_incident", lambda s: int(s.eq(True).sum())),
        )
        .reset_index()
    )
    versions = frame["extractor_version"].fillna("unknown").value_counts().sort_index()
    dates = frame["date"].dropna()
    return {
        "name": "incident-tracker dataset",
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 3),
        "builder_version": __version__,
        "extractor_versions": {str(k): int(v) for k, v in versions.items()},
        "articles_published": {
            "from": dates.min().isoformat() if len(dates) else None,
            "to": dates.max().isoformat() if len(dates) else None,
        },
        "sources": [
            {
                "source": r.source,
                "publisher": None if pd.isna(r.publisher) else str(r.publisher),
                "articles": int(r.articles),
                "incident_articles": int(r.incident_articles),
            }
            for r in by_source.itertuples()
        ],
        "rows": {name: table.num_rows for name, table in tables.items()},
        "clustering": {
            "near_duplicate_jaccard": SIMILAR,
            "identical_jaccard": IDENTICAL,
            "near_duplicates_dated_by": "the story's earliest dated copy, whatever the copies' dates",
            "incident_gap_days": GAP_DAYS,
            "incident_id": "<victim-slug>-<YYYY-MM of first report>[-n]; moved IDs in `redirects`",
        },
        "tables": {
            name: [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in SCHEMAS[name]]
            for name in storage.TABLES
        },
    }


def card_readme(card: dict) -> str:
    lines = [
        "# incident-tracker dataset",
        "",
        f"Built {card['built_at']} by incident-tracker {card['builder_version']} in "
        f"{card['build_seconds']} s. Extractor versions: "
        + (", ".join(f"{k} ({v} articles)" for k, v in card["extractor_versions"].items()) or "none")
        + ".",
        f"Articles published from {card['articles_published']['from']} to {card['articles_published']['to']}.",
        "",
        "Each table is a parquet dataset directory: `pandas.read_parquet('incidents')`, or in DuckDB",
        "`read_parquet('incidents/*.parquet')`; `incidents query \"SQL\"` has them as views.",
        "",
        "## Rows",
        "",
        *[f"- `{name}`: {rows}" for name, rows in card["rows"].items()],
        "",
        "## Sources",
        "",
        "| source | publisher | articles | incident articles |",
        "| --- | --- | --- | --- |",
        *[
            f"| {s['source']} | {s['publisher'] or ''} | {s['articles']} | {s['incident_articles']} |"
            for s in card["sources"]
        ],
        "",
        "## How articles become incidents",
        "",
        "Near-duplicate copies (syndication) are one story and count once in `n_articles`; every",
        "copy's URL stays in `source_urls`. `n_sources` counts the outlets with their own story.",
        f"Stories about one victim with gaps of at most {card['clustering']['incident_gap_days']} days "
        "are one incident. Incident IDs: " + card["clustering"]["incident_id"] + ".",
        "`incident_types` drops `unspecified` once a specific type is reported.",
        "",
        "## Schema",
    ]
    for name, fields in card["tables"].items():
        lines += ["", f"### {name}", "", "| column | type | nullable |", "| --- | --- | --- |"]
        lines += [f"| {f['name']} | `{f['type']}` | {'yes' if f['nullable'] else 'no'} |" for f in fields]
    return "\n".join(lines) + "\n"


@contextmanager
def _without_collector_pauses() -> Iterator[None]:
    """The cyclic garbage collector paused: a build allocates millions of small lists and
    dicts (cells of list columns), each batch of which would run the collector over all the
    earlier ones (a fifth of a build's CPU time); a build makes no reference cycles worth
    collecting on the way, and the collector runs again as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_dataset(
    data_dir: DataDir | str | Path | None = None,
    gazetteers: Path = GAZETTEERS,
    *,
    allow_shrink: bool = False,
    incremental: bool = True,
) -> BuildSummary:
    """Build every table of D/dataset/ from D/extracted/, validated, swapped in atomically.

    Raises storage.DatasetShrinks (the published dataset kept) when the new one would drop too
    many of its articles, unless `allow_shrink`. Incremental by default: with the state the
    previous build left beside the dataset, only new or changed articles get their clustering
    features computed and only the incidents they touch are aggregated again; the tables
    equal those of a full build (`incremental=False`). When no extracted part was added since
    the last build and its settings still hold, nothing is read or written (mode "unchanged")."""
    with _without_collector_pauses():
        return _build_dataset(data_dir, gazetteers, allow_shrink=allow_shrink, incremental=incremental)


def _build_dataset(
    data_dir: DataDir | str | Path | None,
    gazetteers: Path,
    *,
    allow_shrink: bool,
    incremental: bool,
) -> BuildSummary:
    """The build itself (build_dataset pauses the garbage collector around it)."""
    started = time.perf_counter()
    data_dir = data_dir if isinstance(data_dir, DataDir) else DataDir.resolve(data_dir)
    meta = build_state.fingerprint(Path(gazetteers))
    parts = build_state.extracted_parts(data_dir.extracted)
    last = build_state.unchanged(data_dir.dataset, meta, parts) if incremental else None
    if last is not None:
        log.info("nothing new or changed since the last build: %s left as it is", data_dir.dataset)
        return BuildSummary(
            **last, seconds=time.perf_counter() - started, dataset=data_dir.dataset, mode="unchanged"
        )
    agencies, actors = alias_index(AGENCY, str(gazetteers)), alias_index(THREAT_ACTOR, str(gazetteers))
    state = build_state.load(data_dir.dataset, meta) if incremental else None
    previous = _previous_incidents(data_dir.dataset) if state is not None else None
    if previous is None:
        state = None
    frame = prepare_articles(read_extracted_table(data_dir.extracted, with_part=True), agencies, actors)
    frame = _with_features(frame, state)
    frame, incidents, assignment = build_incidents(frame, agencies, state, previous)
    frames = {
        "incidents": incidents,
        "articles": _article_table(frame),
        "mentions": build_mentions(frame),
        "statements": build_statements(frame),
    }
    frames["incidents"]["n_statements"] = (
        frames["statements"]
        .groupby("incident_id")
        .size()
        .reindex(incidents["incident_id"])
        .fillna(0)
        .astype("int32")
        .to_numpy()
        if not incidents.empty
        else []
    )
    frames["redirects"] = build_redirects(
        data_dir.dataset, frames["articles"], set(incidents.get("incident_id", []))
    )
    tables = {}
    for name, table_frame in frames.items():
        validate(name, table_frame)
        tables[name] = to_arrow(name, table_frame)
    seconds = time.perf_counter() - started
    card = dataset_card(frame, tables, seconds)
    card["build"] = "incremental" if state is not None else "full"
    counts = {
        "articles": len(frame),
        "incident_articles": int(frame["incident_id"].notna().sum()),
        "incidents": len(incidents),
        "mentions": tables["mentions"].num_rows,
        "statements": tables["statements"].num_rows,
        "redirects": tables["redirects"].num_rows,
    }
    extra = build_state.tables(frame, assignment.victim_key, assignment.pairs, meta, parts, counts)
    storage.write_dataset(
        data_dir.dataset, tables, card, card_readme(card), allow_shrink=allow_shrink, extra=extra
    )
    summary = BuildSummary(
        **counts,
        seconds=time.perf_counter() - started,
        dataset=data_dir.dataset,
        mode=card["build"],
    )
    log.info(
        "built %s incidents from %s articles in %.1f s", summary.incidents, summary.articles, summary.seconds
    )
    return summary


def _previous_incidents(dataset: Path) -> pd.DataFrame | None:
    try:
        return storage.read_frame(dataset, "incidents")
    except (OSError, pa.ArrowInvalid) as exc:
        log.info("previous incidents unreadable (%s): full build", exc)
        return None


def _with_features(frame: pd.DataFrame, state: build_state.BuildState | None) -> pd.DataFrame:
    """The clustering FEATURES of every candidate article (added to `frame`): the previous
    build's when the article's row comes from the same extracted part, computed afresh otherwise."""
    for column in FEATURES:
        frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    candidate = is_candidate(frame).to_numpy()
    reuse = np.zeros(len(frame), dtype=bool)
    if state is not None:
        old = state.articles.reindex(frame["article_id"])
        reuse = (
            candidate
            & (old["part"].to_numpy() == frame["part"].to_numpy())
            & old["ref_years"].notna().to_numpy()
        )
        for column in FEATURES:
            frame.loc[reuse, column] = pd.Series(old[column].to_numpy(), index=frame.index)[reuse]
    fresh = candidate & ~reuse
    frame["fresh"] = fresh
    if fresh.any():
        rows = frame[fresh]
        features = article_features(rows["text"].tolist(), rows["title"].tolist())
        for column in FEATURES:
            frame.loc[fresh, column] = pd.Series(features[column].to_numpy(), index=rows.index)
    log.info("clustering features: %s reused, %s computed", int(reuse.sum()), int(fresh.sum()))
    return frame
