"""Organisation names as merge keys: one key per organisation however the press spells it.

"Royal Mail", "Royal Mail Group" and "ROYAL MAIL plc" must become one key, "BA" the same key
as "British Airways" when the data contains exactly one organisation with those initials,
and gazetteer aliases ("NCSC") the gazetteer's canonical name. Keys are plain ASCII-folded,
lower-case, space-separated tokens, so they are stable and cheap to compare.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.gazetteers import AliasIndex


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


def victim_keys(names: Iterable[str], aliases: AliasIndex | None = None) -> dict[str, str]:
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


# Display forms and lenient matching, for the analysis of one document.
CORPORATE_SUFFIX = re.compile(
    r"(?:,?\s+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|llp|lp|ag|sa|nv|bv|gmbh|se|pty|holdings?|group plc))\.?$",
    re.IGNORECASE,
)
LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
POSSESSIVE = re.compile(r"\s*['’]s?$")


@lru_cache(maxsize=65536)
def clean_name(text: str) -> str:
    """A display form of an organisation name: no leading article, possessive or Inc./Ltd."""
    name = re.sub(r"\s+", " ", text.replace("’", "'")).strip(" ,.;:\"“”'")
    name = LEADING_ARTICLE.sub("", name)
    name = POSSESSIVE.sub("", name)
    previous = None
    while previous != name:
        previous = name
        name = CORPORATE_SUFFIX.sub("", name).strip(" ,")
    return name


def name_key(text: str) -> str:
    """The comparison key of a name: its merge key (`normalise`)."""
    return normalise(text)


def names_match(a: str, b: str) -> bool:
    """Lenient identity of two organisation names: one contains the other word-wise, or acronym."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    if len(short) >= 3 and _contains_word(long_, short):
        return True
    return is_acronym(a, b) or is_acronym(b, a)


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")


def _contains_word(text: str, word: str) -> bool:
    return _word_pattern(word).search(text) is not None


def is_acronym(short: str, long_: str) -> bool:
    """True when `short` (e.g. "NCA") is the initials of `long_` ("National Crime Agency")."""
    s = clean_name(short).replace("&", "")
    if not (2 <= len(s) <= 6 and s.isalpha() and s[0].isupper() and sum(c.isupper() for c in s) >= 2):
        return False
    words = [w for w in re.split(r"[\s\-]+", clean_name(long_)) if w and w[0].isalpha()]
    if len(words) < 2:
        return False
    initials = "".join(w[0] for w in words if w[0].isupper())
    return initials == s.upper() or "".join(w[0] for w in words).upper() == s.upper()
