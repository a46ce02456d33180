"""Which incidents an export, a report or a query helper takes: filters from user input.

Every given filter must match (AND); values within one filter are alternatives (OR); text
matching ignores case. A value that can match nothing known (an incident type outside the
vocabulary, an unknown country, sector, agency, attacker or source) is an error that lists
what is known, so a typo never exports nothing silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import pandas as pd

from core.config import GAZETTEERS
from core.countries import country_code
from core.gazetteers import AGENCY, THREAT_ACTOR, alias_index, read_rows
from core.names import acronym, looks_like_acronym, normalise
from core.vocabulary import INCIDENT_TYPES


class UnknownFilterValue(ValueError):
    """A filter value that matches nothing known; the message lists the known values."""


@dataclass
class Filters:
    """What to keep; empty lists keep everything."""

    since: date | None = None
    until: date | None = None
    types: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    attackers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _parse_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def split_values(values: list[str] | str | None) -> list[str]:
    """Repeated options and comma-separated values, as one list."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def unknown(what: str, value: str, known: list[str], option: str) -> UnknownFilterValue:
    """The error for a value that matches nothing: the closest known values, then all of them."""
    close = difflib.get_close_matches(value.casefold(), [k.casefold() for k in known], n=3, cutoff=0.6)
    by_fold = {k.casefold(): k for k in known}
    hint = f" (did you mean {', '.join(repr(by_fold[c]) for c in close)}?)" if close else ""
    shown = ", ".join(sorted(known, key=str.casefold)) if known else "none yet"
    return UnknownFilterValue(f"{option}: unknown {what} {value!r}{hint}; known: {shown}")


def make_filters(
    since: str | date | None = None,
    until: str | date | None = None,
    types: list[str] | str | None = None,
    countries: list[str] | str | None = None,
    sectors: list[str] | str | None = None,
    agencies: list[str] | str | None = None,
    attackers: list[str] | str | None = None,
    sources: list[str] | str | None = None,
) -> Filters:
    """Filters from user input: ISO dates; lists or comma-separated strings.

    Types must be in the vocabulary ("data breach" and "data-breach" mean data_breach);
    countries may be codes or names ("GB", "United Kingdom", "uk"). Values that need the
    dataset to be checked (sectors, agencies, attackers, sources) are checked by
    `check_filters`."""
    codes = []
    for name in split_values(countries):
        code = country_code(name, codes_any_case=True)
        if code is None:
            raise UnknownFilterValue(
                f"--country: unknown country {name!r}: use an ISO code such as GB or a country name"
            )
        codes.append(code)
    kinds = []
    for value in split_values(types):
        kind = value.casefold().replace("-", "_").replace(" ", "_")
        if kind not in INCIDENT_TYPES:
            raise unknown("incident type", value, list(INCIDENT_TYPES), "--type")
        kinds.append(kind)
    filters = Filters(
        since=_parse_date(since),
        until=_parse_date(until),
        types=kinds,
        countries=codes,
        sectors=[s.casefold() for s in split_values(sectors)],
        agencies=split_values(agencies),
        attackers=split_values(attackers),
        sources=split_values(sources),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise ValueError("--since is after --until")
    return filters


def _values(column: pd.Series) -> set[str]:
    """Every value of a list or scalar column."""
    found: set[str] = set()
    for cell in column:
        if isinstance(cell, str):
            found.add(cell)
        elif cell is not None and not (isinstance(cell, float) and pd.isna(cell)):
            found.update(str(v) for v in cell if v is not None)
    return found


def _gazetteer_names(label: str) -> set[str]:
    return set(alias_index(label).canonical.values())


def _name_matcher(wanted: list[str], label: str):
    """A test for one name: the gazetteer's canonical form, its initials ("NCSC") or part of it."""
    gazetteer = alias_index(label)
    canonical = {normalise(gazetteer.resolve(a)) for a in wanted}
    parts = [normalise(a) for a in wanted]
    initials = {normalise(a).replace(" ", "") for a in wanted if looks_like_acronym(a)}

    def matches(name: str) -> bool:
        key = normalise(name)
        return key in canonical or acronym(key) in initials or any(p and p in key for p in parts)

    return matches


def check_filters(filters: Filters, incidents: pd.DataFrame) -> None:
    """Raise UnknownFilterValue for a value that matches no known sector, agency, attacker or
    source (known: the gazetteers' names and the dataset's own values)."""
    sectors = _values(incidents["sector"]) | {
        r["sector"] for r in read_rows(GAZETTEERS / "sectors.csv") if r.get("sector")
    }
    for wanted in filters.sectors:
        if not any(wanted in s.casefold() for s in sectors):
            raise unknown("sector", wanted, sorted(sectors), "--sector")
    for option, label, column, values in (
        ("--agency", AGENCY, "agencies", filters.agencies),
        ("--attacker", THREAT_ACTOR, "attackers", filters.attackers),
    ):
        in_data = _values(incidents[column])
        known = in_data | _gazetteer_names(label)
        for value in values:
            if not any(map(_name_matcher([value], label), known)):
                what = "agency" if label == AGENCY else "attacker"
                raise unknown(what, value, sorted(in_data), option)
    sources = _values(incidents["sources"])
    for value in filters.sources:
        if value.casefold() not in {s.casefold() for s in sources}:
            raise unknown("source", value, sorted(sources), "--source")


def _any_in(cell, wanted: set[str]) -> bool:
    return any(str(v).casefold() in wanted for v in (cell if cell is not None else ()))


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The incidents that match: dates compare with the first report (UTC, `until` inclusive);
    an agency or attacker matches by its name, a gazetteer alias, its initials or part of its name."""
    keep = pd.Series(True, index=incidents.index)
    first = incidents["first_reported_at"]
    if filters.since:
        keep &= first >= pd.Timestamp(datetime.combine(filters.since, time(), UTC))
    if filters.until:
        keep &= first < pd.Timestamp(datetime.combine(filters.until, time(), UTC)) + pd.Timedelta(days=1)
    if filters.types:
        wanted = set(filters.types)
        keep &= incidents["incident_types"].map(lambda cell: _any_in(cell, wanted))
    if filters.countries:
        keep &= incidents["country"].astype(object).isin(filters.countries) | incidents["countries"].map(
            lambda cell: _any_in(cell, {c.casefold() for c in filters.countries})
        )
    if filters.sectors:
        sectors = incidents["sector"].astype(object).map(lambda s: s.casefold() if isinstance(s, str) else "")
        keep &= sectors.map(lambda s: any(w == s or w in s for w in filters.sectors))
    for label, column, values in (
        (AGENCY, "agencies", filters.agencies),
        (THREAT_ACTOR, "attackers", filters.attackers),
    ):
        if values:
            matches = _name_matcher(values, label)
            keep &= incidents[column].map(
                lambda cell, m=matches: any(m(str(n)) for n in (cell if cell is not None else ()))
            )
    if filters.sources:
        keep &= incidents["sources"].map(lambda cell: _any_in(cell, {s.casefold() for s in filters.sources}))
    return incidents[keep.astype(bool)]
