"""The cue lists of data/nlp/cues.toml: the words and patterns the components look for."""

from __future__ import annotations

import functools
import re
import tomllib

from core.config import REPO_DATA

CUES_FILE = REPO_DATA / "nlp" / "cues.toml"


VERB_LISTS = {"subject_verbs", "passive_verbs", "verbs"}


def inflect(words: list[str]) -> set[str]:
    """Word forms of each verb (hit → hits, hitting; affect → affecting, affected), so lists
    work without a lemmatizer; over-generated forms are harmless."""
    forms = set()
    for word in words:
        forms.add(word)
        if " " in word or not word.isalpha():
            continue
        stem = word[:-1] if word.endswith("e") else word
        forms.update({word + "s", word + "es", stem + "ed", stem + "ing", word + "d"})
        if len(word) <= 4 and word[-1] not in "aeiouwy":
            forms.update({word + word[-1] + "ing", word + word[-1] + "ed"})
    return forms


@functools.lru_cache(maxsize=2)
def load_cues(path: str | None = None) -> dict:
    """The cue lists of data/nlp/cues.toml, lists turned into frozensets where they are word sets."""
    with open(path or CUES_FILE, "rb") as handle:
        raw = tomllib.load(handle)
    cues: dict = {}
    for section, values in raw.items():
        cues[section] = {}
        for key, value in values.items():
            if isinstance(value, (int, float, str)):
                cues[section][key] = value  # a weight or a name
            elif section == "types":
                cues[section][key] = [re.compile(p, re.IGNORECASE) for p in value]
            elif isinstance(value, dict):  # a table of word lists ("typed_nouns.hospital = [...]")
                cues[section][key] = {k: frozenset(v) for k, v in value.items()}
            elif section == "services" or key in {"past_markers", "publishers"}:
                cues[section][key] = list(value)
            elif key in VERB_LISTS:
                cues[section][key] = frozenset(inflect(value))
            else:
                cues[section][key] = frozenset(value)
    return cues
