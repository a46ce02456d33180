"""ransomware.live v2 records → article fields: press-reported attacks, and leak-site claims.

Field types vary within one page (a date as "2024-06-03", "2024-06-03 10:11:12.123456" or
epoch seconds; claim_gang as a name, "" or null; country as a code, "" or null), so every
field goes through a normaliser. A press-reported attack is an incident whose victim the
record names, unless its only citation is a leak-site post. A leak-site claim is only a claim: stored and parsed as one (is_incident
False, "claim": true), with every leak-site link removed before it is stored.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pycountry

from core.raw_store import StoredPage
from sources.common import LINK_IN_TEXT, claim_fields, date_value, text_value

ATTACK_KIND = "ransomware-live-attack"
CLAIM_KIND = "leak-claim"
# Hosts that are leak sites or only reachable through anonymity networks: never kept.
AI_LABEL = re.compile(r"^\s*\[AI generated\]\s*", re.IGNORECASE)
MASKED = re.compile(r"\*{3,}|x{5,}", re.IGNORECASE)
URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
COUNTRY_FIXES = Path(__file__).with_name("countries.toml")
HIDDEN_HOST = re.compile(r"\.(onion|i2p)\.?$", re.IGNORECASE)

CLAIM_FIELDS = ("victim", "group", "country", "activity", "domain", "discovered", "attackdate", "description")


def text_field(value: Any) -> str | None:
    """A clean string, or None for what the API sends for "unknown": false, 0, NaN, null, "",
    "N/A", empty lists (claim_gang is false on three records in four); lists are joined."""
    return text_value(value)


def date_field(value: Any) -> datetime | None:
    """'2024-06-03', '2024-06-03 10:11:12.123456', ISO with T/Z, epoch seconds or ms → UTC;
    NaN, false and text that is not a date are no date."""
    moment = date_value(value)
    return moment.astimezone(UTC) if moment else None


@cache
def country_fixes() -> dict[str, Any]:
    return tomllib.loads(COUNTRY_FIXES.read_text(encoding="utf-8"))


def country_field(value: Any, domain: Any = None) -> str | None:
    """The victim's ISO 3166-1 alpha-2 country: the code sent when pycountry knows it (alpha-3
    codes converted), the known non-ISO codes mapped (UK → GB), and a two-letter code that
    disagrees with the victim's country-code domain replaced by the domain's country."""
    text = (text_field(value) or "").upper()
    code = None
    fixes = country_fixes()["not_iso"]
    if text in fixes:
        code = fixes[text]
    elif len(text) == 2 and pycountry.countries.get(alpha_2=text):
        code = text
    elif len(text) == 3 and pycountry.countries.get(alpha_3=text):
        code = pycountry.countries.get(alpha_3=text).alpha_2
    from_domain = domain_country(domain)
    if from_domain and len(text) != 3:
        return from_domain
    return code


def domain_country(domain: Any) -> str | None:
    """The country of a country-code top-level domain ("uu.se" → SE, "x.gov.uk" → GB)."""
    host = (text_field(domain) or "").lower().rstrip(".")
    if "://" in host:
        host = urlparse(host).hostname or ""
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if len(tld) != 2 or tld in country_fixes()["domain"]["generic"]:
        return None
    code = "GB" if tld == "uk" else tld.upper()
    return code if pycountry.countries.get(alpha_2=code) else None


def victim_field(value: Any) -> str | None:
    """The victim's name, or None when the record names none: a masked name
    ("**********li.com") or a bare URL ("https://www.gmanetwork.com/news/") names nobody."""
    text = text_field(value)
    if not text or MASKED.search(text) or URL_ONLY.match(text):
        return None
    return text


def is_leak_site(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    return bool(HIDDEN_HOST.search(host))


def press_url(value: Any) -> str | None:
    """The press article's URL when it is an ordinary web address (never a leak site)."""
    url = text_field(value)
    if not url or urlparse(url).scheme not in ("http", "https") or is_leak_site(url):
        return None
    return url


def attack_record(raw: dict[str, Any]) -> dict[str, Any]:
    """A recentcyberattacks item with every field normalised."""
    date = date_field(raw.get("date"))
    added = date_field(raw.get("added"))
    return {
        "victim": victim_field(raw.get("victim")),
        "domain": text_field(raw.get("domain")),
        "country": country_field(raw.get("country"), raw.get("domain")),
        "date": date.isoformat() if date else None,
        "added": added.isoformat() if added else None,
        "title": text_field(raw.get("title")),
        "summary": text_field(raw.get("summary")),
        "press_url": press_url(raw.get("url")),
        "claim_gang": text_field(raw.get("claim_gang")),
        # Cited only a leak-site post (the link itself is dropped): a claim, not press.
        "claim": is_leak_site(text_field(raw.get("url"))),
    }


def claim_record(raw: dict[str, Any]) -> dict[str, Any]:
    """A recentvictims item reduced to what a claim may keep: no leak-site link of any kind."""
    record: dict[str, Any] = {}
    for name in CLAIM_FIELDS:
        value = text_field(raw.get(name))
        if name == "description" and value:
            # "[AI generated] N/A": the tracker's own placeholder, no description.
            value = text_field(AI_LABEL.sub("", value))
            value = LINK_IN_TEXT.sub("[link removed]", value) if value else None
        if name == "domain" and value and is_leak_site(f"http://{value}"):
            value = None
        if name in ("discovered", "attackdate"):
            moment = date_field(raw.get(name))
            value = moment.isoformat() if moment else None
        if name == "country":
            value = country_field(raw.get(name), raw.get("domain"))
        if name == "victim":
            value = victim_field(raw.get(name))
        record[name] = value
    record["claim"] = True
    return record


def parse_attack(page: StoredPage) -> dict:
    record = json.loads(page.body)
    victim = record.get("victim")
    published = date_field(record.get("date")) or date_field(record.get("added"))
    structured: dict[str, Any] = {"is_incident": not record.get("claim")}
    if victim and not record.get("claim"):
        structured["victims"] = [victim]
    if record.get("country"):
        structured["countries"] = [record["country"]]
    if record.get("claim_gang"):
        structured["attackers"] = [record["claim_gang"]]
    return {
        "url": record.get("press_url") or page.url,
        "title": record.get("title") or f"{victim}: cyberattack reported in the press",
        "text": record.get("summary") or "",
        "published_at": published,
        "authors": [],
        "language": "en",
        "parse_error": None if victim else "no victim in the record",
        "structured": structured,
        "record_fields": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


def parse_claim(page: StoredPage) -> dict:
    record = json.loads(page.body)
    published = date_field(record.get("discovered")) or date_field(record.get("attackdate"))
    return claim_fields(page.url, record, published)
