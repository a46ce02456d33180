"""The incidents as VERIS 1.3 JSON, one file per incident, to merge with VCDB.

VERIS (the Vocabulary for Event Recording and Incident Sharing) is what the VERIS Community
Database codes public incidents in. The mapping from our fields to its enumerations is data
(data/veris.toml); every record is checked against the published schema
(data/veris/verisc-merged-1.3.7.json) before it is written, so an export never holds an
invalid record. What the articles do not say is "Unknown", as VCDB codes it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import uuid
from pathlib import Path

import jsonschema
import pandas as pd

from analysis.cells import listed
from core.config import GAZETTEERS, REPO_DATA
from core.gazetteers import read_rows

MAPPING = REPO_DATA / "veris.toml"
SCHEMA = REPO_DATA / "veris" / "verisc-merged-1.3.7.json"


def load_mapping() -> dict:
    with open(MAPPING, "rb") as handle:
        return tomllib.load(handle)


def load_schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def sector_naics() -> dict[str, str]:
    """Our sector names → NAICS codes (the gazetteer's naics column)."""
    return {row["sector"]: row["naics"] for row in read_rows(GAZETTEERS / "sectors.csv") if row.get("naics")}


def _merge(into: dict, extra: dict) -> None:
    """Merge VERIS fragments: nested dicts merge, enumeration lists union (order kept)."""
    for key, value in extra.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            into[key] = list(dict.fromkeys(into.get(key, []) + value))
        else:
            into.setdefault(key, value)


def _date(value: pd.Timestamp) -> dict:
    value = value.tz_convert("UTC")
    return {"year": value.year, "month": value.month, "day": value.day}


def master_id(incident_id: str) -> str:
    """VCDB's record ID, a version-4 UUID: here derived from our incident ID, so it is stable."""
    digest = hashlib.sha256(f"incident-tracker/veris/{incident_id}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4)).upper()


def record(
    incident: dict, statuses: list[dict], mapping: dict, naics: dict[str, str], actor_kinds: dict[str, str]
) -> dict:
    """One incident as a VERIS record."""
    types = [t for t in listed(incident["incident_types"]) if t != "unspecified"]
    action: dict = {}
    attribute: dict = {}
    motives: list[str] = []
    for kind in types:
        coded = mapping["types"].get(kind, {})
        _merge(action, coded.get("action", {}))
        _merge(attribute, coded.get("attribute", {}))
        if coded.get("motive"):
            motives.append(coded["motive"])
    availability = [mapping["service_status"].get(str(s.get("status"))) for s in statuses]
    if any(availability):
        _merge(attribute, {"availability": {"variety": sorted({v for v in availability if v})}})
    services = listed(incident["services_affected"])
    if services and "availability" in attribute:
        attribute["availability"]["notes"] = "Services affected: " + "; ".join(services)

    attackers = listed(incident["attackers"])
    if attackers:
        external: dict = {"name": attackers}
        for name in attackers:
            _merge(external, mapping["actors"].get(actor_kinds.get(name, ""), {}))
        external.setdefault("variety", ["Unknown"])
        external["motive"] = list(dict.fromkeys(external.get("motive", []) + motives)) or ["Unknown"]
        if len(external["motive"]) > 1 and "Unknown" in external["motive"]:
            external["motive"].remove("Unknown")
        if len(external["variety"]) > 1 and "Unknown" in external["variety"]:
            external["variety"].remove("Unknown")
        actor = {"external": external}
    else:
        actor = {"unknown": {"notes": "No attacker named in the reporting."}}

    industry = naics.get(incident["sector"], "000") if isinstance(incident["sector"], str) else "000"
    country = incident["country"] if isinstance(incident["country"], str) else "Unknown"
    victim = {
        "victim_id": incident["victim"] if isinstance(incident["victim"], str) else "Unknown",
        "country": [country],
        "industry": industry,
        "employee_count": "Unknown",
        "government": ["Unknown"] if industry.startswith("92") else ["NA"],
    }
    if isinstance(incident["sector"], str):
        victim["notes"] = f"Sector: {incident['sector']}"
    urls = listed(incident["source_urls"])
    first = incident["first_reported_at"]
    title = incident["title"] if isinstance(incident["title"], str) else ""
    summary = (
        f"{victim['victim_id']}: {', '.join(t.replace('_', ' ') for t in types) or 'incident'} reported "
        f"{first:%Y-%m-%d}. {title}".strip()
    )
    return {
        "schema_version": mapping["schema_version"],
        "schema_name": mapping["schema_name"],
        "incident_id": incident["incident_id"],
        "source_id": mapping["source_id"],
        "security_incident": "Confirmed",
        "confidence": mapping["confidence"],
        "summary": summary,
        "reference": "; ".join(urls),
        "timeline": {"incident": {"year": first.year, "month": first.month}},
        "victim": victim,
        "actor": actor,
        "action": action or {"unknown": {"notes": "The reporting does not say how."}},
        "asset": {"assets": [{"variety": "Unknown"}], "cloud": ["Unknown"]},
        "attribute": attribute or {"unknown": {"notes": "The reporting does not say what was affected."}},
        "discovery_method": {"unknown": True},
        "plus": {
            "master_id": master_id(incident["incident_id"]),
            "timeline": {"notification": _date(first)},
            "sources": urls,
        },
    }


def write_veris(incidents: pd.DataFrame, out_dir: Path | str, actor_kinds: dict[str, str]) -> list[Path]:
    """Write OUT/<incident_id>.json per incident, each validated against the VERIS schema."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mapping, naics = load_mapping(), sector_naics()
    validator = jsonschema.Draft4Validator(load_schema())
    written = []
    for incident in incidents.to_dict("records"):
        statuses = incident.get("services_status")
        veris = record(incident, [] if statuses is None else list(statuses), mapping, naics, actor_kinds)
        errors = sorted(validator.iter_errors(veris), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path)
            raise ValueError(
                f"VERIS record for {incident['incident_id']} is invalid at {where}: {errors[0].message}"
            )
        path = out / f"{incident['incident_id']}.json"
        path.write_text(json.dumps(veris, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
