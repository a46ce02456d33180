"""Prepared, assigned articles → the dataset's table frames: incidents (aggregated from their
articles, with the evidence behind each value), articles, mentions, statements, redirects.

Used by the full build on every article and by the incremental build (analysis.incremental)
on the rows it redoes, so both make each row the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import storage
from analysis.schema import ROLES, SCHEMAS
from core.names import looks_like_acronym, normalise
from core.vocabulary import STORY_DATED

log = logging.getLogger(__name__)
UNSPECIFIED = "unspecified"


def _long(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """(incident_id, story_id, article_id, date, value) for each list element of a column."""
    base = frame[["incident_id", "story_id", "article_id", "date", column]]
    long = base.explode(column).rename(columns={column: "value"})
    long = long[long["value"].notna()]
    values = long["value"].astype(str)
    # Whitespace collapsed once per distinct value (a few thousand spellings, repeated).
    long["value"] = values.map({value: " ".join(value.split()) for value in values.unique()})
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


def with_assignment(frame: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """The articles (sorted by article_id, with published_at, published_source and date) with
    the clustering's story_id, incident_id, victim_key and is_copy: an undated copy takes its
    story's earliest date and says so; an incident article no source dates leaves incidents."""
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
    return frame


def rows_of_incidents(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows incidents are aggregated from, in the order they are read (date, article)."""
    rows = frame.loc[frame["incident_id"].notna(), list(INCIDENT_ROW_COLUMNS)]
    return rows.sort_values(["date", "article_id"], kind="stable")


def empty_incidents() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in SCHEMAS["incidents"].names})


def statement_counts(statement_incidents: pd.Series, incident_ids: pd.Series) -> np.ndarray:
    """n_statements of each incident (in the order of `incident_ids`)."""
    counts = statement_incidents.value_counts()
    return counts.reindex(incident_ids.to_numpy()).fillna(0).astype("int32").to_numpy()


def victim_names(
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


def aggregate_incidents(incident_rows: pd.DataFrame, keymap: dict[str, str]) -> pd.DataFrame:
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
        incidents["victim"] = victim_names(incident_rows, incidents["victim_key"], keymap, victims)

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
    gone = old_articles.dropna()
    gone = gone[~gone["incident_id"].isin(incident_ids)]  # only the articles of IDs that went
    joined = gone.merge(
        articles[["article_id", "incident_id"]].dropna(), on="article_id", suffixes=("_old", "")
    )
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


def article_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["agencies"] = out["agency_names"]
    out["countries"] = out["country_codes"]
    out["is_copy"] = out["is_copy"].where(out["incident_id"].notna(), None)
    return out
