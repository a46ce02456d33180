"""The records passed between stages, defined once.

- `PageItem`: what a spider yields and the raw store keeps (crawler → raw store).
- `AnalysisRecord`: what the analysis says of one document (analysis → extracted articles →
  dataset), the `incidents analyze` contract. Its nested parts are typed dicts, so a record
  serialises to JSON and to the parquet columns without conversion code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

import pyarrow as pa


@dataclass
class PageItem:
    """A page as received, ready for the raw store."""

    url: str
    requested_url: str
    canonical_url: str
    source: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    publisher: str | None = None
    content_kind: str = "html"
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The publication date the listing (a feed entry, a sitemap entry) gave for this URL, and
    # which kind of listing said so ("feed", "sitemap"): a date for pages that state none.
    listed_at: datetime | None = None
    listed_by: str | None = None


class Agency(TypedDict, total=False):
    """An agency involved in the incident: canonical name and ISO country."""

    name: str
    country: str | None
    alias: str
    kind: str | None


class Service(TypedDict):
    """A service the text says was hit, its status, and the sentence that says so."""

    service: str
    status: str
    sentence: str


class Statement(TypedDict):
    """Who said what: the speaker resolved to an organisation or person, and the quote."""

    speaker: str | None
    quote: str


class Mention(TypedDict, total=False):
    """One entity mention with its role in the incident and its sentence."""

    text: str
    label: str
    role: str
    sentence: str
    name: str


@dataclass
class AnalysisRecord:
    """The analysis of one document (DESIGN.md's analysis record, plus `services` with their
    evidence, `mentions`, `sector` and the run's bookkeeping)."""

    id: Any
    is_incident: bool = False
    incident_types: list[str] = field(default_factory=list)
    victims: list[str] = field(default_factory=list)
    attackers: list[str] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    services_affected: list[str] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sector: str | None = None
    statements: list[Statement] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    error: str | None = None
    truncated: bool = False
    note: str | None = None
    analyzer_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one `incidents analyze` output line); `note` only when there is one."""
        record = asdict(self)
        if record["note"] is None:
            del record["note"]
        return record


AGENCY_TYPE = pa.struct([("name", pa.string()), ("country", pa.string())])
SERVICE_TYPE = pa.struct([("service", pa.string()), ("status", pa.string()), ("sentence", pa.string())])
STATEMENT_TYPE = pa.struct([("speaker", pa.string()), ("quote", pa.string())])
MENTION_TYPE = pa.struct(
    [("text", pa.string()), ("label", pa.string()), ("role", pa.string()), ("sentence", pa.string())]
)

# The parquet columns of an AnalysisRecord as the extracted-articles table stores them
# (`error` is stored as `analysis_error`, the run's bookkeeping fields are not stored).
ANALYSIS_COLUMNS: dict[str, pa.DataType] = {
    "is_incident": pa.bool_(),
    "incident_types": pa.list_(pa.string()),
    "victims": pa.list_(pa.string()),
    "attackers": pa.list_(pa.string()),
    "agencies": pa.list_(AGENCY_TYPE),
    "services_affected": pa.list_(pa.string()),
    "services": pa.list_(SERVICE_TYPE),
    "organisations": pa.list_(pa.string()),
    "countries": pa.list_(pa.string()),
    "sector": pa.string(),
    "statements": pa.list_(STATEMENT_TYPE),
    "mentions": pa.list_(MENTION_TYPE),
}
