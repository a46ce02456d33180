"""The incremental build: the previous dataset patched with what the parts added since bring.

With the state the previous build left beside its dataset (analysis.build_state), and all the
extracted parts it read still in place, a build reads only the added parts. Their articles
(new ones, and re-extracted ones whose newest row is in an added part) are prepared and get
their clustering features; every article is then clustered again from the state (the rules
are cheap once the near-duplicate pairs are known, and running them over all is what makes
the result a full build's, incident IDs included). What the tables need is then patched:

- incidents: the rows of the incidents whose articles changed are aggregated again (their
  older articles' rows re-read from their extracted parts, without texts, and prepared again),
  the others copied; victim names re-voted across the keys of the changed ones;
- articles, mentions, statements: the previous rows copied, the changed articles' replaced,
  the new ones added, every row given its current story, incident and date;
- the card, the redirects and the state are made as a full build makes them.

The tables are written beside the dataset and swapped in as a full build's are.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import build_state, storage
from analysis.cluster import FEATURES, Assignment, assign_incidents
from analysis.prepare import ARROW_COLUMNS, is_candidate, prepare_articles, with_features
from analysis.schema import arrow_column, check_unique, to_arrow, validate
from analysis.tables import (
    aggregate_incidents,
    article_table,
    build_mentions,
    build_redirects,
    build_statements,
    empty_incidents,
    rows_of_incidents,
    statement_counts,
    victim_names,
    with_assignment,
)
from core.gazetteers import AliasIndex
from pipelines.extracted import read_parts
from pipelines.extracted_schema import EXTRACTED_ARTICLE

log = logging.getLogger(__name__)
# The tables an incremental build patches (the others it makes as a full build does).
PATCHED = ("articles", "mentions", "statements", "incidents")
# What the clustering changes in an article's row of the articles table.
CLUSTERED = ("incident_id", "story_id", "is_copy", "published_at", "published_source")
# Columns of an old row that the incidents' aggregation does not need (re-read without them).
NOT_AGGREGATED = ("text", *ARROW_COLUMNS)
# What a victim name is voted from.
VOTERS = ("incident_id", "story_id", "article_id", "date", "victims")


@dataclass(frozen=True)
class Patch:
    """An incremental build's result: the tables, every article's state row (its prepared
    inputs and its assignment) and the assignment."""

    tables: dict[str, pa.Table]
    articles: pd.DataFrame
    assignment: Assignment


def added_parts(state: build_state.BuildState, parts: list[list]) -> list[str] | None:
    """The parts added since the state's build, or None when one it read is gone or differs
    (a re-extraction swapped in a new set: then only a full build is right)."""
    now = {name: size for name, size in parts}
    if any(now.get(name) != size for name, size in state.parts):
        return None
    read = {name for name, _ in state.parts}
    return [name for name, _ in parts if name not in read]


def patch(
    dataset: Path,
    extracted_root: Path,
    state: build_state.BuildState,
    added: list[str],
    agencies: AliasIndex,
    actors: AliasIndex,
) -> Patch:
    """The tables of a full build over the state's parts and the `added` ones, from the
    previous dataset, the state and the added parts."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        # The previous tables are read (Arrow decodes without the GIL) while the new rows are
        # prepared and every article is clustered.
        previous = {name: reader.submit(storage.read_table, dataset, name) for name in PATCHED}
        fresh = _fresh_rows(extracted_root, state, added)
        prepared = with_features(prepare_articles(fresh, agencies, actors))
        prepared["fresh"] = is_candidate(prepared).to_numpy()  # their signatures are new
        changed = set(prepared["article_id"].tolist()) & set(state.articles.index.tolist())
        log.info(
            "incremental build: %s new and %s re-extracted articles",
            len(prepared) - len(changed),
            len(changed),
        )
        inputs = _inputs(state, prepared, changed)
        columns = ["article_id", "date", "victims", "incident_types", *FEATURES, "fresh"]
        assignment = assign_incidents(
            inputs.loc[is_candidate(inputs), columns], agencies, known_pairs=state.pairs
        )
        articles = with_assignment(inputs, assignment.frame)
        assigned = ["article_id", "published_at", "published_source", "date", "story_id", "incident_id"]
        assigned += ["victim_key", "is_copy"]
        prepared = prepared.drop(columns=["published_at", "published_source", "date"]).merge(
            articles[assigned], on="article_id", how="left"
        )
        previous = {name: future.result() for name, future in previous.items()}

    tables, new_rows = {}, {}
    for name, make in (
        ("articles", article_table),
        ("mentions", build_mentions),
        ("statements", build_statements),
    ):
        new_rows[name] = make(prepared)
        tables[name] = _patched(previous[name], name, new_rows[name], changed, articles)
    new_rows["incidents"], tables["incidents"] = _incidents(
        previous["incidents"],
        extracted_root,
        state,
        articles,
        prepared,
        assignment.victim_key,
        agencies,
        actors,
    )
    counts = statement_counts(
        tables["statements"].column("incident_id").to_pandas(),
        tables["incidents"].column("incident_id").to_pandas(),
    )
    tables["incidents"] = _set(tables["incidents"], "incidents", "n_statements", pd.Series(counts))
    new_rows["redirects"] = build_redirects(
        dataset, articles, set(tables["incidents"].column("incident_id").to_pylist())
    )
    tables["redirects"] = to_arrow("redirects", new_rows["redirects"])
    # The rows copied were checked when they were built: the new ones are checked here, and
    # the columns that must be unique in the whole table.
    for name, frame in new_rows.items():
        validate(name, frame)
        check_unique(name, tables[name])
    return Patch(tables, build_state.state_rows(inputs, articles), assignment)


def _fresh_rows(extracted_root: Path, state: build_state.BuildState, added: list[str]) -> pa.Table:
    """The rows of the added parts that are an article's newest: every row of a new article,
    and a re-extracted one's when its part sorts after the one its last row came from (the
    order in which a full build lets the latest row win)."""
    rows = read_parts(extracted_root, added)
    old_part = state.articles["part"].reindex(rows.column("article_id").to_numpy()).to_numpy()
    part = rows.column("part").to_numpy(zero_copy_only=False)
    newer = pd.isna(old_part) | (part > np.where(pd.isna(old_part), "", old_part).astype(str))
    return rows.filter(pa.array(newer))


def _inputs(state: build_state.BuildState, prepared: pd.DataFrame, changed: set[str]) -> pd.DataFrame:
    """Every article's clustering inputs, sorted by article_id: the state's rows of the
    articles not re-extracted, and the fresh rows."""
    columns = list(build_state.PREPARED)
    old = state.articles.loc[~state.articles.index.isin(list(changed)), columns].reset_index(drop=True)
    old["fresh"] = False
    inputs = pd.concat([old, prepared[[*columns, "fresh"]]], ignore_index=True)
    inputs = inputs.sort_values("article_id", kind="stable").reset_index(drop=True)
    inputs["date"] = inputs["published_at"]
    return inputs


def _patched(
    previous: pa.Table, name: str, new_rows: pd.DataFrame, changed: set[str], articles: pd.DataFrame
) -> pa.Table:
    """A per-article table (articles, mentions, statements): the previous rows of the articles
    not re-extracted and the fresh rows, in article order (each article's rows in their own
    order, as a full build makes them), with every row's clustered columns as they are now."""
    keep = pc.invert(pc.is_in(previous.column("article_id"), pa.array(list(changed), pa.string())))
    table = pa.concat_tables([previous.filter(keep), to_arrow(name, new_rows)])
    table = table.take(pc.sort_indices(table, [("article_id", "ascending")]))  # stable
    position = pc.index_in(table.column("article_id"), pa.array(articles["article_id"], pa.string()))
    rows = position.to_numpy(zero_copy_only=False)
    current = articles[[*CLUSTERED, "date"]].iloc[rows].reset_index(drop=True)
    if name == "articles":
        current["is_copy"] = current["is_copy"].where(current["incident_id"].notna(), None)
        updates = {column: current[column] for column in CLUSTERED}
    else:
        updates = {"incident_id": current["incident_id"]}
        if name == "statements":
            updates["published_at"] = current["date"]
    for column, values in updates.items():
        table = _set(table, name, column, values)
    return _encoded_afresh(table)


def _encoded_afresh(table: pa.Table) -> pa.Table:
    """The dictionary columns encoded again over the whole table: each value's code in order
    of first appearance, as a full build's encoding gives (copied and new rows came with
    dictionaries of their own)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            plain = table.column(index).cast(field.type.value_type).combine_chunks()
            table = table.set_column(index, field, plain.dictionary_encode().cast(field.type))
    return table


def _set(table: pa.Table, name: str, column: str, values: pd.Series) -> pa.Table:
    """`table` with one column replaced by `values` (typed as the table's schema says)."""
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), arrow_column(name, column, values))


def _incidents(
    previous: pa.Table,
    extracted_root: Path,
    state: build_state.BuildState,
    articles: pd.DataFrame,
    prepared: pd.DataFrame,
    keymap: dict[str, str],
    agencies: AliasIndex,
    actors: AliasIndex,
) -> tuple[pd.DataFrame, pa.Table]:
    """(the incident rows aggregated again, the incidents table): the previous rows of the
    incidents no changed article touches, copied; the others aggregated from their articles;
    the victim names re-voted for every incident of a key a changed incident has or had."""
    touched = touched_incidents(articles, state, keymap)
    current = set(articles["incident_id"].dropna().tolist())
    redo = touched & current
    members = articles[articles["incident_id"].isin(redo)]
    rows = rows_of_incidents(_aggregated_rows(extracted_root, members, prepared, agencies, actors))
    aggregated = aggregate_incidents(rows, keymap) if len(rows) else None
    previous_ids = previous.column("incident_id").to_pandas()
    kept = ~previous_ids.isin(touched) & previous_ids.isin(current)
    log.info("incremental build: %s incidents aggregated again, %s kept", len(redo), int(kept.sum()))
    parts = [previous.filter(pa.array(kept.to_numpy()))]
    if aggregated is not None:
        parts.append(to_arrow("incidents", aggregated.assign(n_statements=0)))
    table = pa.concat_tables(parts)
    table = table.take(pc.sort_indices(table, [("incident_id", "ascending")]))
    # A victim's display name is voted across all its incidents: new reports may change it,
    # for every incident of a key that a touched incident has or had.
    ids = table.column("incident_id").to_pandas()
    keys = table.column("victim_key").to_pandas()
    revoted = set(keys[ids.isin(touched)]) | set(
        previous.column("victim_key").to_pandas()[previous_ids.isin(touched)]
    )
    again = keys.isin(revoted).to_numpy()
    victim_key = pd.Series(keys.to_numpy()[again], index=ids.to_numpy()[again])
    voters = articles.loc[articles["incident_id"].isin(victim_key.index), list(VOTERS)]
    victims = table.column("victim").to_pandas().to_numpy(dtype=object).copy()
    voters = voters.sort_values(["date", "article_id"], kind="stable")
    victims[again] = victim_names(voters, victim_key, keymap).to_numpy()
    table = _encoded_afresh(_set(table, "incidents", "victim", pd.Series(victims)))
    return (aggregated if aggregated is not None else empty_incidents()), table


def _aggregated_rows(
    extracted_root: Path,
    members: pd.DataFrame,
    prepared: pd.DataFrame,
    agencies: AliasIndex,
    actors: AliasIndex,
) -> pd.DataFrame:
    """The prepared rows of the articles of the incidents aggregated again, with their current
    assignment: the fresh ones as prepared, the older ones re-read from their parts."""
    fresh = prepared[prepared["article_id"].isin(members["article_id"])]
    older = members.loc[~members["article_id"].isin(prepared["article_id"]), ["article_id", "part"]]
    columns = [c for c in EXTRACTED_ARTICLE.names if c not in NOT_AGGREGATED]
    reread = []
    for part, ids in older.groupby("part")["article_id"]:
        rows = read_parts(extracted_root, [part], columns)
        reread.append(rows.filter(pc.is_in(rows.column("article_id"), pa.array(ids.tolist(), pa.string()))))
    clustered = ["article_id", "date", "story_id", "incident_id", "victim_key", "is_copy"]
    if reread:
        old = prepare_articles(pa.concat_tables(reread), agencies, actors)
        old = old.drop(columns=["date"]).merge(members[clustered], on="article_id", how="left")
        return pd.concat([fresh, old], ignore_index=True)
    return fresh


def touched_incidents(
    articles: pd.DataFrame, state: build_state.BuildState, keymap: dict[str, str]
) -> set[str]:
    """Incident IDs (of this build and the last) whose table row may differ from the previous
    build's: those holding an article that is new, re-extracted or moved to another story or
    incident; those whose victim spellings map to other keys now."""
    compared = ["part", "story_id", "incident_id", "victim_key"]
    # Extracted parts are only added, so the state's articles are all still here.
    old = state.articles[compared].reindex(articles["article_id"].to_numpy())
    differs = np.zeros(len(articles), dtype=bool)
    for column in compared:
        differs |= articles[column].fillna("").to_numpy() != old[column].fillna("").to_numpy()
    touched = set(articles["incident_id"][differs].dropna().tolist())
    touched |= set(old["incident_id"][differs].dropna().tolist())
    respelled = {name for name, key in keymap.items() if state.victim_key.get(name) != key}
    respelled |= set(state.victim_key) - set(keymap)
    if respelled:
        victims = articles.loc[articles["incident_id"].notna(), ["incident_id", "victims"]].explode("victims")
        touched |= set(victims.loc[victims["victims"].isin(respelled), "incident_id"])
    return touched
