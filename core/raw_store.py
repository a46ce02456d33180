"""The raw store: every fetched page kept as received, in WARC files, with a SQLite index.

WARC (ISO 28500) is the archival standard, readable by warcio, pywb and the Internet
Archive's tools; the index answers "is this canonical URL stored?" and "which pages has a
stage not processed yet?" without reading the archives.
"""

from __future__ import annotations

import io
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.records import PageItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    record_id TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    requested_url TEXT NOT NULL,
    source TEXT NOT NULL,
    publisher TEXT,
    content_kind TEXT NOT NULL DEFAULT 'html',
    status INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    warc_offset INTEGER NOT NULL,
    warc_length INTEGER NOT NULL,
    listed_at TEXT,
    listed_by TEXT
);
CREATE TABLE IF NOT EXISTS processed (
    record_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (record_id, stage)
);
"""

# Headers that describe the transfer, not the page; the stored body is already decoded.
TRANSFER_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}


@dataclass
class StoredPage:
    """A page read back from the store, with its index entry."""

    record_id: str
    canonical_url: str
    url: str
    requested_url: str
    source: str
    publisher: str | None
    content_kind: str
    status: int
    fetched_at: datetime
    headers: dict[str, str]
    body: bytes
    listed_at: datetime | None = None  # the date a feed or sitemap gave for the URL
    listed_by: str | None = None  # "feed" or "sitemap"

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class RawStore:
    """Appends pages to a WARC file of its own and indexes them; safe to interrupt at any time."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.root / "index.sqlite", timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Durable across a killed process (what Ctrl-C needs) without an fsync per page.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()
        self._warc_path: Path | None = None
        self._warc_file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def _add_missing_columns(self) -> None:
        """Stores written before the listing date was kept get its columns (empty)."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(pages)")}
        for column in ("listed_at", "listed_by"):
            if column not in present:
                self._db.execute(f"ALTER TABLE pages ADD COLUMN {column} TEXT")
        self._db.commit()

    def close(self) -> None:
        if self._warc_file is not None:
            self._warc_file.close()
            self._warc_file = None
        self._db.close()

    def __enter__(self) -> RawStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def contains(self, canonical_url: str) -> bool:
        row = self._db.execute("SELECT 1 FROM pages WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return row is not None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM pages").fetchone()[0]

    def add(self, page: PageItem, prefix: str = "crawl") -> str | None:
        """Store a page; returns its record id, or None when its canonical URL is already stored."""
        if self.contains(page.canonical_url):
            return None
        writer = self._open_writer(prefix)
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        http_headers = StatusAndHeaders(
            f"{page.status}",
            [(k, v) for k, v in page.headers if k.lower().encode() not in TRANSFER_HEADERS],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            page.url,
            "response",
            payload=io.BytesIO(page.body),
            length=len(page.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Record-ID": record_id,
                "WARC-Date": page.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "IT-Requested-URI": page.requested_url,
                "IT-Source": page.source,
                **(
                    {"IT-Listed-At": page.listed_at.isoformat(), "IT-Listed-By": page.listed_by or ""}
                    if page.listed_at
                    else {}
                ),
            },
        )
        assert self._warc_file is not None and self._warc_path is not None
        offset = self._warc_file.tell()
        writer.write_record(record)
        self._warc_file.flush()
        length = self._warc_file.tell() - offset
        self._db.execute(
            "INSERT INTO pages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record_id,
                page.canonical_url,
                page.url,
                page.requested_url,
                page.source,
                page.publisher,
                page.content_kind,
                page.status,
                page.fetched_at.isoformat(),
                self._warc_path.name,
                offset,
                length,
                page.listed_at.isoformat() if page.listed_at else None,
                page.listed_by,
            ),
        )
        self._db.commit()
        return record_id

    def _open_writer(self, prefix: str) -> WARCWriter:
        if self._writer is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            self._warc_path = self.root / f"{prefix}-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.warc.gz"
            self._warc_file = open(self._warc_path, "ab")
            self._writer = WARCWriter(self._warc_file, gzip=True)
        return self._writer

    def pending(self, stage: str | None = None) -> int:
        """How many pages a stage has not processed (all pages when stage is None)."""
        if stage is None:
            return self.count()
        return self._db.execute(
            "SELECT count(*) FROM pages WHERE record_id NOT IN (SELECT record_id FROM processed WHERE stage = ?)",
            (stage,),
        ).fetchone()[0]

    def pages(self, not_processed_by: str | None = None) -> Iterator[StoredPage]:
        """Stored pages in storage order, optionally only those a stage has not processed."""
        query = "SELECT * FROM pages"
        args: tuple = ()
        if not_processed_by:
            query += " WHERE record_id NOT IN (SELECT record_id FROM processed WHERE stage = ?)"
            args = (not_processed_by,)
        query += " ORDER BY warc_file, warc_offset"
        cursor = self._db.execute(query, args)
        columns = [c[0] for c in cursor.description]
        open_file: tuple[str, io.BufferedReader] | None = None
        try:
            for row in cursor.fetchall():
                entry = dict(zip(columns, row))
                if open_file is None or open_file[0] != entry["warc_file"]:
                    if open_file is not None:
                        open_file[1].close()
                    open_file = (entry["warc_file"], open(self.root / entry["warc_file"], "rb"))
                yield _read_page(open_file[1], entry)
        finally:
            if open_file is not None:
                open_file[1].close()

    def mark_processed(self, stage: str, record_ids: Iterable[str]) -> None:
        now = datetime.now(UTC).isoformat()
        self._db.executemany(
            "INSERT OR REPLACE INTO processed VALUES (?,?,?)",
            [(record_id, stage, now) for record_id in record_ids],
        )
        self._db.commit()

    def forget_processed(self, stage: str) -> None:
        """Make every page pending again for a stage (re-running an improved extractor)."""
        self._db.execute("DELETE FROM processed WHERE stage = ?", (stage,))
        self._db.commit()


def _read_page(warc: io.BufferedReader, entry: dict) -> StoredPage:
    warc.seek(entry["warc_offset"])
    record = next(iter(ArchiveIterator(warc)))
    headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
    body = record.content_stream().read()
    return StoredPage(
        record_id=entry["record_id"],
        canonical_url=entry["canonical_url"],
        url=entry["url"],
        requested_url=entry["requested_url"],
        source=entry["source"],
        publisher=entry["publisher"],
        content_kind=entry["content_kind"],
        status=entry["status"],
        fetched_at=datetime.fromisoformat(entry["fetched_at"]),
        listed_at=datetime.fromisoformat(entry["listed_at"]) if entry.get("listed_at") else None,
        listed_by=entry.get("listed_by"),
        headers=headers,
        body=body,
    )
