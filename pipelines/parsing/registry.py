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

PageParser = Callable[[StoredPage], dict]

# content_kind → "module:function"; a module per source format, next to its fixtures' tests.
PARSERS: dict[str, str] = {
    "html": "pipelines.parsing.html_page:parse_stored_html",
    "sec-8k": "sources.sec_edgar.parser:parse_sec_filing",
    "portal-california": "sources.portal_california.parser:parse_california_notice",
    "portal-maine": "sources.portal_maine.parser:parse_maine_notice",
    "portal-washington": "sources.portal_washington.parser:parse_washington_notice",
    "ransomware-live-attack": "sources.ransomware_live.parser:parse_attack",
    "leak-claim": "sources.ransomware_live.parser:parse_claim",
}


class UnknownContentKind(ValueError):
    pass


def parser_for(content_kind: str) -> PageParser:
    target = PARSERS.get(content_kind)
    if target is None:
        raise UnknownContentKind(f"no parser for stored pages of kind {content_kind!r}")
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)
