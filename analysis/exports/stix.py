"""The incidents as a STIX 2.1 bundle, for threat-intelligence platforms (OpenCTI, MISP...).

Per incident: an Incident, an Identity for the victim (an organisation), a ThreatActor per
group that claimed it or was named as behind it, with a `targets` relationship to the victim
and a Sighting of the actor at the victim (first and last report as first/last seen), all
grouped in a Report whose external references are the articles (publisher, URL). IDs are
UUIDv5 of stable names, so an actor or a victim is one object across incidents and a re-export
gives the same IDs. The producer is one Identity, the `created_by_ref` of everything.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pandas as pd
import stix2

from analysis.cells import listed
from analysis.query import Dataset

NAMESPACE = uuid.UUID("6b1f2a4e-6d1c-4f0b-9a52-9f3d1c6a7e15")
PRODUCER = stix2.Identity(
    id="identity--0d5b2b64-3c5e-4f3a-9e41-6a1f7c2d8b90",
    name="incident-tracker",
    identity_class="system",
    description="Incidents extracted from public press coverage and official statements.",
    created="2024-01-01T00:00:00Z",
    modified="2024-01-01T00:00:00Z",
)
# Threat-actor kinds in data/gazetteers/threat_actors.csv → STIX threat-actor-type-ov.
ACTOR_TYPES = {
    "ransomware": ["crime-syndicate"],
    "extortion": ["crime-syndicate"],
    "cybercrime": ["criminal"],
    "malware": ["criminal"],
    "state": ["nation-state"],
    "hacktivist": ["activist"],
}


def _id(kind: str, name: str) -> str:
    """A stable ID: a version-4 UUID whose random bits are a hash of the object's name (STIX
    asks for UUIDv4 on domain objects; a hash keeps one actor one object across exports)."""
    digest = hashlib.sha256(f"{NAMESPACE}/{kind}/{name}".encode()).digest()[:16]
    return f"{kind}--{uuid.UUID(bytes=digest, version=4)}"


def _time(value: pd.Timestamp) -> str:
    return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def incident_objects(incident: dict, articles: pd.DataFrame, actor_kinds: dict[str, str]) -> list:
    """The STIX objects of one incident, the Report last."""
    first, last = _time(incident["first_reported_at"]), _time(incident["last_reported_at"])
    stamps = {"created": first, "modified": last, "created_by_ref": PRODUCER.id}
    victim_name = incident["victim"] if isinstance(incident["victim"], str) else "unknown victim"
    types = ", ".join(t.replace("_", " ") for t in listed(incident["incident_types"]))
    refs = [
        {
            "source_name": str(a.publisher or a.source),
            "url": a.url,
            **({"description": f"published {a.published_at:%Y-%m-%d}"} if pd.notna(a.published_at) else {}),
        }
        for a in articles.itertuples()
    ] or [{"source_name": "article", "url": u} for u in listed(incident["source_urls"])]
    victim = stix2.Identity(
        id=_id("identity", f"victim/{incident['victim_key'] or victim_name}"),
        name=victim_name,
        identity_class="organization",
        **stamps,
        **({"description": f"Sector: {incident['sector']}"} if isinstance(incident["sector"], str) else {}),
    )
    event = stix2.Incident(
        id=_id("incident", incident["incident_id"]),
        name=f"{victim_name}: {types or 'incident'}",
        description=incident["title"] if isinstance(incident["title"], str) else victim_name,
        external_references=[{"source_name": "incident-tracker", "external_id": incident["incident_id"]}],
        **stamps,
    )
    objects = [victim, event]
    for name in listed(incident["attackers"]):
        kinds = ACTOR_TYPES.get(actor_kinds.get(name, ""), [])
        actor = stix2.ThreatActor(
            id=_id("threat-actor", name),
            name=name,
            created=first,
            modified=first,
            created_by_ref=PRODUCER.id,
            **({"threat_actor_types": kinds} if kinds else {}),
        )
        objects += [
            actor,
            stix2.Relationship(
                id=_id("relationship", f"{incident['incident_id']}/{name}/targets"),
                relationship_type="targets",
                source_ref=actor.id,
                target_ref=victim.id,
                **stamps,
            ),
            stix2.Sighting(
                id=_id("sighting", f"{incident['incident_id']}/{name}"),
                sighting_of_ref=actor.id,
                where_sighted_refs=[victim.id],
                first_seen=first,
                last_seen=last,
                count=int(incident["n_sources"]),
                **stamps,
            ),
        ]
    report = stix2.Report(
        id=_id("report", incident["incident_id"]),
        name=event.name,
        description=event.description,
        published=first,
        report_types=["threat-report"],
        object_refs=[o.id for o in objects],
        external_references=refs,
        **stamps,
    )
    return objects + [report]


def bundle(dataset: Dataset, incidents: pd.DataFrame, actor_kinds: dict[str, str]) -> stix2.Bundle:
    """One bundle holding every incident's objects; shared actors and victims appear once."""
    articles = dataset["articles"].sort_values(["published_at", "article_id"])
    by_incident = {key: group for key, group in articles.groupby("incident_id", observed=True)}
    objects: dict[str, object] = {PRODUCER.id: PRODUCER}
    for incident in incidents.to_dict("records"):
        empty = articles.iloc[0:0]
        for obj in incident_objects(incident, by_incident.get(incident["incident_id"], empty), actor_kinds):
            objects.setdefault(obj.id, obj)
    return stix2.Bundle(
        objects=list(objects.values()), id=_id("bundle", ",".join(sorted(incidents["incident_id"])))
    )


def write_stix(
    dataset: Dataset, incidents: pd.DataFrame, out: Path | str, actor_kinds: dict[str, str]
) -> Path:
    """Write the bundle as JSON."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bundle(dataset, incidents, actor_kinds).serialize(pretty=True) + "\n", encoding="utf-8")
    return out
