"""Which parser reads which kind of stored page.

Spiders store pages with a `content_kind`: "html" for article pages, other kinds for
structured records (regulatory filings, breach-notice portals, discovery APIs). Each kind
has one parser: StoredPage → the parsed fields of an extracted-article row, plus optional
`structured` analysis fields (e.g. the filing company as victim) that win over what text
analysis finds, because the source states them outright.
"""

from __future__ import annotations

import importlib
from typing import Callable

from pipelines.store import StoredPage

PageParser = Callable[[StoredPage], dict]

# content_kind → "module:function"; a module per source format, next to its fixtures' tests.
PARSERS: dict[str, str] = {
    "html": "pipelines.parsing.html_page:parse_stored_html",
    "sec-8k": "pipelines.parsing.sec_edgar:parse_sec_filing",
    "portal-california": "pipelines.parsing.portal_california:parse_california_notice",
    "portal-maine": "pipelines.parsing.portal_maine:parse_maine_notice",
    "portal-washington": "pipelines.parsing.portal_washington:parse_washington_notice",
    "ransomware-live-attack": "pipelines.parsing.ransomware_live:parse_attack",
    "leak-claim": "pipelines.parsing.ransomware_live:parse_claim",
}


class UnknownContentKind(ValueError):
    pass


def parser_for(content_kind: str) -> PageParser:
    target = PARSERS.get(content_kind)
    if target is None:
        raise UnknownContentKind(f"no parser for stored pages of kind {content_kind!r}")
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)
