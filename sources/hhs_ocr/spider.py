"""HHS OCR breach portal: a JSF/PrimeFaces application, no plain export URL.

The report page (https://ocrportal.hhs.gov/ocr/breach/breach_report.jsf) holds the table
`ocrForm:reportResultTable`: a row per report, whose `data-rk` is the portal's own report id
(the record key), 100 rows a page, "(Displaying 1 - 100 of 733)". Further pages come from
PrimeFaces AJAX POSTs of the form (the page's javax.faces.ViewState and the table's
pagination parameters) answered with a `<partial-response>` holding the next rows and the
next view state. When the source URL answers the front page instead, its "View HIPAA Breach
Reports" command link is posted first. The CSV export (a file saved from the portal) reads
with the same columns (`read_export`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import scrapy
from lxml import etree
from lxml import html as lxml_html
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider, source_param
from sources.common import Entry, Listing, date_value, decode_body, find_column, record_key
from sources.hhs_ocr.parser import COLUMNS, CONTENT_KIND, PORTAL_URL

TABLE = "ocrForm:reportResultTable"
ROWS = 100
DEFAULT_MAX_PAGES = 20
DISPLAYING = re.compile(r"Displaying\s+(\d+)\s*-\s*(\d+)\s+of\s+(\d+)", re.I)
COMMAND_LINK = re.compile(r"\{'(ocrForm:j_idt\d+)':'\1'\}")


class HhsOcrSpider(RecordSpider):
    name = "hhs-ocr"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        text = response.text
        state = view_state(text)
        if f'id="{TABLE}"' not in text and "View HIPAA Breach Reports" in text:
            link = COMMAND_LINK.search(text)
            if not (link and state):
                self.listing_broken(response, "the front page has no report link or view state")
                return
            yield scrapy.FormRequest(
                response.urljoin(form_action(text) or response.url),
                formdata={"ocrForm": "ocrForm", "javax.faces.ViewState": state, link.group(1): link.group(1)},
                callback=self.parse_listing,
                errback=self.listing_failed,
                meta={"source": source, "conditional": False},
                dont_filter=True,
            )
            return
        yield from self.report_page(response, state, first=0)

    def report_page(self, response: Response, state: str | None, first: int) -> Iterable[Any]:
        source: Source = response.meta["source"]
        listing = read_report(
            response.body, response.url, response.headers.get(b"Content-Type", b"").decode()
        )
        yield from self.emit_listing(response, listing)
        page = response.meta.get("page", 1)
        shown = first + (listing.size or 0)
        total = listing.total or response.meta.get("total") or 0
        if not listing.size or not state or shown >= total:
            return
        if page >= int(source_param(source, "max_pages", DEFAULT_MAX_PAGES)):
            return
        if self.since and listing.oldest() and listing.oldest() < self.since:
            return
        yield scrapy.FormRequest(
            response.meta.get("form_url") or response.url,
            formdata=page_form(state, shown),
            headers={"Faces-Request": "partial/ajax", "X-Requested-With": "XMLHttpRequest"},
            callback=self.parse_partial,
            errback=self.listing_failed,
            meta={
                "source": source,
                "conditional": False,
                "page": page + 1,
                "first": shown,
                "total": total,
                "form_url": response.meta.get("form_url") or response.url,
            },
            dont_filter=True,
        )

    def parse_partial(self, response: Response) -> Iterable[Any]:
        state = partial_view_state(response.body)
        yield from self.report_page(response, state, first=response.meta["first"])


def view_state(page: str) -> str | None:
    found = re.search(r'name="javax\.faces\.ViewState"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="javax\.faces\.ViewState"', page
    )
    return found.group(1) if found else None


def form_action(page: str) -> str | None:
    found = re.search(r'<form[^>]+id="ocrForm"[^>]*action="([^"]+)"', page)
    return found.group(1) if found else None


def partial_view_state(body: bytes) -> str | None:
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for update in root.iter("update"):
        if "ViewState" in (update.get("id") or ""):
            return (update.text or "").strip() or None
    return None


def page_form(state: str, first: int) -> dict[str, str]:
    """PrimeFaces DataTable pagination: rows `first`..first+ROWS of the table."""
    return {
        "javax.faces.partial.ajax": "true",
        "javax.faces.source": TABLE,
        "javax.faces.partial.execute": TABLE,
        "javax.faces.partial.render": TABLE,
        "javax.faces.behavior.event": "page",
        "javax.faces.partial.event": "page",
        f"{TABLE}_pagination": "true",
        f"{TABLE}_first": str(first),
        f"{TABLE}_rows": str(ROWS),
        f"{TABLE}_encodeFeature": "true",
        "ocrForm": "ocrForm",
        "javax.faces.ViewState": state,
    }


def read_report(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """One page of the report table (the HTML page or a PrimeFaces partial response)."""
    if body.lstrip().startswith(b"<partial-response") or b"<partial-response" in body[:200]:
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            return Listing(broken=f"not a partial response ({exc})")
        rows_html = "".join(u.text or "" for u in root.iter("update") if u.get("id") == TABLE)
        tree = lxml_html.fromstring(f"<table><tbody>{rows_html}</tbody></table>")
        headings = list(COLUMNS)  # the partial answer carries rows only, in the table's order
        total = None
    else:
        tree = lxml_html.fromstring(decode_body(body, content_type))
        heads = tree.xpath(f'//*[@id="{TABLE}_head"]//th')
        headings = [h.get("aria-label") or " ".join(h.text_content().split()) for h in heads][1:]
        if not headings:
            return Listing(broken="no report table (ocrForm:reportResultTable)")
        shown = DISPLAYING.search(tree.text_content())
        total = int(shown.group(3)) if shown else None
    listing = Listing(total=total)
    listing.problems = [f"no {name!r} column" for name in COLUMNS[:6] if not find_column(headings, name)]
    rows = tree.xpath("//tr[@data-rk]")
    listing.size = len(rows)
    for tr in rows:
        cells = [" ".join(td.text_content().split()) for td in tr.findall("td")][1:]
        add_report(listing, dict(zip(headings, cells)), tr.get("data-rk"), url)
    return listing


def read_export(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """The portal's CSV export (the 'Research Report' file): one record per row."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig", errors="replace")))
    headings = [h for h in reader.fieldnames or [] if h]
    if not find_column(headings, COLUMNS[0]):
        return Listing(broken=f"no {COLUMNS[0]!r} column in the CSV header {headings}")
    listing = Listing(
        problems=[f"no {name!r} column" for name in COLUMNS[:6] if not find_column(headings, name)]
    )
    for row in reader:
        add_report(listing, {k: " ".join((v or "").split()) for k, v in row.items() if k}, None, url)
    listing.size = len(listing.entries) + sum(listing.skipped.values())
    return listing


def add_report(listing: Listing, cells: dict[str, str], report_id: str | None, url: str) -> None:
    name = cells.get(find_column(cells, COLUMNS[0]) or "", "")
    if not name:
        listing.skip("empty_row")
        return
    submitted = cells.get(find_column(cells, COLUMNS[4]) or "", "")
    key = (
        f"{PORTAL_URL}?report={report_id}"
        if report_id
        else record_key(
            PORTAL_URL,
            name,
            cells.get(find_column(cells, "State") or ""),
            submitted,
            cells.get(find_column(cells, COLUMNS[3]) or ""),
            cells.get(find_column(cells, COLUMNS[5]) or ""),
        )
    )
    listing.entries.append(
        Entry(
            record={"cells": cells, "report_id": report_id},
            content_kind=CONTENT_KIND,
            key=key,
            published=date_value(submitted),
        )
    )
