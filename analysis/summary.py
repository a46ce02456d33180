"""Short summaries of the dataset for the demo and for people at a terminal."""

from __future__ import annotations

from pathlib import Path

from analysis.cells import listed
from analysis.query import dataset_dir, load_dataset
from core.config import DataDir


def latest_incidents(data_dir: DataDir | str | Path | None = None, n: int | None = 10) -> list[dict]:
    """The most recently first-reported incidents, newest first, as plain dicts.

    Keys: incident_id, first_reported (YYYY-MM-DD), victim, types, services, agencies,
    attackers, n_sources, n_articles, title, url (the earliest source)."""
    incidents = load_dataset(data_dir, tables=("incidents",))["incidents"]
    ordered = incidents.sort_values(["first_reported_at", "incident_id"], ascending=[False, True])
    if n is not None:
        ordered = ordered.head(n)
    rows = []
    for record in ordered.to_dict("records"):
        urls = listed(record["source_urls"])
        rows.append(
            {
                "incident_id": record["incident_id"],
                "first_reported": record["first_reported_at"].strftime("%Y-%m-%d"),
                "victim": record["victim"] if isinstance(record["victim"], str) else "(unknown victim)",
                "types": listed(record["incident_types"]),
                "services": listed(record["services_affected"]),
                "agencies": listed(record["agencies"]),
                "attackers": listed(record["attackers"]),
                "n_sources": int(record["n_sources"]),
                "n_articles": int(record["n_articles"]),
                "title": record["title"] if isinstance(record["title"], str) else "",
                "url": urls[0] if urls else "",
            }
        )
    return rows


def format_incidents(rows: list[dict], width: int = 100) -> str:
    """A compact text block per incident for a terminal (the demo's closing summary)."""

    def cut(text: str, limit: int) -> str:
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    lines = []
    for row in rows:
        lines.append(
            f"{row['first_reported']}  {cut(row['victim'], 40)}  [{', '.join(row['types']) or 'unspecified'}]"
            f"  {row['n_sources']} source{'s' if row['n_sources'] != 1 else ''}"
        )
        if row["services"]:
            lines.append("    services: " + cut("; ".join(row["services"]), width - 14))
        if row["agencies"]:
            lines.append("    agencies: " + cut("; ".join(row["agencies"]), width - 14))
        if row["attackers"]:
            lines.append("    claimed/attributed: " + cut("; ".join(row["attackers"]), width - 24))
    return "\n".join(lines)


def dataset_overview(data_dir: DataDir | str | Path | None = None) -> dict:
    """Row counts, the date range and where the dataset lives."""
    dataset = load_dataset(data_dir, tables=("incidents", "articles"))
    incidents = dataset["incidents"]
    first = incidents["first_reported_at"]
    return {
        "dataset": str(dataset_dir(data_dir)),
        "incidents": len(incidents),
        "articles": len(dataset["articles"]),
        "incident_articles": int(dataset["articles"]["incident_id"].notna().sum()),
        "first_reported_from": None if first.empty else first.min().strftime("%Y-%m-%d"),
        "first_reported_to": None if first.empty else first.max().strftime("%Y-%m-%d"),
        "built_at": dataset.card.get("built_at"),
    }
