"""Helpers shared by several source kinds: feed entry dates, the text of a markup tree."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

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
