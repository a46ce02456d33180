"""Journalists' exports: one row per incident, readable columns, safe to open in Excel.

Every text cell that a spreadsheet could run as a formula is neutralised (analysis.spreadsheet,
CSV injection); numbers stay numbers. CSV is UTF-8 with a BOM so Excel shows accents.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import xlsxwriter

from analysis.query import load_dataset
from analysis.spreadsheet import neutralise, safe_cell
from core.config import DataDir
from core.countries import country_code
from core.gazetteers import AGENCY, alias_index
from core.names import acronym, looks_like_acronym, normalise

LIST_SEPARATOR = "; "

# (heading, incidents column); lists are joined with LIST_SEPARATOR.
COLUMNS = [
    ("Incident ID", "incident_id"),
    ("First reported", "first_reported_at"),
    ("Last reported", "last_reported_at"),
    ("Victim", "victim"),
    ("Other victims named", "other_victims"),
    ("Country", "country"),
    ("Sector", "sector"),
    ("Incident types", "incident_types"),
    ("Claimed by / attributed to", "attackers"),
    ("Agencies involved", "agencies"),
    ("Services affected", "services_affected"),
    ("Articles", "n_articles"),
    ("Sources", "n_sources"),
    ("Headline", "title"),
    ("Source links", "source_urls"),
]


@dataclass
class Filters:
    """Which incidents to export; every given filter must match (AND), values within one
    filter are alternatives (OR); text matching ignores case."""

    since: date | None = None
    until: date | None = None
    types: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)


def _parse_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _split(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def make_filters(
    since: str | date | None = None,
    until: str | date | None = None,
    types: list[str] | str | None = None,
    countries: list[str] | str | None = None,
    sectors: list[str] | str | None = None,
    agencies: list[str] | str | None = None,
) -> Filters:
    """Filters from user input: ISO dates; lists or comma-separated strings.

    Countries may be codes or names ("GB", "United Kingdom", "uk"); unknown ones raise
    ValueError so a typo does not silently export nothing."""
    codes = []
    for name in _split(countries):
        code = country_code(name, codes_any_case=True)
        if code is None:
            raise ValueError(f"unknown country {name!r}: use an ISO code such as GB or a country name")
        codes.append(code)
    return Filters(
        since=_parse_date(since),
        until=_parse_date(until),
        types=[t.casefold().replace("-", "_").replace(" ", "_") for t in _split(types)],
        countries=codes,
        sectors=[s.casefold() for s in _split(sectors)],
        agencies=_split(agencies),
    )


def _any_in(cell, wanted: set[str]) -> bool:
    return any(str(v).casefold() in wanted for v in (cell if cell is not None else ()))


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The incidents that match: dates compare with the first report (UTC, `until` inclusive);
    an agency matches by its name, a gazetteer alias, its initials ("NCSC") or part of its
    name."""
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
    if filters.agencies:
        gazetteer = alias_index(AGENCY)
        canonical = {normalise(gazetteer.resolve(a)) for a in filters.agencies}
        parts = [normalise(a) for a in filters.agencies]
        initials = {normalise(a).replace(" ", "") for a in filters.agencies if looks_like_acronym(a)}

        def involved(cell) -> bool:
            names = [normalise(n) for n in (cell if cell is not None else ())]
            return any(
                n in canonical or acronym(n) in initials or any(p and p in n for p in parts) for n in names
            )

        keep &= incidents["agencies"].map(involved)
    return incidents[keep.astype(bool)]


def summary_rows(incidents: pd.DataFrame) -> list[dict]:
    """One dict per incident with COLUMNS' headings; dates as YYYY-MM-DD, counts as ints."""
    rows = []
    ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True])
    for record in ordered.to_dict("records"):
        main = record.get("victim")
        victims = record.get("victims")
        record["other_victims"] = [v for v in (victims if victims is not None else ()) if v != main]
        row = {}
        for heading, column in COLUMNS:
            value = record.get(column)
            if column.endswith("_at"):
                value = "" if pd.isna(value) else value.strftime("%Y-%m-%d")
            elif column.startswith("n_"):
                value = int(value)
            elif value is None or (
                not isinstance(value, str) and not hasattr(value, "__len__") and pd.isna(value)
            ):
                value = ""
            elif not isinstance(value, str):
                value = LIST_SEPARATOR.join(str(v) for v in value)
            row[heading] = value
        rows.append(row)
    return rows


def write_csv(rows: list[dict], out: Path) -> None:
    """UTF-8 with BOM, CRLF line ends, every field quoted where needed, formulas neutralised."""
    headings = [h for h, _ in COLUMNS]
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headings)
        for row in rows:
            writer.writerow([safe_cell(row[h]) for h in headings])


def write_xlsx(rows: list[dict], out: Path) -> None:
    """An Excel workbook; text is written as text (never a formula or a link), neutralised too
    so a later save as CSV stays safe."""
    headings = [h for h, _ in COLUMNS]
    workbook = xlsxwriter.Workbook(
        str(out), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    try:
        sheet = workbook.add_worksheet("Incidents")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        sheet.write_row(0, 0, headings, bold)
        for r, row in enumerate(rows, start=1):
            for c, heading in enumerate(headings):
                value = row[heading]
                if isinstance(value, str):
                    sheet.write_string(r, c, neutralise(value)[:32767], wrap)
                else:
                    sheet.write_number(r, c, value, wrap)
        widths = {"Headline": 50, "Source links": 60, "Victim": 28, "Incident ID": 28}
        for c, heading in enumerate(headings):
            sheet.set_column(c, c, widths.get(heading, 18))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(headings) - 1)
    finally:
        workbook.close()


def export_incidents(
    out: Path, fmt: str = "csv", filters: Filters | None = None, data_dir: DataDir | str | Path | None = None
) -> int:
    """Write the incidents matching `filters` to `out` (csv or xlsx); returns the row count."""
    incidents = load_dataset(data_dir, tables=("incidents",))["incidents"]
    rows = summary_rows(apply_filters(incidents, filters or Filters()))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (write_xlsx if fmt == "xlsx" else write_csv)(rows, out)
    return len(rows)
