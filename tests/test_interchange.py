"""incidents export stix | veris | sqlite: valid STIX 2.1, VERIS records that match the published
schema, one SQLite file with foreign keys, full-text search and column descriptions."""

from __future__ import annotations

import json
import re
import tomllib

import jsonschema
import pytest
import sqlite_utils
import stix2validator
from fixtures.dataset.factory import sample_rows, write_extracted

from analysis.build import build_dataset
from analysis.exports import make_filters
from analysis.exports.sqlite import COLUMN_DESCRIPTIONS, metadata
from analysis.exports.veris import SCHEMA, load_mapping
from analysis.schema import SCHEMAS
from core.config import DataDir
from core.vocabulary import INCIDENT_TYPES
from incidents.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> DataDir:
    data_dir = DataDir.resolve(tmp_path_factory.mktemp("interchange"))
    write_extracted(data_dir.extracted, sample_rows())
    build_dataset(data_dir)
    return data_dir


def export(data_dir, fmt, out, *options) -> None:
    assert main(["export", fmt, "--out", str(out), "--data-dir", str(data_dir.root), *options]) == 0


def test_stix_bundle_passes_the_stix2_validator(data_dir, tmp_path):
    out = tmp_path / "bundle.json"
    export(data_dir, "stix", out)
    results = stix2validator.validate_file(str(out), stix2validator.ValidationOptions(version="2.1"))
    errors = [e for r in results.object_results for e in r.errors]
    warnings = {re.search(r"\{(\d+)\}", str(w)).group(1) for r in results.object_results for w in r.warnings}
    assert results.is_valid and not errors
    # The only advice left: external references (article URLs) carry no hash of the page.
    assert warnings <= {"302"}
    objects = json.loads(out.read_text())["objects"]
    kinds = [o["type"] for o in objects]
    assert kinds.count("report") == kinds.count("incident") == 6
    refs = {o["id"]: o for o in objects}
    incident = next(
        o
        for o in objects
        if o["type"] == "incident" and o["external_references"][0]["external_id"] == "royal-mail-2023-01"
    )
    royal = next(o for o in objects if o["type"] == "report" and incident["id"] in o["object_refs"])
    assert royal["name"] == incident["name"] == "Royal Mail: ransomware"
    included = [refs[r]["type"] for r in royal["object_refs"]]
    assert {"identity", "incident", "threat-actor", "sighting", "relationship"} <= set(included)
    victim = next(refs[r] for r in royal["object_refs"] if refs[r]["type"] == "identity")
    assert victim["identity_class"] == "organization" and victim["name"] == "Royal Mail"
    sighting = next(refs[r] for r in royal["object_refs"] if refs[r]["type"] == "sighting")
    assert refs[sighting["sighting_of_ref"]]["name"] == "LockBit"
    assert sighting["where_sighted_refs"] == [victim["id"]]
    assert {r["source_name"] for r in royal["external_references"]} >= {"Packetledger", "Breachdesk"}
    # One LockBit across its two incidents; a second export gives the same IDs.
    assert sum(1 for o in objects if o["type"] == "threat-actor" and o["name"] == "LockBit") == 1
    again = tmp_path / "again.json"
    export(data_dir, "stix", again)
    assert {o["id"] for o in json.loads(again.read_text())["objects"]} == set(refs)


def test_veris_records_match_the_published_schema(data_dir, tmp_path):
    out = tmp_path / "veris"
    export(data_dir, "veris", out)
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))
    files = sorted(out.glob("*.json"))
    assert len(files) == 6
    for path in files:
        record = json.loads(path.read_text())
        assert not list(validator.iter_errors(record)), path.name
    royal = json.loads((out / "royal-mail-2023-01.json").read_text())
    assert royal["schema_version"] == "1.3.7" and royal["victim"]["victim_id"] == "Royal Mail"
    assert royal["victim"]["country"] == ["GB"]
    assert royal["action"]["malware"]["variety"] == ["Ransomware"]
    assert royal["actor"]["external"]["name"] == ["LockBit"]
    assert royal["actor"]["external"]["variety"] == ["Organized crime"]
    assert sorted(royal["attribute"]["availability"]["variety"]) == ["Interruption", "Obscuration"]
    assert royal["timeline"]["incident"] == {"year": 2023, "month": 1}
    assert royal["reference"].count("https://") == 3
    ba = json.loads((out / "british-airways-2018-09.json").read_text())
    assert ba["attribute"]["confidentiality"]["data_disclosure"] == "Yes"
    assert "unknown" in ba["actor"]


def test_veris_mapping_covers_the_vocabulary():
    mapping = load_mapping()
    assert set(mapping["types"]) == set(INCIDENT_TYPES) - {"unspecified"}


def test_veris_export_takes_filters(data_dir, tmp_path):
    out = tmp_path / "v"
    export(data_dir, "veris", out, "--type", "ddos")
    assert [p.name for p in out.glob("*.json")] == ["royal-mail-2023-09.json"]


def test_sqlite_file_has_foreign_keys_search_and_descriptions(data_dir, tmp_path):
    out = tmp_path / "incidents.db"
    export(data_dir, "sqlite", out)
    db = sqlite_utils.Database(out)
    assert {"incidents", "articles", "mentions", "statements", "redirects"} <= set(db.table_names())
    fks = {(fk.table, fk.column, fk.other_table) for name in db.table_names() for fk in db[name].foreign_keys}
    assert ("articles", "incident_id", "incidents") in fks
    assert ("mentions", "article_id", "articles") in fks
    found = {r["incident_id"] for r in db["incidents"].search("Royal Mail")}
    assert found == {"royal-mail-2023-01", "royal-mail-2023-09"}
    assert db["articles"].detect_fts() == "articles_fts"
    royal = db["incidents"].get("royal-mail-2023-01")
    assert json.loads(royal["agencies"]) == ["National Cyber Security Centre", "National Crime Agency"]
    assert royal["first_reported_at"].startswith("2023-01-11T10:00")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    described = json.loads((tmp_path / "incidents.metadata.json").read_text())
    assert described["databases"]["incidents"]["tables"]["articles"]["columns"]["url"]


def test_every_column_has_a_description():
    with open(COLUMN_DESCRIPTIONS, "rb") as handle:
        described = tomllib.load(handle)
    for name, schema in SCHEMAS.items():
        assert set(described[name]) == set(schema.names), name
    tables = metadata()["databases"]["incidents"]["tables"]
    assert {"array": "incident_types"} in tables["incidents"]["facets"]
    assert tables["incidents"]["columns"]["victim"]


def test_filters_reject_unknown_types():
    with pytest.raises(ValueError, match="ransomware"):
        make_filters(types="ransomwar")
