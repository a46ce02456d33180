"""SEC EDGAR 8-K filings (Item 1.05, Item 8.01 cyber) → extracted-article fields.

A stored "sec-8k" page is a JSON envelope written by the sec-edgar spider: the full-text
search hit (company, CIK, accession number, items, dates) and the filing document as
fetched. The incident text comes from the inline-XBRL cybersecurity text blocks where the
filer tagged them (following continuedAt chains), else from the item's section of the
document. The filer is the victim and the filing is its own statement.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree

from core.raw_store import StoredPage
from sources.common import element_text

CONTENT_KIND = "sec-8k"
INCIDENT_BLOCK = re.compile(r"^MaterialCybersecurityIncident\w*TextBlock$", re.IGNORECASE)
# Words that make an Item 8.01 disclosure a cyber incident rather than any other event.
CYBER_WORDING = re.compile(
    r"cyber[- ]?security incident|cyber[- ]?(attack|incident|event)|ransomware|"
    r"unauthori[sz]ed (access|third part(y|ies)|actor)|threat actor|malicious (activity|actor|code)|"
    r"data (security )?breach|network intrusion|exfiltrat",
    re.IGNORECASE,
)
ITEM_HEADING = re.compile(r"^\s*ITEM\s*(\d{1,2}\.\d{2})\b\.?", re.IGNORECASE | re.MULTILINE)
SECTION_END = re.compile(
    r"^\s*(SIGNATURES?\b|(Cautionary (Note|Statement) Regarding )?Forward[- ]Looking Statements\b)",
    re.IGNORECASE | re.MULTILINE,
)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
QUOTE_CHARS = 600
MAX_TEXT_CHARS = 30_000
US_STATES = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)


def parse_sec_filing(page: StoredPage) -> dict:
    """The filing as an article: the incident text, the filer as victim and as speaker."""
    envelope = json.loads(page.body)
    hit = envelope.get("search_hit") or {}
    meta = hit.get("_source") or {}
    item = envelope.get("item") or "1.05"
    document_url = envelope.get("document_url") or page.url
    incident = incident_text(envelope.get("document") or "", item)
    company, tickers = company_and_tickers((meta.get("display_names") or [""])[0])
    adsh = meta.get("adsh") or str(hit.get("_id", "")).split(":")[0]
    heading = (
        "Item 1.05, material cybersecurity incident"
        if item == "1.05"
        else "Item 8.01, cybersecurity incident"
    )
    structured: dict[str, Any] = {"is_incident": True}
    if company:
        structured["victims"] = [company]
        structured["organisations"] = [company]
        if incident.text:
            structured["statements"] = [{"speaker": company, "quote": first_passage(incident.text)}]
    if meta.get("biz_states") and all(state in US_STATES for state in meta["biz_states"]):
        structured["countries"] = ["US"]
    record = {
        "company": company,
        "tickers": tickers,
        "cik": (meta.get("ciks") or [None])[0],
        "ciks": meta.get("ciks") or [],
        "accession_number": adsh,
        "form": meta.get("form"),
        "items": meta.get("items") or [],
        "item": item,
        "file_date": meta.get("file_date"),
        "period_ending": meta.get("period_ending"),
        "document_url": document_url,
        "filing_index_url": f"{document_url.rsplit('/', 1)[0]}/{adsh}-index.htm" if adsh else None,
        "file_type": meta.get("file_type"),
        "text_source": incident.origin,
        "xbrl_elements": incident.elements,
        "biz_locations": meta.get("biz_locations") or [],
        "sics": meta.get("sics") or [],
    }
    return {
        "url": document_url,
        "title": f"{company or 'Unknown filer'}: Form {meta.get('form') or '8-K'}, {heading}",
        "text": incident.text,
        "published_at": parse_day(meta.get("file_date")),
        "authors": [],
        "language": "en",
        "parse_error": None if incident.text else "no incident text found in the filing",
        "structured": structured,
        "record_fields": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


class IncidentText:
    """The incident text of a filing and where it came from."""

    def __init__(self, text: str, origin: str, elements: list[str] | None = None) -> None:
        self.text = text
        self.origin = origin
        self.elements = elements or []


def incident_text(html: str, item: str = "1.05") -> IncidentText:
    """Inline-XBRL cybersecurity blocks, else the item's section, else the document's text."""
    if not html.strip():
        return IncidentText("", "none")
    tree = lxml.html.fromstring(XML_DECLARATION.sub("", html, count=1))
    blocks = xbrl_incident_blocks(tree)
    if blocks:
        return IncidentText("\n\n".join(text for _, text in blocks), "inline_xbrl", [n for n, _ in blocks])
    text = document_text(tree)
    section = item_section(text, item)
    if section:
        return IncidentText(section, f"item_{item}_section")
    return IncidentText(text[:MAX_TEXT_CHARS], "document")


def xbrl_incident_blocks(tree: etree._Element) -> list[tuple[str, str]]:
    """(element name, text) of each MaterialCybersecurityIncident*TextBlock, continuations joined."""
    continuations = {
        el.get("id"): el
        for el in tree.iter()
        if isinstance(el.tag, str) and local(el.tag).lower() == "continuation"
    }
    blocks: list[tuple[str, str]] = []
    seen: set[str] = set()
    for el in tree.iter():
        if not isinstance(el.tag, str) or local(el.tag).lower() != "nonnumeric":
            continue
        name = local(el.get("name") or "")
        if not INCIDENT_BLOCK.match(name):
            continue
        parts = [element_text(el)]
        next_id = el.get("continuedat") or el.get("continuedAt")
        while next_id and next_id not in seen and next_id in continuations:
            seen.add(next_id)
            part = continuations[next_id]
            parts.append(element_text(part))
            next_id = part.get("continuedat") or part.get("continuedAt")
        text = "\n".join(p for p in parts if p)
        if text and all(text != existing for _, existing in blocks):
            blocks.append((name, text))
    return blocks


def item_section(text: str, item: str) -> str | None:
    """The body of an 8-K item: from its heading to the next item, signatures or safe harbour."""
    for match in ITEM_HEADING.finditer(text):
        if match.group(1) != item:
            continue
        body = text[match.end() :]
        body = re.sub(
            r"^[ .:]*(Material Cybersecurity Incidents?|Other Events)\.?", "", body, flags=re.IGNORECASE
        )
        ends = [m.start() for m in (ITEM_HEADING.search(body), SECTION_END.search(body)) if m]
        body = body[: min(ends)] if ends else body
        body = body.strip()
        if body:
            return body[:MAX_TEXT_CHARS]
    return None


def has_cyber_wording(text: str) -> bool:
    return bool(CYBER_WORDING.search(text))


def document_text(tree: etree._Element) -> str:
    """Visible text, one line per block, without the hidden inline-XBRL header."""
    for header in [el for el in tree.iter() if isinstance(el.tag, str) and el.tag.lower() == "ix:header"]:
        header.getparent().remove(header)
    return element_text(tree)


def local(name: str) -> str:
    """A tag or concept name without its namespace: 'cyd:FooTextBlock' → 'FooTextBlock'."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def company_and_tickers(display_name: str) -> tuple[str, list[str]]:
    """'Acme Corp /DE/  (ACME, ACME-P)  (CIK 0000012345)' → ('Acme Corp', ['ACME', 'ACME-P']).

    EDGAR appends the state of incorporation ("/DE/", "/NEW/") to some names; it is not part
    of the name the press uses."""
    name = re.sub(r"\s*\(CIK\s*\d+\)\s*$", "", display_name or "").strip()
    tickers: list[str] = []
    match = re.search(r"\s\(([A-Z0-9.\-, ]+)\)$", name)
    if match:
        tickers = [t.strip() for t in match.group(1).split(",") if t.strip()]
        name = name[: match.start()].strip()
    name = re.sub(r"(\s*/[A-Z]{2,3}/)+$", "", name).strip()
    return name, tickers


def first_passage(text: str) -> str:
    """The opening of the incident text, cut at a sentence end: the filer's statement."""
    paragraph = text.split("\n", 1)[0]
    if len(paragraph) <= QUOTE_CHARS:
        return paragraph
    cut = paragraph[:QUOTE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("; "))
    return cut[: end + 1] if end > 100 else cut.rstrip() + "…"


def parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
