"""The one country normaliser: ISO 3166-1 alpha-2 codes for codes, names, aliases, demonyms."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from core.gazetteers import load_gazetteer
from core.names import LEADING_ARTICLE


@lru_cache(maxsize=8192)
def country_code(text: str, codes_any_case: bool = False) -> str | None:
    """ISO 3166-1 alpha-2 for a code ("GB", "UK"), a name, an alias or a demonym ("British");
    None when the text is not a country. In prose a lower-case "us" is a pronoun, so codes
    count only in capitals unless `codes_any_case` (user input such as a filter value).
    Aliases pycountry does not know are data (data/gazetteers/countries.csv)."""
    raw = re.sub(r"\s+", " ", (text or "").replace("’", "'")).strip(" .,;:")
    if codes_any_case and len(raw) == 2:
        raw = raw.upper()
    key = re.sub(r"'s$", "", LEADING_ARTICLE.sub("", raw).lower())
    if not key:
        return None
    aliases = load_gazetteer().country_aliases
    if key in aliases:
        return aliases[key]
    if len(raw) == 2 and raw.isupper() and pycountry.countries.get(alpha_2=raw):
        return raw
    if len(key) <= 3 and not raw.isupper():
        return None
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return None


@lru_cache(maxsize=512)
def country_name(code: str) -> str | None:
    """The common English name of an ISO 3166-1 alpha-2 code ("KP" -> "North Korea", "RU" ->
    "Russia"): pycountry's common name, else the one countries.csv gives, else the formal one."""
    country = pycountry.countries.get(alpha_2=(code or "").upper()) if code else None
    if country is None:
        return None
    common = getattr(country, "common_name", None) or load_gazetteer().country_common_names.get(
        country.alpha_2
    )
    return common or country.name
