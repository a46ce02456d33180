"""Which parser reads which kind of stored page.

Spiders store pages with a `content_kind`: "html" for article pages, other kinds for
structured records (regulatory filings, breach-notice portals, discovery APIs). Each kind
has one parser: StoredPage → the parsed fields of an extracted-article row, plus optional
`structured` analysis fields (e.g. the filing company as victim) that win over what text
analysis finds, because the source states them outright.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from core.raw_store import StoredPage
from sources.registry import record_parser

PageParser = Callable[[StoredPage], dict]

# Article pages are parsed here; every other content kind is a source kind's record, whose
# parser that kind declares (sources/<kind>/__init__.py, found through sources.registry).
PARSERS: dict[str, str] = {
    "html": "pipelines.parsing.html_page:parse_stored_html",
}


class UnknownContentKind(ValueError):
    pass


def parser_for(content_kind: str) -> PageParser:
    target = PARSERS.get(content_kind)
    if target is not None:
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)
    parser = record_parser(content_kind)
    if parser is None:
        raise UnknownContentKind(f"no parser for stored pages of kind {content_kind!r}")
    return parser
