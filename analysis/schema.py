"""The dataset's tables: explicit pyarrow schemas and the pandera checks run before writing
(pandera loads on the first check: a build with nothing to check does not pay for it).

Columns of the dataset contract (docs/architecture.md, "Dataset tables") come first and keep their names; extra columns follow. Strings
with few distinct values (source, country, label...) are dictionary-encoded, so pandas reads
them as categoricals and parquet stores them compactly.
"""

from __future__ import annotations

import functools

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.vocabulary import INCIDENT_TYPES, PUBLISHED_SOURCES, ROLES

UTC = pa.timestamp("us", tz="UTC")
CATEGORY = pa.dictionary(pa.int32(), pa.string())
STRINGS = pa.list_(pa.string())


ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("source", CATEGORY),
        pa.field("publisher", CATEGORY),
        pa.field("title", pa.string()),
        pa.field("published_at", UTC),
        pa.field("fetched_at", UTC),
        pa.field("language", CATEGORY),
        pa.field("text", pa.string()),
        pa.field("is_incident", pa.bool_()),
        pa.field("incident_types", STRINGS),
        pa.field("victims", STRINGS),
        pa.field("incident_id", pa.string()),
        # Extra: the story (earliest near-duplicate copy) this article belongs to.
        pa.field("story_id", pa.string()),
        pa.field("is_copy", pa.bool_()),
        # Extra: where published_at came from: metadata, feed, sitemap, page_text, url or none.
        pa.field("published_source", CATEGORY),
        pa.field("attackers", STRINGS),
        pa.field("agencies", STRINGS),
        pa.field("services_affected", STRINGS),
        pa.field("countries", STRINGS),
        pa.field("sector", CATEGORY),
        pa.field("extractor_version", CATEGORY),
        pa.field("parse_error", pa.string()),
        pa.field("analysis_error", pa.string()),
    ]
)

SERVICE_STATUS = pa.struct(
    [
        ("service", pa.string()),
        ("status", pa.string()),
        ("reported_at", UTC),
        ("article_id", pa.string()),
        ("sentence", pa.string()),
    ]
)
EVIDENCE = pa.struct([("field", pa.string()), ("value", pa.string()), ("article_ids", STRINGS)])

INCIDENTS = pa.schema(
    [
        pa.field("incident_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("victim", pa.string()),
        pa.field("country", CATEGORY),
        pa.field("sector", CATEGORY),
        pa.field("incident_types", STRINGS),
        pa.field("attackers", STRINGS),
        pa.field("agencies", STRINGS),
        pa.field("services_affected", STRINGS),
        pa.field("first_reported_at", UTC),
        pa.field("last_reported_at", UTC),
        pa.field("n_articles", pa.int32()),
        pa.field("n_sources", pa.int32()),
        pa.field("source_urls", STRINGS),
        # Extra columns.
        pa.field("victim_key", pa.string()),
        pa.field("victims", STRINGS),
        pa.field("countries", STRINGS),
        pa.field("sources", STRINGS),
        pa.field("n_urls", pa.int32()),
        pa.field("n_statements", pa.int32()),
        pa.field("services_status", pa.list_(SERVICE_STATUS)),
        pa.field("article_ids", STRINGS),
        pa.field("evidence", pa.list_(EVIDENCE)),
    ]
)

MENTIONS = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("incident_id", pa.string()),
        pa.field("text", pa.string()),
        pa.field("label", CATEGORY),
        pa.field("role", CATEGORY),
        pa.field("sentence", pa.string()),
    ]
)

STATEMENTS = pa.schema(
    [
        pa.field("incident_id", pa.string()),
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("speaker", pa.string()),
        pa.field("quote", pa.string()),
        pa.field("url", pa.string()),
        pa.field("published_at", UTC),
        pa.field("source", CATEGORY),
    ]
)

REDIRECTS = pa.schema(
    [
        pa.field("old_incident_id", pa.string(), nullable=False),
        pa.field("incident_id", pa.string(), nullable=False),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "incidents": INCIDENTS,
    "mentions": MENTIONS,
    "statements": STATEMENTS,
    "redirects": REDIRECTS,
}


@functools.cache
def checks() -> dict:
    """The pandera checks of each table (pandera imported here, on first use)."""
    import pandera.pandas as pa_check

    def _all_in(allowed: tuple[str, ...] | list[str]):
        allowed = frozenset(allowed)
        return pa_check.Check(
            lambda s: s.map(lambda v: v is None or set(v) <= allowed), name=f"values in {sorted(allowed)}"
        )

    _ID = pa_check.Column(nullable=False, unique=True, checks=pa_check.Check.str_matches(r"^[a-z0-9-]+$"))

    return {
        "incidents": pa_check.DataFrameSchema(
            {
                "incident_id": _ID,
                "country": pa_check.Column(
                    nullable=True,
                    checks=pa_check.Check(lambda s: s.dropna().astype(str).str.fullmatch(r"[A-Z]{2}")),
                ),
                "incident_types": pa_check.Column(checks=_all_in(INCIDENT_TYPES)),
                "n_articles": pa_check.Column(checks=pa_check.Check.ge(1)),
                "n_sources": pa_check.Column(checks=pa_check.Check.ge(1)),
                "source_urls": pa_check.Column(checks=pa_check.Check(lambda s: s.map(len) >= 1)),
                "first_reported_at": pa_check.Column(nullable=False),
            },
            checks=pa_check.Check(
                lambda df: df["first_reported_at"] <= df["last_reported_at"], name="first <= last"
            ),
        ),
        "articles": pa_check.DataFrameSchema(
            {
                "article_id": pa_check.Column(nullable=False, unique=True),
                "url": pa_check.Column(nullable=False),
                "incident_types": pa_check.Column(nullable=True, checks=_all_in(INCIDENT_TYPES)),
                "published_source": pa_check.Column(
                    nullable=True,
                    checks=pa_check.Check(lambda s: s.dropna().astype(str).isin(PUBLISHED_SOURCES)),
                ),
            }
        ),
        "mentions": pa_check.DataFrameSchema(
            {
                "article_id": pa_check.Column(nullable=False),
                "role": pa_check.Column(
                    nullable=True, checks=pa_check.Check(lambda s: s.dropna().astype(str).isin(ROLES))
                ),
            }
        ),
        "statements": pa_check.DataFrameSchema(
            {"article_id": pa_check.Column(nullable=False), "quote": pa_check.Column(nullable=True)}
        ),
        "redirects": pa_check.DataFrameSchema(
            {"old_incident_id": pa_check.Column(nullable=False, unique=True)}
        ),
    }


def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Raise pandera's SchemaErrors (all failures at once) when a table breaks its contract."""
    return checks()[name].validate(frame, lazy=True)


def check_unique(name: str, table: pa.Table) -> None:
    """Raise ValueError when a column the checks declare unique repeats a value anywhere in
    `table` (an incremental build checks its new rows with `validate`, and this over all)."""
    for column, spec in checks()[name].columns.items():
        if spec.unique and pc.count_distinct(table.column(column)).as_py() != table.num_rows:
            raise ValueError(f"table {name}: column {column} repeats values")


def to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    """The frame as a table with exactly the table's schema (column order, types)."""
    schema = SCHEMAS[name]
    return pa.Table.from_arrays([_column(frame[f.name], f.type) for f in schema], schema=schema)


def arrow_column(name: str, column: str, values: pd.Series) -> pa.Array:
    """One column of a table, typed as the table's schema says."""
    return _column(values, SCHEMAS[name].field(column).type)


def _column(values: pd.Series, kind: pa.DataType) -> pa.Array:
    if len(values) == 0:
        return pa.array([], type=kind)
    if pa.types.is_dictionary(kind):
        plain = values.astype(object).where(values.notna(), None)
        return pa.array(plain, type=kind.value_type, from_pandas=True).dictionary_encode().cast(kind)
    return pa.array(values, type=kind, from_pandas=True)
