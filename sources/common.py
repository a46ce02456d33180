"""What the source kinds share: the SourceKind declaration and the Listing an answer holds,
reading values the way the sites send them (missing values, dates, counts, column headings),
record keys, feed entry dates and the text of a markup tree."""

from __future__ import annotations

import calendar
import hashlib
import importlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from dateutil import parser as dateutil_parser
from lxml import etree

BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "td",
    "ix:continuation",
}


def entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def element_text(el: etree._Element) -> str:
    pieces: list[str] = []
    _collect(el, pieces)
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _collect(el: etree._Element, pieces: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in ("script", "style"):
        return
    if el.text and isinstance(el.tag, str):
        pieces.append(el.text)
    for child in el:
        child_tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if child_tag in BLOCK_TAGS:
            pieces.append("\n")
        _collect(child, pieces)
        if child_tag in BLOCK_TAGS:
            pieces.append("\n")
        if child.tail:
            pieces.append(child.tail)


# ---- what a source kind declares ---------------------------------------------------------


@dataclass(frozen=True)
class SourceKind:
    """Everything about one kind of source, declared in its package's ``__init__.py`` as KIND.

    Callables are named "module:attribute" and imported only when used, so listing the kinds
    (``incidents sources``) does not import Scrapy or every parser.

    - ``spider``: the Scrapy spider class whose ``name`` is the kind;
    - ``read``: ``(body, url, content_type) -> Listing``, what one answer of the source holds;
      the spider and ``incidents sources --check`` both use it, so they agree on drift;
    - ``parsers``: content kind of a stored record → ``(StoredPage) -> parsed fields``;
    - ``required``: the fields (columns, keys) an answer must carry; ``read`` reports the
      missing ones as problems;
    - ``noun``: what ``read`` counts ("entries", "rows", "records", "hits", "locations");
    - ``check_url``: ``(Source) -> str`` when the first request is not the source URL;
    - ``needs_contact``: the site requires the operator's e-mail in the User-Agent.
    """

    name: str
    spider: str
    read: str
    noun: str = "records"
    parsers: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    check_url: str | None = None
    needs_contact: bool = False

    def load(self, target: str) -> Any:
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def reader(self) -> Callable[..., Listing]:
        return self.load(self.read)


@dataclass
class Entry:
    """One thing an answer lists: a record to store, a page to fetch, or both.

    A record (a CSV row, a JSON object) is stored as JSON under ``key`` (a URL naming it) as a
    page of ``content_kind``; ``url`` is the record's own page when it has one (a notice
    letter, a filing), linked but not fetched. ``fetch`` is a page to fetch and store as
    ``fetch_kind`` (an article a feed lists, the press article a record cites)."""

    record: dict[str, Any] | None = None
    content_kind: str | None = None
    key: str | None = None
    url: str | None = None
    published: datetime | None = None
    fetch: str | None = None
    fetch_kind: str = "html"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Listing:
    """What one answer of a source holds, and what is wrong with it.

    ``broken`` says the answer cannot be read at all (not a feed, not JSON); ``problems`` name
    drift the answer still survives (a missing column, records without a required field);
    ``skipped`` counts entries left out on purpose, by reason; ``next_url`` is the next page of
    a paged list and ``total`` what the answer says the whole list holds."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    broken: str | None = None
    next_url: str | None = None
    total: int | None = None
    size: int | None = None  # how many items the answer held (a page of a paged answer)
    skipped: dict[str, int] = field(default_factory=dict)
    # An answer with nothing in it is normal for some sources (a search window without hits).
    may_be_empty: bool = False
    # Further answers of the same source to read (the sitemaps of a sitemap index: `fetch`
    # is the URL, `published` its lastmod).
    listings: list[Entry] = field(default_factory=list)
    # What the answer is when it is a step towards the records (a page declaring an API call).
    note: str | None = None

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def oldest(self) -> datetime | None:
        return min((e.published for e in self.entries if e.published), default=None)

    def describe(self, noun: str) -> str:
        if self.broken:
            return f"unreadable: {self.broken}"
        if self.note and not self.entries:
            return self.note
        text = f"{len(self.entries)} {noun}"
        if self.total is not None and self.total != len(self.entries):
            text += f" of {self.total}"
        if self.problems:
            text += "; " + "; ".join(self.problems)
        return text


# ---- reading values as the sites send them ------------------------------------------------

# What the sites write for "not known": read as missing wherever a value is expected.
MISSING_TEXT = {
    "",
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "nan",
    "unknown",
    "not found",
    "-",
    "--",
    "false",
    "0",
}


def is_missing(value: Any) -> bool:
    """False, 0, NaN, None, empty strings and lists, and the "N/A" family are missing."""
    if value is None or value is False:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, list | tuple | dict):
        return not value
    return " ".join(str(value).split()).lower() in MISSING_TEXT


def text_value(value: Any) -> str | None:
    """A clean one-line string, or None when the value is missing; lists are joined."""
    if isinstance(value, list | tuple):
        parts = [text_value(v) for v in value]
        value = ", ".join(p for p in parts if p)
    if is_missing(value):
        return None
    return " ".join(str(value).split())


def count_value(value: Any) -> int | None:
    """'1,234', 1234 or '1234 ' → 1234; anything else (including 'about 100') → None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else int(value)
    digits = re.sub(r"[,\s]", "", str(value))
    return int(digits) if digits.isdigit() else None


# Zone abbreviations the sites put in dates ("Thu, 14 Mar 2024 14:13:50 EDT", "CEST").
ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "UT": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "BST": 1,
    "IST": 1,
    "WET": 0,
    "WEST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "AEST": 10,
    "AEDT": 11,
    "ACST": 9.5,
    "AWST": 8,
    "NZST": 12,
    "NZDT": 13,
    "JST": 9,
    "KST": 9,
}
TZINFOS = {name: int(hours * 3600) for name, hours in ZONES.items()}
EPOCH_MS = 1e11  # numbers above this are milliseconds (1e11 s is the year 5138)


def date_value(value: Any, *, day_first: bool = False) -> datetime | None:
    """A moment from any form the sites use, as aware UTC; None when it is not a date.

    Epoch seconds or milliseconds (numbers or digit strings; NaN and booleans are not dates),
    ISO 8601 with or without zone, "YYYY-MM-DD HH:MM:SS.ffffff", US "M/D/YYYY" (the portals)
    with or without a time ("9/11/2020 7:59:16 PM"), "M-D-YYYY", RFC 822 with zone
    abbreviations ("EDT", "CEST"), "Tuesday, December 23, 2025", "15-Jul-26". The result is
    aware: in the value's own zone, or UTC when it names none. A text lacking its year, month
    or day ("May 2024", "Monday") is not a date."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, bool) or value is None:
        return None
    elif isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        if math.isnan(seconds) or seconds <= 0:
            return None
        try:
            moment = datetime.fromtimestamp(seconds / 1000 if seconds > EPOCH_MS else seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = " ".join(str(value).split())
        if is_missing(text):
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            moment = _parse_text_date(text, day_first)
            if moment is None:
                return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_text_date(text: str, day_first: bool) -> datetime | None:
    # dateutil fills what a text lacks from its default: two different defaults that give two
    # different days mean the text did not name a whole day.
    try:
        first = dateutil_parser.parse(text, dayfirst=day_first, tzinfos=TZINFOS, default=datetime(1904, 1, 1))
        second = dateutil_parser.parse(
            text, dayfirst=day_first, tzinfos=TZINFOS, default=datetime(1905, 2, 2)
        )
    except (ValueError, OverflowError, dateutil_parser.ParserError):
        return None
    return first if first.date() == second.date() else None


def iso_day(value: Any) -> str | None:
    """The calendar day of a date value, ISO ('2024-06-03'), or None."""
    moment = date_value(value)
    return moment.date().isoformat() if moment else None


def heading_key(text: str) -> str:
    """A column heading as compared: case, spacing and punctuation around words ignored,
    so 'Date(s) of Breach  (if known)' matches 'date(s) of breach (if known)'."""
    return " ".join(re.sub(r"[^\w()]+", " ", text or "").lower().split())


def find_column(headings: Iterable[str], *wanted: str) -> str | None:
    """The first heading that is, or else contains, one of the wanted names (tolerant)."""
    keyed = [(heading_key(h), h) for h in headings if h]
    for name in wanted:
        target = heading_key(name)
        for key, heading in keyed:
            if key == target:
                return heading
    for name in wanted:
        target = heading_key(name)
        for key, heading in keyed:
            if target and target in key:
                return heading
    return None


def record_key(base_url: str, *parts: Any) -> str:
    """A stable URL naming a record that has no page of its own: base?record=<hash of parts>.

    Pass every field that tells two records apart (a native id when the source has one):
    two notices of one organisation on one day must not share a key."""
    digest = hashlib.sha1("\x1f".join(str(p or "") for p in parts).encode("utf-8")).hexdigest()[:20]
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode({'record': digest})}"


def decode_body(body: bytes, content_type: str | None) -> str:
    """A page's text: the charset of the HTTP Content-Type first, then a BOM, then the page's
    own declaration (meta / XML prolog), then a guess — the order browsers use."""
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(content_type, body)[1]


# ---- leak-site claims -----------------------------------------------------------------------

# Links a claim must never keep: web addresses and anonymity-network hosts, even in its text.
LINK_IN_TEXT = re.compile(r"\b(?:https?://|www\.)\S+|\b[a-z2-7]{16,56}\.onion\S*", re.IGNORECASE)


def claim_fields(url: str, record: dict[str, Any], published: datetime | None) -> dict:
    """The article fields of a leak-site claim (``record`` has victim, group, description, and
    every field to keep in ``record_fields``): never an incident, the group only the claimed
    attacker, the victim only an organisation the claim names."""
    victim, group = record.get("victim"), record.get("group")
    text = (
        f"The {group} extortion group claims on its leak site to have attacked {victim}. "
        "This is a claim, not a confirmed incident."
    )
    if record.get("description"):
        text += f"\n{record['description']}"
    return {
        "url": url,
        "title": f"Claim: {group} lists {victim}",
        "text": text,
        "published_at": published,
        "authors": [],
        "language": "en",
        "parse_error": None,
        "structured": {
            "is_incident": False,
            "incident_types": [],
            "victims": [],
            "attackers": [group] if group else [],
            "organisations": [victim] if victim else [],
            "countries": [record["country"]] if record.get("country") else [],
        },
        "record_fields": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


def json_answer(body: bytes) -> tuple[Any, Listing | None]:
    """(the JSON, None), or (None, a broken Listing saying why it is not JSON)."""
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, Listing(broken=f"not JSON ({exc})")
