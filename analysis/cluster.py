"""Group incident articles into incidents.

Rules, in order (each is a pure function of the articles, so a rebuild is deterministic and
an incremental build equals a full one):

1. **Stories.** Near-duplicate texts (MinHash Jaccard ≥ 0.5 on word 3-grams) are one story
   when they name a common victim or one names none, whatever their dates say (a syndicated
   copy is often dated by its own outlet, or not at all); at ≥ 0.9 they are one story
   whatever the analyser said. A story counts once as evidence, and is dated by its earliest
   dated copy: a copy without a date takes the story's date. Articles are never dated by
   their crawl: an undated story stays undated ("undated" in its incident ID).
2. **Victim keys.** Victim spellings become merge keys (names.victim_keys: legal suffixes,
   aliases, acronyms, "Royal Mail Group" = "Royal Mail").
3. **Sessions.** Stories that share a link key (their main victim, and the second one for
   two-victim stories) and follow each other with gaps ≤ GAP_DAYS are one incident; a longer
   silence starts a new incident, so two attacks on one organisation months apart stay two.
4. **Look-backs.** A later group of stories about the same victim that is retrospective (it
   names no date within LOOKBACK_RECENT_DAYS before it and not its own year) and names an
   earlier incident's month ("in September 2018") or year ("the 2018 attack"), with
   compatible types, joins that incident: a regulator's fine two years on belongs to the
   breach it punishes, while a new breach whose story recalls "the August 2021 attack"
   (it also dates its own events: "started on 25 November 2022") stays a new incident.

Incident IDs are `<victim-slug>-<YYYY-MM of the first report>` (plus `-2`, `-3`... when one
victim has several incidents starting in one month). They survive rebuilds and new crawls
as long as no earlier article about the incident turns up; when one does (a back-filled
crawl), the ID moves to the earlier month and the build records old → new in the
dataset's `redirects` table, so an analyst's old reference still resolves.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from analysis.dedup import signature_pairs, signatures
from core.gazetteers import AliasIndex
from core.names import slug, victim_keys

GAP_DAYS = 45
SIMILAR = 0.5
IDENTICAL = 0.9
MAX_LINK_VICTIMS = 2
LOOKBACK_RECENT_DAYS = 120
UNSPECIFIED = "unspecified"

_MONTHS = ("january february march april may june july august september october november december").split()
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


class DisjointSet:
    """Union-find with path halving; the smallest member is each set's representative."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def labels(self) -> np.ndarray:
        # Pointer jumping over the whole forest at once: each pass halves every path.
        parent = np.asarray(self.parent, dtype=np.int64)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


@dataclass(frozen=True)
class Assignment:
    """`frame`: per article its story_id (the earliest copy's article_id), incident_id, the
    incident's victim_key and story_date (its own date, else its story's); `victim_key`: every
    victim spelling → its merge key; `pairs`: the near-duplicate pairs found (article ids a < b
    by row, similarity), which a build keeps so the next one compares only new articles."""

    frame: pd.DataFrame
    victim_key: dict[str, str]
    pairs: pd.DataFrame | None = None


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values if values is not None else ():
        if value is not None:
            seen.setdefault(value, None)
    return list(seen)


def _references(text: str) -> tuple[set[tuple[int, int]], set[int]]:
    """(month, year) pairs and years a text mentions: how a follow-up points back."""
    months = {(_MONTHS.index(m.lower()) + 1, int(y)) for m, y in _MONTH_YEAR.findall(text or "")}
    years = {int(y) for y in _YEAR.findall(text or "")}
    return months, years


def _types_compatible(a: set[str], b: set[str]) -> bool:
    a, b = a - {UNSPECIFIED}, b - {UNSPECIFIED}
    return not a or not b or bool(a & b)


def _story_keys(copies: list[list[str]]) -> list[str]:
    """A story's victim keys, main one first: the copies' most common main victim wins."""
    votes = Counter(k[0] for k in copies if k)
    everything = _unique(key for k in copies for key in k)
    return sorted(everything, key=lambda key: (-votes[key], everything.index(key)))


FEATURES = ("signature", "ref_months", "ref_years")
_US_PER_DAY = 86_400_000_000


def _comparable_text(text: str | None, title: str | None) -> str:
    """The text compared for copies and searched for dates: a short text with its title."""
    return text if len((text or "").split()) >= 20 else f"{title or ''} {text or ''}"


def article_features(texts: list[str | None], titles: list[str | None]) -> pd.DataFrame:
    """What clustering needs from an article's text, computed once per article: its MinHash
    signature and the months (year * 100 + month) and years it names. A build keeps them,
    so an incremental build computes them for new and changed articles only."""
    compared = [_comparable_text(t, title) for t, title in zip(texts, titles)]
    references = [_references(text) for text in compared]
    return pd.DataFrame(
        {
            "signature": signatures(compared),
            "ref_months": [sorted(y * 100 + m for m, y in months) for months, _ in references],
            "ref_years": [sorted(years) for _, years in references],
        }
    )


def _month_end(year: int, month: int) -> datetime:
    return datetime(year, month, calendar.monthrange(year, month)[1])


PAIR_COLUMNS = ("a", "b", "similarity")


def _pairs(frame: pd.DataFrame, known: pd.DataFrame | None) -> list[tuple[int, int, float]]:
    """Near-duplicate row pairs: all of them, or, given the `known` pairs among the articles
    not flagged `fresh`, those plus the pairs with a fresh member (the same set)."""
    signatures_ = frame["signature"].tolist()
    if known is None or "fresh" not in frame:
        return signature_pairs(signatures_, SIMILAR)
    fresh = frame["fresh"].to_numpy(dtype=bool)
    pairs = signature_pairs(signatures_, SIMILAR, fresh=fresh)
    ids = pd.Index(frame["article_id"].to_numpy())
    a, b = ids.get_indexer(known["a"].to_numpy()), ids.get_indexer(known["b"].to_numpy())
    steady = (a >= 0) & (b >= 0)
    steady[steady] &= ~fresh[a[steady]] & ~fresh[b[steady]]
    a, b = a[steady], b[steady]
    similarity = known["similarity"].to_numpy()[steady]
    pairs += zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), similarity.tolist())
    return pairs


def assign_incidents(
    articles: pd.DataFrame, aliases: AliasIndex | None = None, known_pairs: pd.DataFrame | None = None
) -> Assignment:
    """Assign each incident article (columns article_id, date, text, title, victims,
    incident_types, and the FEATURES columns when already known) to a story and an incident;
    returns one row per input article. With `known_pairs` (a previous Assignment's pairs) and
    a `fresh` column flagging the new or changed articles, only fresh signatures are compared
    with the others: the pairs, and so the assignment, are those of a full comparison."""
    frame = articles.sort_values(["date", "article_id"], kind="stable").reset_index(drop=True)
    n = len(frame)
    if not set(FEATURES) <= set(frame.columns):
        features = article_features(frame["text"].tolist(), frame["title"].tolist())
        frame = pd.concat([frame.drop(columns=[c for c in FEATURES if c in frame]), features], axis=1)
    dates = frame["date"].to_numpy(dtype="datetime64[us]")
    article_ids = frame["article_id"].tolist()
    # Most articles name one of a few thousand victims: each distinct list is resolved once.
    named = [tuple(v) if v is not None else () for v in frame["victims"]]
    distinct = {names: _unique(names) for names in set(named)}
    keymap = victim_keys((name for names in distinct.values() for name in names), aliases)
    keys_of = {
        names: [k for k in _unique(keymap.get(v, "") for v in unique) if k]
        for names, unique in distinct.items()
    }
    keys = [keys_of[names] for names in named]

    stories = DisjointSet(n)
    pairs = _pairs(frame, known_pairs)
    for i, j, similarity in pairs:
        if similarity >= IDENTICAL or not keys[i] or not keys[j] or set(keys[i]) & set(keys[j]):
            stories.union(i, j)
    story_array = stories.labels()
    # Rows are sorted by date with undated ones last, so a story's first row is its earliest
    # dated copy: undated copies take its date.
    dates = np.where(np.isnat(dates), dates[story_array], dates)
    undated = np.isnat(dates)
    order = np.where(undated, np.iinfo(np.int64).max, dates.astype("int64")).tolist()
    # Microseconds as Python ints (None when undated): the loops below compare dates a lot.
    when = [
        None if missing else value for missing, value in zip(undated.tolist(), dates.astype("int64").tolist())
    ]
    story_of = story_array.tolist()

    members: dict[int, list[int]] = defaultdict(list)
    for row, story in enumerate(story_of):
        members[story].append(row)
    story_ids = sorted(members)  # each story's first row is its earliest copy
    # A single copy's keys are already in order (its main victim first).
    story_keys = {
        story: keys[rows[0]] if len(rows) == 1 else _story_keys([keys[r] for r in rows])
        for story, rows in members.items()
    }

    # 3. sessions: per link key, consecutive stories with gaps ≤ GAP_DAYS.
    index_of = {story: pos for pos, story in enumerate(story_ids)}
    incidents = DisjointSet(len(story_ids))
    by_key: dict[str, list[int]] = defaultdict(list)
    for story in story_ids:
        named = story_keys[story]
        for key in named if len(named) <= MAX_LINK_VICTIMS else named[:1]:
            by_key[key].append(story)
    gap = GAP_DAYS * _US_PER_DAY
    for chain in by_key.values():
        for previous, current in zip(chain, chain[1:]):
            if (
                when[current] is not None
                and when[previous] is not None
                and when[current] - when[previous] <= gap
            ):
                incidents.union(index_of[previous], index_of[current])

    # 4. look-backs: a later incident that names an earlier one's month or year joins it.
    labels = incidents.labels().tolist()
    groups: dict[int, list[int]] = defaultdict(list)
    for pos, label in enumerate(labels):
        groups[label].append(story_ids[pos])
    start = {g: when[min(s)] for g, s in groups.items()}
    group_keys = {g: {story_keys[s][0] for s in st if story_keys[s]} for g, st in groups.items()}
    types = [set(t) - {None} if t is not None else set() for t in frame["incident_types"]]
    ref_months, ref_years = frame["ref_months"].tolist(), frame["ref_years"].tolist()
    # Per victim key, the earlier groups by the year they started (each list in start order),
    # so a look-back only visits the groups whose start year it names.
    earlier_by_key: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    epoch = datetime(1970, 1, 1)
    first_day = {g: epoch + timedelta(microseconds=start[g]) for g in groups if start[g] is not None}
    group_types: dict[int, set[str]] = {}

    def types_of(group: int) -> set[str]:
        if group not in group_types:
            group_types[group] = set().union(*(types[r] for s in groups[group] for r in members[s]))
        return group_types[group]

    for g in sorted(groups, key=lambda g: (order[min(groups[g])], g)):
        if start[g] is None:
            continue  # an undated incident names no month to look back from
        if any(earlier_by_key[key] for key in group_keys[g]):
            begin = first_day[g]
            rows = [r for s in groups[g] for r in members[s]]
            months = {(int(v) % 100, int(v) // 100) for r in rows for v in ref_months[r]}
            years = {int(v) for r in rows for v in ref_years[r]}
            recent_from = begin - timedelta(days=LOOKBACK_RECENT_DAYS)
            retrospective = begin.year not in years and not any(
                recent_from <= _month_end(y, m) for m, y in months
            )
            named_years = sorted(years | {y for _, y in months})
            best = None
            for key in sorted(group_keys[g]) if retrospective else ():
                for year in named_years:
                    for candidate in earlier_by_key[key].get(year, ()):
                        first = first_day[candidate]
                        named = (first.month, first.year) in months or first.year in years
                        if named and (best is None or start[candidate] > start[best]):
                            if _types_compatible(types_of(g), types_of(candidate)):
                                best = candidate
            if best is not None:
                incidents.union(best, g)
        for key in group_keys[g]:
            earlier_by_key[key][first_day[g].year].append(g)

    final = incidents.labels().tolist()
    incident_of_story = {story_ids[pos]: final[pos] for pos in range(len(story_ids))}
    incident_rows: dict[int, list[int]] = defaultdict(list)
    for row in range(n):
        incident_rows[incident_of_story[story_of[row]]].append(row)

    ids: dict[int, str] = {}
    main_key: dict[int, str] = {}
    slug_of = functools.cache(slug)  # a victim has several incidents
    taken: Counter = Counter()
    for label in sorted(incident_rows, key=lambda g: (order[min(incident_rows[g])], g)):
        rows = incident_rows[label]
        votes = Counter(keys[r][0] for r in rows if keys[r])
        key = min(votes, key=lambda k: (-votes[k], k)) if votes else ""
        first = when[min(rows)]
        month = (epoch + timedelta(microseconds=first)).strftime("%Y-%m") if first is not None else "undated"
        base = f"{slug_of(key)}-{month}" if key else f"unknown-{month}-{article_ids[min(rows)][:8]}"
        taken[base] += 1
        ids[label] = base if taken[base] == 1 else f"{base}-{taken[base]}"
        main_key[label] = key

    out = pd.DataFrame(
        {
            "article_id": article_ids,
            "story_id": [article_ids[s] for s in story_of],
            "incident_id": [ids[incident_of_story[s]] for s in story_of],
            "victim_key": [main_key[incident_of_story[s]] for s in story_of],
            "story_date": pd.to_datetime(dates).tz_localize("UTC")
            if n
            else pd.Series([], dtype="datetime64[us, UTC]"),
        }
    )
    # An empty input must still give string columns to merge on.
    out = out.astype({"article_id": object, "story_id": object, "incident_id": object, "victim_key": object})
    rows = np.array([(i, j) for i, j, _ in pairs], dtype=np.int64).reshape(-1, 2)
    ids = np.array(article_ids, dtype=object)
    found = pd.DataFrame(
        {"a": ids[rows[:, 0]], "b": ids[rows[:, 1]], "similarity": [s for _, _, s in pairs]},
        columns=list(PAIR_COLUMNS),
    )
    return Assignment(out, keymap, found)
