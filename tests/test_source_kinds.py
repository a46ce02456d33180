"""Every source kind against the real answers of its real sites (fundus-style: one test, every kind).

Each kind's package keeps real captures in `sources/<kind>/fixtures/real/` with their
provenance (PROVENANCE.md) and, beside each capture, `<capture>.expected.json`:

    {"url": the URL it answered, "content_type": its Content-Type, "params": the source's params,
     "broken": why it cannot be read (or absent), "problems": [drift the reader reports],
     "skipped": {reason: n}, "entries": [one per entry the reader lists, in order:
        {"fetch": page to fetch, "url": the record's own page, "key": record key,
         "published": ISO moment, "meta": {...}, "parsed": {field: value}}]}

`parsed` holds what the kind's record parser makes of the stored record, compared field by
field (nested tables only on the keys given); every other key given is compared as it is.
The kinds come from sources.registry: a new kind's captures are tested without touching this file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.raw_store import StoredPage
from sources.common import heading_key
from sources.registry import KINDS, kind, kind_folder, record_parser


def cases() -> list[tuple[str, Path]]:
    found = []
    for name in KINDS:
        real = kind_folder(name) / "fixtures" / "real"
        for expected in sorted(real.glob("*.expected.json")):
            found.append((name, expected))
    return found


CASES = cases()


def test_every_kind_has_a_real_capture_with_its_provenance():
    covered = {name for name, _ in CASES}
    assert covered == set(KINDS), f"kinds without a real capture: {sorted(set(KINDS) - covered)}"
    for name in KINDS:
        provenance = kind_folder(name) / "fixtures" / "real" / "PROVENANCE.md"
        assert provenance.is_file(), f"{name}: no PROVENANCE.md beside its captures"
        text = provenance.read_text(encoding="utf-8")
        for _, expected in (c for c in CASES if c[0] == name):
            capture = expected.name.removesuffix(".expected.json")
            assert capture in text, f"{name}: {capture} has no provenance entry"


def test_the_fields_a_kind_requires_are_in_its_real_answers():
    """`required` is what the kind's reader checks and reports as drift: it must name fields the
    real sites send (the last part of a dotted path, headings compared as the readers do)."""
    for name in KINDS:
        declared = kind(name)
        real = kind_folder(name) / "fixtures" / "real"
        text = heading_key(" ".join(p.read_text(encoding="utf-8", errors="replace") for p in real.iterdir()))
        for field in declared.required:
            assert heading_key(field.rsplit(".", 1)[-1]) in text, (
                f"{name}: {field} is in none of its captures"
            )


@pytest.mark.parametrize(("name", "expected_file"), CASES, ids=[f"{n}/{p.name}" for n, p in CASES])
def test_real_capture_reads_as_expected(name: str, expected_file: Path):
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    capture = expected_file.with_name(expected_file.name.removesuffix(".expected.json"))
    declared = kind(name)
    reader = declared.load(expected["reader"]) if expected.get("reader") else declared.reader()
    listing = reader(
        capture.read_bytes(),
        expected["url"],
        expected.get("content_type", ""),
        params=expected.get("params", {}),
    )
    assert listing.broken == expected.get("broken"), listing.broken
    assert listing.problems == expected.get("problems", [])
    assert listing.skipped == expected.get("skipped", {})
    assert len(listing.entries) == len(expected.get("entries", [])), [
        e.fetch or e.key for e in listing.entries
    ]
    for index, (entry, wanted) in enumerate(zip(listing.entries, expected.get("entries", []))):
        where = f"{capture.name} entry {index}"
        for field in ("fetch", "url", "key"):
            if field in wanted:
                assert getattr(entry, field) == wanted[field], f"{where}: {field}"
        if "published" in wanted:
            published = entry.published.astimezone(UTC).isoformat() if entry.published else None
            assert published == wanted["published"], f"{where}: published"
        for field, value in wanted.get("meta", {}).items():
            assert entry.meta.get(field) == value, f"{where}: meta {field}"
        if "parsed" in wanted:
            parsed = parse_record(entry)
            for field, value in wanted["parsed"].items():
                assert_field(parsed.get(field), value, f"{where}: {field}")


def parse_record(entry) -> dict:
    parser = record_parser(entry.content_kind)
    assert parser is not None, f"no parser declared for content kind {entry.content_kind!r}"
    page = StoredPage(
        record_id="fixture",
        canonical_url=entry.key,
        url=entry.url or entry.key,
        requested_url=entry.key,
        source="fixture",
        publisher=None,
        content_kind=entry.content_kind,
        status=200,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        headers={"content-type": "application/json; charset=utf-8"},
        body=json.dumps(entry.record, ensure_ascii=False, default=str).encode("utf-8"),
    )
    parsed = parser(page)
    if isinstance(parsed.get("record_fields"), str):
        parsed["record_fields"] = json.loads(parsed["record_fields"])
    if isinstance(parsed.get("published_at"), datetime):
        parsed["published_at"] = parsed["published_at"].astimezone(UTC).isoformat()
    return parsed


def assert_field(actual, wanted, where: str) -> None:
    """Equal; for a table, equal on the keys the expected file gives."""
    if isinstance(wanted, dict) and isinstance(actual, dict):
        for key, value in wanted.items():
            assert_field(actual.get(key), value, f"{where}.{key}")
    else:
        assert actual == wanted, f"{where}: {actual!r} != {wanted!r}"
