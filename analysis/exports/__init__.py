"""Exports of the dataset, one module per format: spreadsheets (CSV, XLSX), one SQLite file
(for datasette), a STIX 2.1 bundle and VERIS 1.3 JSON.

    export_incidents(out, "csv" | "xlsx" | "sqlite" | "stix" | "veris", filters, data_dir)

Filters (analysis.exports.filters) choose the incidents of every format but sqlite, which
holds the whole dataset. Unknown filter values raise UnknownFilterValue.
"""

from __future__ import annotations

from pathlib import Path

from analysis.exports.filters import Filters, UnknownFilterValue, apply_filters, check_filters, make_filters
from analysis.query import load_dataset
from core.config import DataDir
from core.gazetteers import THREAT_ACTOR, load_gazetteer

FORMATS = ("csv", "xlsx", "sqlite", "stix", "veris")
# Where each format goes by default, under D/exports/.
DEFAULT_NAMES = {
    "csv": "incidents.csv",
    "xlsx": "incidents.xlsx",
    "sqlite": "incidents.db",
    "stix": "incidents.stix.json",
    "veris": "veris",
}

__all__ = [
    "DEFAULT_NAMES",
    "FORMATS",
    "Filters",
    "UnknownFilterValue",
    "apply_filters",
    "export_incidents",
    "make_filters",
]


def actor_kinds() -> dict[str, str]:
    """Threat actor → its kind in the gazetteer (ransomware, state, hacktivist, ...)."""
    kinds: dict[str, str] = {}
    for entries in load_gazetteer().aliases.values():
        for entry in entries:
            if entry.label == THREAT_ACTOR and entry.kind:
                kinds.setdefault(entry.name, entry.kind)
    return kinds


def export_incidents(
    out: Path | str,
    fmt: str = "csv",
    filters: Filters | None = None,
    data_dir: DataDir | str | Path | None = None,
) -> int:
    """Write the incidents matching `filters` to `out` in format `fmt`; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    out = Path(out)
    if fmt == "sqlite":
        from analysis.exports.sqlite import write_sqlite

        dataset = load_dataset(data_dir)
        write_sqlite(dataset, out)
        return len(dataset["incidents"])
    needs_articles = fmt in ("xlsx", "stix")
    dataset = load_dataset(data_dir, tables=("incidents", "articles") if needs_articles else ("incidents",))
    filters = filters or Filters()
    check_filters(filters, dataset["incidents"])
    incidents = apply_filters(dataset["incidents"], filters)
    if fmt in ("csv", "xlsx"):
        from analysis.exports import sheets

        out.parent.mkdir(parents=True, exist_ok=True)
        rows = sheets.summary_rows(incidents)
        if fmt == "csv":
            sheets.write_csv(rows, out)
        else:
            ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True])
            sheets.write_xlsx(rows, sheets.source_rows(ordered, dataset["articles"]), out)
    elif fmt == "stix":
        from analysis.exports.stix import write_stix

        write_stix(dataset, incidents, out, actor_kinds())
    else:
        from analysis.exports.veris import write_veris

        write_veris(incidents, out, actor_kinds())
    return len(incidents)
