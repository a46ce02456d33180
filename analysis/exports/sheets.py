"""Journalists' spreadsheets: one row per incident, readable columns, safe to open in Excel.

CSV: UTF-8 with a BOM (Excel shows accents), and every text cell that a spreadsheet could
run as a formula is neutralised as OWASP recommends (analysis.spreadsheet.neutralise).

XLSX: cells are typed, so no guard is needed or shown: text is written as text (never a
formula), dates as Excel dates, counts as numbers, and source links as real hyperlinks
(http and https only). A second sheet lists every source article with its link.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from analysis.cells import listed
from analysis.spreadsheet import neutralise

LIST_SEPARATOR = "; "
# Excel's limits: characters in a cell, characters in a link, links in a worksheet.
MAX_CELL = 32767
MAX_URL = 2079
MAX_LINKS = 65530

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
SOURCE_COLUMNS = ["Incident ID", "Victim", "Publisher", "Published", "Headline", "Link"]


def summary_rows(incidents: pd.DataFrame) -> list[dict]:
    """One dict per incident with COLUMNS' headings, newest first: dates as `date`, counts as
    ints, lists as lists of strings, missing text as ""."""
    rows = []
    ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True])
    for record in ordered.to_dict("records"):
        main = record.get("victim")
        record["other_victims"] = [v for v in listed(record.get("victims")) if v != main]
        row = {}
        for heading, column in COLUMNS:
            value = record.get(column)
            if column.endswith("_at"):
                value = None if pd.isna(value) else value.tz_convert("UTC").date()
            elif column.startswith("n_"):
                value = int(value)
            elif isinstance(value, str):
                pass
            elif value is None or (not hasattr(value, "__len__") and pd.isna(value)):
                value = ""
            else:
                value = [str(v) for v in value]
            row[heading] = value
        rows.append(row)
    return rows


def _csv_cell(value):
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    return neutralise(value) if isinstance(value, str) else value


def write_csv(rows: list[dict], out: Path) -> None:
    """UTF-8 with BOM, CRLF line ends, every field quoted where needed, formulas neutralised."""
    headings = [h for h, _ in COLUMNS]
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headings)
        for row in rows:
            writer.writerow([_csv_cell(row[h]) for h in headings])


def linkable(url: str) -> bool:
    """Only web links become hyperlinks (never javascript:, file: or an over-long URL)."""
    return url.startswith(("http://", "https://")) and len(url) <= MAX_URL


def source_rows(incidents: pd.DataFrame, articles: pd.DataFrame) -> list[list]:
    """One row per source article of the exported incidents, in the incidents' order."""
    order = {key: i for i, key in enumerate(incidents["incident_id"])}
    victims = dict(zip(incidents["incident_id"], incidents["victim"]))
    chosen = articles[articles["incident_id"].isin(order)].copy()
    chosen["rank"] = chosen["incident_id"].map(order)
    rows = []
    for a in chosen.sort_values(["rank", "published_at", "article_id"]).to_dict("records"):
        published = a["published_at"]
        rows.append(
            [
                a["incident_id"],
                victims.get(a["incident_id"]) if isinstance(victims.get(a["incident_id"]), str) else "",
                str(a["publisher"]) if isinstance(a["publisher"], str) else str(a["source"] or ""),
                None if pd.isna(published) else published.tz_convert("UTC").date(),
                a["title"] if isinstance(a["title"], str) else "",
                a["url"],
            ]
        )
    return rows


class _Sheet:
    """Writes typed cells: text as text, dates as dates, numbers as numbers, links as links."""

    def __init__(self, workbook: xlsxwriter.Workbook, name: str, headings: list[str]) -> None:
        self.sheet = workbook.add_worksheet(name)
        self.text = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
        self.link = workbook.add_format(
            {"font_color": "blue", "underline": 1, "valign": "top", "text_wrap": True}
        )
        self.links = 0
        bold = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        self.sheet.write_row(0, 0, headings, bold)
        self.sheet.freeze_panes(1, 0)
        self.width = len(headings)

    def write(self, r: int, c: int, value) -> None:
        if isinstance(value, date):
            self.sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), self.day)
        elif isinstance(value, (int, float)):
            self.sheet.write_number(r, c, value, self.text)
        elif value is None:
            self.sheet.write_blank(r, c, None, self.text)
        else:
            text = LIST_SEPARATOR.join(value) if isinstance(value, list) else value
            self.sheet.write_string(r, c, text[:MAX_CELL], self.text)

    def write_link(self, r: int, c: int, url: str, label: str | None = None) -> None:
        if linkable(url) and self.links < MAX_LINKS:
            self.links += 1
            self.sheet.write_url(r, c, url, self.link, string=(label or url)[:MAX_CELL])
        else:
            self.write(r, c, label or url)

    def finish(self, rows: int, widths: dict[int, int]) -> None:
        for c in range(self.width):
            self.sheet.set_column(c, c, widths.get(c, 18))
        self.sheet.autofilter(0, 0, max(rows, 1), self.width - 1)


def write_xlsx(rows: list[dict], sources: list[list], out: Path) -> None:
    """An Excel workbook: sheet Incidents (one row each; the first source link clickable) and
    sheet Sources (every article, linked)."""
    headings = [h for h, _ in COLUMNS]
    workbook = xlsxwriter.Workbook(
        str(out), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    try:
        incidents = _Sheet(workbook, "Incidents", headings)
        links_at = headings.index("Source links")
        for r, row in enumerate(rows, start=1):
            for c, heading in enumerate(headings):
                if c == links_at and row[heading]:
                    urls = row[heading]
                    more = f" (+{len(urls) - 1} more on the Sources sheet)" if len(urls) > 1 else ""
                    incidents.write_link(r, c, urls[0], urls[0] + more)
                else:
                    incidents.write(r, c, row[heading])
        named = {h: i for i, h in enumerate(headings)}
        incidents.finish(
            len(rows), {named["Headline"]: 50, links_at: 60, named["Victim"]: 28, named["Incident ID"]: 28}
        )
        sheet = _Sheet(workbook, "Sources", SOURCE_COLUMNS)
        for r, values in enumerate(sources, start=1):
            for c, value in enumerate(values[:-1]):
                sheet.write(r, c, value)
            sheet.write_link(r, len(values) - 1, values[-1])
        sheet.finish(len(sources), {0: 28, 1: 28, 2: 24, 3: 12, 4: 60, 5: 70})
    finally:
        workbook.close()
