"""The extracted-article record: what `incidents extract` writes and `incidents build` reads.

One row per stored page: the parsed fields (parsing stage) and the analysis fields (NLP
stage), with an error column per stage so one bad page is visible and loses nothing else.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

AGENCY = pa.struct([("name", pa.string()), ("country", pa.string())])
SERVICE = pa.struct([("service", pa.string()), ("status", pa.string()), ("sentence", pa.string())])
STATEMENT = pa.struct([("speaker", pa.string()), ("quote", pa.string())])
MENTION = pa.struct(
    [("text", pa.string()), ("label", pa.string()), ("role", pa.string()), ("sentence", pa.string())]
)

PARSED_FIELDS = [
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),
    pa.field("url", pa.string(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("title", pa.string()),
    pa.field("text", pa.string()),
    pa.field("published_at", UTC_TIMESTAMP),
    pa.field("fetched_at", UTC_TIMESTAMP),
    pa.field("authors", pa.list_(pa.string())),
    pa.field("language", pa.string()),
    pa.field("content_kind", pa.string()),
    # Source-specific structured fields (JSON): people affected, filing numbers, breach dates.
    pa.field("record_fields", pa.string()),
    pa.field("parse_error", pa.string()),
]

ANALYSIS_FIELDS = [
    pa.field("is_incident", pa.bool_()),
    pa.field("incident_types", pa.list_(pa.string())),
    pa.field("victims", pa.list_(pa.string())),
    pa.field("attackers", pa.list_(pa.string())),
    pa.field("agencies", pa.list_(AGENCY)),
    pa.field("services_affected", pa.list_(pa.string())),
    pa.field("services", pa.list_(SERVICE)),
    pa.field("organisations", pa.list_(pa.string())),
    pa.field("countries", pa.list_(pa.string())),
    pa.field("sector", pa.string()),
    pa.field("statements", pa.list_(STATEMENT)),
    pa.field("mentions", pa.list_(MENTION)),
    pa.field("analysis_error", pa.string()),
    pa.field("extractor_version", pa.string()),
]

EXTRACTED_ARTICLE = pa.schema(PARSED_FIELDS + ANALYSIS_FIELDS)
