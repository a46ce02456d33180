"""The extracted-article record: what `incidents extract` writes and `incidents build` reads.

One row per stored page: the parsed fields (parsing stage) and the analysis fields (NLP
stage), with an error column per stage so one bad page is visible and loses nothing else.
"""

from __future__ import annotations

import pyarrow as pa

from core.records import ANALYSIS_COLUMNS

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

PARSED_FIELDS = [
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),
    pa.field("url", pa.string(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("publisher", pa.string()),
    pa.field("title", pa.string()),
    pa.field("text", pa.string()),
    pa.field("published_at", UTC_TIMESTAMP),
    # metadata, feed, sitemap, page_text, url or none (pipelines.parsing.dates).
    pa.field("published_source", pa.string()),
    pa.field("fetched_at", UTC_TIMESTAMP),
    pa.field("authors", pa.list_(pa.string())),
    pa.field("language", pa.string()),
    pa.field("content_kind", pa.string()),
    # Source-specific structured fields (JSON): people affected, filing numbers, breach dates.
    pa.field("record_fields", pa.string()),
    pa.field("parse_error", pa.string()),
]

# The analysis fields, typed once in core.records, then the stage's own bookkeeping.
ANALYSIS_FIELDS = [pa.field(name, type_) for name, type_ in ANALYSIS_COLUMNS.items()] + [
    pa.field("analysis_error", pa.string()),
    pa.field("extractor_version", pa.string()),
]

EXTRACTED_ARTICLE = pa.schema(PARSED_FIELDS + ANALYSIS_FIELDS)
