"""The one gazetteer loader: data/gazetteers/*.csv (agencies, threat actors, vendors, sectors,
services, country aliases) into lookup tables, for the analysis and the dataset build alike.

The CSV files are maintained by hand (one entry per row, multi-values joined with "|"), so
the loader is lenient: a missing file or column yields an empty table rather than an error,
and every alias is keyed in lower case so matching can be case-insensitive while acronyms
are still matched case-sensitively by the matcher.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.config import GAZETTEERS, REPO_DATA
from core.names import normalise

EXTRA_ACTORS_FILE = REPO_DATA / "nlp" / "threat_actors_extra.csv"
GAZETTEER_DIR_ENV = "INCIDENTS_GAZETTEER_DIR"  # another folder of the same CSV files (tests, experiments)

# Labels of the spans the gazetteer matcher writes (doc.spans["gazetteer"]).
AGENCY = "AGENCY"
THREAT_ACTOR = "THREAT_ACTOR"
VENDOR = "SEC_VENDOR"
SECTOR = "SECTOR"
SERVICE = "SERVICE"
COUNTRY = "COUNTRY"

TRUE_WORDS = {"1", "true", "yes", "y", "t"}


@dataclass(frozen=True)
class Entry:
    """One canonical entity and the attributes the analysis needs."""

    label: str
    name: str
    country: str | None = None
    kind: str | None = None
    ambiguous: bool = False
    extra: str | None = None  # service category / NAICS code


@dataclass
class Gazetteer:
    """Every alias (lower case) → the entries it may denote (more than one when ambiguous)."""

    aliases: dict[str, list[Entry]] = field(default_factory=dict)
    # alias surface forms as written, for case-sensitive acronym matching
    surface: dict[str, str] = field(default_factory=dict)
    sector_keywords: dict[str, list[str]] = field(default_factory=dict)
    sector_naics: dict[str, str] = field(default_factory=dict)  # sector -> NAICS code
    service_patterns: list[tuple[str, str, str]] = field(default_factory=list)  # (pattern, service, category)
    country_aliases: dict[str, str] = field(default_factory=dict)
    # code -> the common name countries.csv gives where pycountry's is formal ("Russia")
    country_common_names: dict[str, str] = field(default_factory=dict)

    def add(self, alias: str, entry: Entry) -> None:
        alias = normalise_space(alias)
        if not alias:
            return
        key = alias.lower()
        bucket = self.aliases.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)
        self.surface.setdefault(key, alias)

    def lookup(self, text: str, label: str | None = None) -> list[Entry]:
        found = self.aliases.get(normalise_space(text).lower(), [])
        return [e for e in found if label is None or e.label == label]


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip()


def split_multi(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file with lower-cased header names; [] when the file does not exist."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(line for line in handle if not line.lstrip().startswith("#"))
        rows = []
        for row in reader:
            rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
        return rows


def load_gazetteer(folder: str | None = None) -> Gazetteer:
    """Read every gazetteer file under `folder` (default $INCIDENTS_GAZETTEER_DIR, else
    data/gazetteers/); cached per folder."""
    return _load_gazetteer(folder or os.environ.get(GAZETTEER_DIR_ENV) or str(GAZETTEERS))


@functools.lru_cache(maxsize=4)
def _load_gazetteer(folder: str) -> Gazetteer:
    root = Path(folder)
    gaz = Gazetteer()
    for row in read_rows(root / "agencies.csv"):
        if not row.get("name"):
            continue
        entry = Entry(
            AGENCY, row["name"], (row.get("country") or "").upper() or None, row.get("kind") or None
        )
        for alias in [row["name"], *split_multi(row.get("aliases"))]:
            gaz.add(alias, entry)
    for row in read_rows(root / "threat_actors.csv"):
        if not row.get("name"):
            continue
        entry = Entry(
            THREAT_ACTOR,
            row["name"],
            (row.get("country") or "").upper() or None,
            row.get("kind") or None,
            (row.get("ambiguous") or "").lower() in TRUE_WORDS,
        )
        for alias in [row["name"], *split_multi(row.get("aliases"))]:
            gaz.add(alias, entry)
    # Actors of earlier years (and their aliases) kept with the analysis cues: a row naming an
    # actor already known adds its aliases to that entry rather than a second entry.
    for row in read_rows(EXTRA_ACTORS_FILE):
        if not row.get("name"):
            continue
        known = [e for e in gaz.lookup(row["name"], THREAT_ACTOR) if e.name.lower() == row["name"].lower()]
        entries = known or [
            Entry(
                THREAT_ACTOR,
                row["name"],
                (row.get("country") or "").upper() or None,
                row.get("kind") or None,
                (row.get("ambiguous") or "").lower() in TRUE_WORDS,
            )
        ]
        for entry in entries:
            for alias in [row["name"], *split_multi(row.get("aliases"))]:
                if not gaz.lookup(alias, THREAT_ACTOR):
                    gaz.add(alias, entry)
    for row in read_rows(root / "security_vendors.csv"):
        if not row.get("name"):
            continue
        entry = Entry(VENDOR, row["name"])
        for alias in [row["name"], *split_multi(row.get("aliases"))]:
            gaz.add(alias, entry)
    for row in read_rows(root / "sectors.csv"):
        if row.get("sector"):
            gaz.sector_keywords[row["sector"]] = [k.lower() for k in split_multi(row.get("keywords"))]
            gaz.sector_naics[row["sector"]] = (row.get("naics") or "").strip()
    for row in read_rows(root / "services.csv"):
        if not row.get("service"):
            continue
        for pattern in [row["service"], *split_multi(row.get("patterns"))]:
            gaz.service_patterns.append((pattern, row["service"], row.get("category") or ""))
    for row in read_rows(root / "countries.csv"):
        if row.get("alias") and row.get("code"):
            gaz.country_aliases[normalise_space(row["alias"]).lower()] = row["code"].upper()
            if (row.get("source") or "").startswith("common name") and row["alias"][:1].isupper():
                gaz.country_common_names.setdefault(row["code"].upper(), normalise_space(row["alias"]))
    return gaz


@dataclass
class AliasIndex:
    """One label's entries keyed by the merge key of every alias (`core.names.normalise`):
    what the dataset build needs to give each organisation one canonical spelling."""

    canonical: dict[str, str] = field(default_factory=dict)
    country: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> str:
        """The canonical spelling of a name, or the name itself (trimmed) when unknown."""
        cleaned = " ".join((name or "").split())
        return self.canonical.get(normalise(cleaned), cleaned)


@functools.lru_cache(maxsize=16)
def alias_index(label: str, folder: str | None = None) -> AliasIndex:
    """The AliasIndex of one label (AGENCY, THREAT_ACTOR, VENDOR) of the gazetteer in `folder`."""
    index = AliasIndex()
    for alias, entries in load_gazetteer(folder).aliases.items():
        for entry in entries:
            if entry.label != label:
                continue
            key = normalise(alias)
            if key:
                index.canonical.setdefault(key, entry.name)
            if entry.country:
                index.country.setdefault(entry.name, entry.country)
    return index
