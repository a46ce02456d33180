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

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.dedup import near_duplicate_pairs
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
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64)


@dataclass(frozen=True)
class Assignment:
    """`frame`: per article its story_id (the earliest copy's article_id), incident_id, the
    incident's victim_key and story_date (its own date, else its story's); `victim_key`: every victim spelling → its merge key."""

    frame: pd.DataFrame
    victim_key: dict[str, str]


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


def assign_incidents(articles: pd.DataFrame, aliases: AliasIndex | None = None) -> Assignment:
    """Assign each incident article (columns article_id, date, text, title, victims,
    incident_types) to a story and an incident; returns one row per input article."""
    frame = articles.sort_values(["date", "article_id"], kind="stable").reset_index(drop=True)
    n = len(frame)
    dates = frame["date"].to_numpy(dtype="datetime64[us]")
    victim_lists = [_unique(v) for v in frame["victims"]]
    keymap = victim_keys((name for names in victim_lists for name in names), aliases)
    keys = [[k for k in _unique(keymap.get(v, "") for v in names) if k] for names in victim_lists]

    texts = [
        t if len((t or "").split()) >= 20 else f"{title or ''} {t or ''}"
        for t, title in zip(frame["text"], frame["title"])
    ]
    stories = DisjointSet(n)
    for i, j, similarity in near_duplicate_pairs(texts, SIMILAR):
        if similarity >= IDENTICAL or not keys[i] or not keys[j] or set(keys[i]) & set(keys[j]):
            stories.union(i, j)
    story_of = stories.labels()
    # Rows are sorted by date with undated ones last, so a story's first row is its earliest
    # dated copy: undated copies take its date.
    dates = np.where(np.isnat(dates), dates[story_of], dates)
    order = np.where(np.isnat(dates), np.iinfo(np.int64).max, dates.astype("int64"))

    members: dict[int, list[int]] = defaultdict(list)
    for row, story in enumerate(story_of):
        members[int(story)].append(row)
    story_ids = sorted(members)  # each story's first row is its earliest copy
    story_keys = {story: _story_keys([keys[r] for r in members[story]]) for story in story_ids}

    # 3. sessions: per link key, consecutive stories with gaps ≤ GAP_DAYS.
    index_of = {story: pos for pos, story in enumerate(story_ids)}
    incidents = DisjointSet(len(story_ids))
    by_key: dict[str, list[int]] = defaultdict(list)
    for story in story_ids:
        named = story_keys[story]
        for key in named if len(named) <= MAX_LINK_VICTIMS else named[:1]:
            by_key[key].append(story)
    gap = np.timedelta64(GAP_DAYS, "D")
    for chain in by_key.values():
        for previous, current in zip(chain, chain[1:]):
            if dates[current] - dates[previous] <= gap:
                incidents.union(index_of[previous], index_of[current])

    # 4. look-backs: a later incident that names an earlier one's month or year joins it.
    labels = incidents.labels()
    groups: dict[int, list[int]] = defaultdict(list)
    for pos, label in enumerate(labels):
        groups[int(label)].append(story_ids[pos])
    start = {g: dates[min(s)] for g, s in groups.items()}
    group_keys = {g: {story_keys[s][0] for s in st if story_keys[s]} for g, st in groups.items()}
    types = [set(_unique(t)) for t in frame["incident_types"]]
    group_types = {g: set().union(*(types[r] for s in st for r in members[s])) for g, st in groups.items()}
    earlier_by_key: dict[str, list[int]] = defaultdict(list)
    for g in sorted(groups, key=lambda g: (order[min(groups[g])], g)):
        begin = pd.Timestamp(start[g])
        if pd.isna(begin):
            continue  # an undated incident names no month to look back from
        if not any(earlier_by_key[key] for key in group_keys[g]):
            for key in group_keys[g]:
                earlier_by_key[key].append(g)
            continue
        months: set[tuple[int, int]] = set()
        years: set[int] = set()
        for s in groups[g]:
            for r in members[s]:
                m, y = _references(texts[r])
                months |= m
                years |= y
        recent_from = begin - pd.Timedelta(days=LOOKBACK_RECENT_DAYS)
        retrospective = begin.year not in years and not any(
            recent_from <= pd.Timestamp(year=y, month=m, day=1, tz=begin.tz) + pd.offsets.MonthEnd(0)
            for m, y in months
        )
        best = None
        for key in sorted(group_keys[g]) if retrospective else ():
            for candidate in earlier_by_key[key]:
                first = pd.Timestamp(start[candidate])
                named = (first.month, first.year) in months or first.year in years
                if named and _types_compatible(group_types[g], group_types[candidate]):
                    if best is None or start[candidate] > start[best]:
                        best = candidate
        if best is not None:
            incidents.union(best, g)
        for key in group_keys[g]:
            earlier_by_key[key].append(g)

    final = incidents.labels()
    incident_of_story = {story_ids[pos]: int(final[pos]) for pos in range(len(story_ids))}
    incident_rows: dict[int, list[int]] = defaultdict(list)
    for row in range(n):
        incident_rows[incident_of_story[int(story_of[row])]].append(row)

    ids: dict[int, str] = {}
    main_key: dict[int, str] = {}
    taken: Counter = Counter()
    for label in sorted(incident_rows, key=lambda g: (order[min(incident_rows[g])], g)):
        rows = incident_rows[label]
        votes = Counter(keys[r][0] for r in rows if keys[r])
        key = min(votes, key=lambda k: (-votes[k], k)) if votes else ""
        first = pd.Timestamp(dates[min(rows)])
        month = first.strftime("%Y-%m") if not pd.isna(first) else "undated"
        base = f"{slug(key)}-{month}" if key else f"unknown-{month}-{frame.at[min(rows), 'article_id'][:8]}"
        taken[base] += 1
        ids[label] = base if taken[base] == 1 else f"{base}-{taken[base]}"
        main_key[label] = key

    out = pd.DataFrame(
        {
            "article_id": frame["article_id"],
            "story_id": [frame.at[int(s), "article_id"] for s in story_of],
            "incident_id": [ids[incident_of_story[int(s)]] for s in story_of],
            "victim_key": [main_key[incident_of_story[int(s)]] for s in story_of],
            "story_date": pd.to_datetime(dates).tz_localize("UTC")
            if n
            else pd.Series([], dtype="datetime64[us, UTC]"),
        }
    )
    return Assignment(out, keymap)
