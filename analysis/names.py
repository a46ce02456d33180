"""Organisation names as merge keys: one key per organisation however the press spells it.

"Royal Mail", "Royal Mail Group" and "ROYAL MAIL plc" must become one key, "BA" the same key
as "British Airways" when the data contains exactly one organisation with those initials,
and gazetteer aliases ("NCSC") the gazetteer's canonical name. Keys are plain ASCII-folded,
lower-case, space-separated tokens, so they are stable and cheap to compare.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pycountry

from incidents.config import GAZETTEERS

# Legal forms and corporate wrappers that do not change which organisation is meant.
LEGAL_SUFFIXES = frozenset(
    """
    inc incorporated ltd limited llc plc corp corporation co company group holdings holding
    sa ag gmbh nv bv se spa ab asa oyj pty lp llp pte bhd kk srl sas sarl
    """.split()
)
# Words that say nothing about identity on their own: never a key by themselves, never the
# short side of a prefix merge ("American" must not swallow "American Airlines").
GENERIC_WORDS = frozenset(
    """
    the a an of and for in on at american british national united royal first general city
    state states government ministry department council county university hospital bank
    international global services service health new north south east west
    """.split()
)
ACRONYM_STOPWORDS = frozenset({"of", "and", "the", "for", "in", "on", "at", "de", "la", "le", "du"})

_COUNTRY_FIXES = {"UK": "GB", "EL": "GR"}
_TOKEN = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"['’]s\b")


def fold(text: str) -> str:
    """ASCII-folded, case-folded text: accents and typographic variants do not split keys."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=200_000)
def normalise(name: str) -> str:
    """The base key of an organisation name: folded tokens, legal suffixes and 'the' dropped."""
    text = _POSSESSIVE.sub("", fold(name or "")).replace("&", " and ")
    tokens = _TOKEN.findall(text)
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def acronym(key: str) -> str:
    """Initials of a multi-word key ("british airways" → "ba"); "" for single words."""
    words = [w for w in key.split() if w not in ACRONYM_STOPWORDS]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def looks_like_acronym(name: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", name or "")
    return 2 <= len(letters) <= 6 and letters.isupper()


def slug(key: str, limit: int = 48) -> str:
    """URL- and filename-safe form of a key, for readable incident IDs."""
    text = re.sub(r"[^a-z0-9]+", "-", fold(key)).strip("-")[:limit].strip("-")
    return text or "org-" + hashlib.sha1(key.encode()).hexdigest()[:8]


@dataclass
class Gazetteer:
    """Canonical names by alias key, from data/gazetteers/*.csv (name, aliases, country...)."""

    canonical: dict[str, str] = field(default_factory=dict)
    country: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, *paths: Path) -> "Gazetteer":
        gaz = cls()
        for path in paths:
            if not Path(path).is_file():
                continue
            with open(path, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    name = (row.get("name") or "").strip()
                    if not name:
                        continue
                    aliases = re.split(r"[;|]", row.get("aliases") or "")
                    for alias in [name, *aliases]:
                        key = normalise(alias.strip())
                        if key:
                            gaz.canonical.setdefault(key, name)
                    if (row.get("country") or "").strip():
                        gaz.country.setdefault(name, row["country"].strip().upper())
        return gaz

    def resolve(self, name: str) -> str:
        """The canonical spelling of a name, or the name itself (trimmed) when unknown."""
        cleaned = " ".join((name or "").split())
        return self.canonical.get(normalise(cleaned), cleaned)


@lru_cache(maxsize=4)
def load_gazetteers(root: Path = GAZETTEERS) -> tuple[Gazetteer, Gazetteer]:
    """(agencies, threat actors); empty when the files are not there yet."""
    return Gazetteer.load(root / "agencies.csv"), Gazetteer.load(root / "threat_actors.csv")


def victim_keys(names: Iterable[str], aliases: Gazetteer | None = None) -> dict[str, str]:
    """Map every victim spelling in the data to its merge key.

    Order of rules: gazetteer alias → base key; an acronym ("BA", "NHS") maps to the one
    multi-word key in the data with those initials (left alone when several share them);
    a key that is the trailing part of exactly one longer key ("library" when the data only
    has "british library"; "mobile" → "t mobile") maps to it; a key whose leading tokens are
    another non-generic key ("toyota motor" → "toyota") maps to that shorter key. The result
    depends only on the set of names, never on their order.
    """
    names = sorted({n for n in names if n and n.strip()})
    base: dict[str, str] = {}
    for name in names:
        key = normalise(name)
        if aliases is not None and key in aliases.canonical:
            key = normalise(aliases.canonical[key])
        base[name] = key
    keys = set(base.values()) - {""}

    by_initials: dict[str, set[str]] = defaultdict(set)
    for name, key in base.items():
        initials = acronym(key)
        if initials and not looks_like_acronym(name):
            by_initials[initials].add(key)

    def shorter(key: str) -> str:
        tokens = key.split()
        for cut in range(len(tokens) - 1, 0, -1):
            prefix = " ".join(tokens[:cut])
            if prefix in keys and not set(prefix.split()) <= GENERIC_WORDS and len(prefix) >= 3:
                return prefix
        return key

    by_tail: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        tokens = key.split()
        for cut in range(1, len(tokens)):
            by_tail[" ".join(tokens[cut:])].add(key)

    def longer(key: str) -> str:
        if set(key.split()) <= GENERIC_WORDS or len(key) < 4 or len(by_tail.get(key, ())) != 1:
            return key
        return next(iter(by_tail[key]))

    resolved: dict[str, str] = {}
    for name, key in base.items():
        if looks_like_acronym(name):
            letters = re.sub(r"[^a-z]", "", fold(name))
            if len(by_initials.get(letters, ())) == 1:
                key = next(iter(by_initials[letters]))
        resolved[name] = shorter(longer(key))
    return resolved


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 for a code or a country name; None when it is neither."""
    text = (value or "").strip()
    if not text:
        return None
    upper = _COUNTRY_FIXES.get(text.upper(), text.upper())
    if len(upper) == 2 and pycountry.countries.get(alpha_2=upper):
        return upper
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None
