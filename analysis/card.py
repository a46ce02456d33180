"""The dataset card (dataset.json) and its README: what the dataset is and where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from analysis import storage
from analysis.cluster import GAP_DAYS, IDENTICAL, SIMILAR
from analysis.schema import SCHEMAS
from core import __version__

CARD_COLUMNS = ("article_id", "source", "publisher", "is_incident", "extractor_version", "published_at")


def dataset_card(tables: dict[str, pa.Table], seconds: float) -> dict:
    """What the dataset is and where it came from, stored beside the tables; made from the
    tables themselves, so a full and an incremental build describe equal tables equally."""
    articles = tables["articles"]
    frame = pa.table(
        {
            name: articles.column(name).cast(pa.string())
            if pa.types.is_dictionary(articles.schema.field(name).type)
            else articles.column(name)
            for name in CARD_COLUMNS
        }
    ).to_pandas()
    by_source = (
        frame.groupby(frame["source"].astype(str), dropna=False)
        .agg(
            publisher=("publisher", "first"),
            articles=("article_id", "size"),
            incident_articles=("is_incident", lambda s: int(s.eq(True).sum())),
        )
        .reset_index()
    )
    versions = frame["extractor_version"].fillna("unknown").value_counts().sort_index()
    dates = frame["published_at"].dropna()  # the articles' dates (a story's, for its undated copies)
    return {
        "name": "incident-tracker dataset",
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 3),
        "builder_version": __version__,
        "extractor_versions": {str(k): int(v) for k, v in versions.items()},
        "articles_published": {
            "from": dates.min().isoformat() if len(dates) else None,
            "to": dates.max().isoformat() if len(dates) else None,
        },
        "sources": [
            {
                "source": r.source,
                "publisher": None if pd.isna(r.publisher) else str(r.publisher),
                "articles": int(r.articles),
                "incident_articles": int(r.incident_articles),
            }
            for r in by_source.itertuples()
        ],
        "rows": {name: table.num_rows for name, table in tables.items()},
        "clustering": {
            "near_duplicate_jaccard": SIMILAR,
            "identical_jaccard": IDENTICAL,
            "near_duplicates_dated_by": "the story's earliest dated copy, whatever the copies' dates",
            "incident_gap_days": GAP_DAYS,
            "incident_id": "<victim-slug>-<YYYY-MM of first report>[-n]; moved IDs in `redirects`",
        },
        "tables": {
            name: [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in SCHEMAS[name]]
            for name in storage.TABLES
        },
    }


def card_readme(card: dict) -> str:
    lines = [
        "# incident-tracker dataset",
        "",
        f"Built {card['built_at']} by incident-tracker {card['builder_version']} in "
        f"{card['build_seconds']} s. Extractor versions: "
        + (", ".join(f"{k} ({v} articles)" for k, v in card["extractor_versions"].items()) or "none")
        + ".",
        f"Articles published from {card['articles_published']['from']} to {card['articles_published']['to']}.",
        "",
        "Each table is a parquet dataset directory: `pandas.read_parquet('incidents')`, or in DuckDB",
        "`read_parquet('incidents/*.parquet')`; `incidents query \"SQL\"` has them as views.",
        "",
        "## Rows",
        "",
        *[f"- `{name}`: {rows}" for name, rows in card["rows"].items()],
        "",
        "## Sources",
        "",
        "| source | publisher | articles | incident articles |",
        "| --- | --- | --- | --- |",
        *[
            f"| {s['source']} | {s['publisher'] or ''} | {s['articles']} | {s['incident_articles']} |"
            for s in card["sources"]
        ],
        "",
        "## How articles become incidents",
        "",
        "Near-duplicate copies (syndication) are one story and count once in `n_articles`; every",
        "copy's URL stays in `source_urls`. `n_sources` counts the outlets with their own story.",
        f"Stories about one victim with gaps of at most {card['clustering']['incident_gap_days']} days "
        "are one incident. Incident IDs: " + card["clustering"]["incident_id"] + ".",
        "`incident_types` drops `unspecified` once a specific type is reported.",
        "",
        "## Schema",
    ]
    for name, fields in card["tables"].items():
        lines += ["", f"### {name}", "", "| column | type | nullable |", "| --- | --- | --- |"]
        lines += [f"| {f['name']} | `{f['type']}` | {'yes' if f['nullable'] else 'no'} |" for f in fields]
    return "\n".join(lines) + "\n"
