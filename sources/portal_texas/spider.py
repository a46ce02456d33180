"""Texas Attorney General's data-security-breach reports (Salesforce Visualforce page).

The public page fills its table with one remoting call: the page embeds
`new $VFRM.RemotingProviderImpl({...})` holding the action `DataSecurityReports.getDatareports`
(with its csrf, authorization, ns and ver) and the page's vid; the browser then POSTs
`[{"action": "DataSecurityReports", "method": "getDatareports", "data": [false], "type": "rpc",
"tid": 1, "ctx": {...}}]` to /datasecuritybreachreport/apexremote, with the page as Referer
(without it the answer is statusCode 402). All current reports come in one answer (625 in
September 2026). The page-issued tokens are used for that one request and never stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from core.sources import Source
from crawler.spiders.records import RecordSpider
from sources.common import Entry, Listing, date_value
from sources.portal_texas.parser import CONTENT_KIND, PAGE

REMOTING = re.compile(r"new \$VFRM\.RemotingProviderImpl\((\{.*?\})\)\)", re.S)
ACTION, METHOD = "DataSecurityReports", "getDatareports"
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


class TexasPortalSpider(RecordSpider):
    name = "portal-texas"

    def parse_listing(self, response: Response) -> Iterable[Any]:
        source: Source = response.meta["source"]
        try:
            endpoint, body = remoting_request(response.text, response.url)
        except ValueError as exc:
            self.listing_broken(response, str(exc))
            return
        yield scrapy.Request(
            endpoint,
            method="POST",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Requested-With": "XMLHttpRequest",
                "Referer": response.url,
                **(source.headers or {}),
            },
            callback=self.parse_reports,
            errback=self.listing_failed,
            meta={"source": source, "conditional": False},
            dont_filter=True,
        )

    def parse_reports(self, response: Response) -> Iterable[Any]:
        yield from self.emit_listing(response, read_reports(response.body, response.url))


def remoting_request(page: str, page_url: str) -> tuple[str, str]:
    """(endpoint, JSON body) of the page's own read action; ValueError when the page changed."""
    match = REMOTING.search(page)
    if not match or f"{ACTION}.{METHOD}" not in page:
        raise ValueError(f"the page no longer declares {ACTION}.{METHOD}")
    try:
        config = json.loads(match.group(1))
        method = next(m for m in config["actions"][ACTION]["ms"] if m["name"] == METHOD)
        context = {key: method[key] for key in ("csrf", "authorization", "ns", "ver")}
        context["vid"] = config["vf"]["vid"]
        endpoint = urljoin(page_url, "/" + config["service"].lstrip("/"))
    except (ValueError, KeyError, StopIteration, TypeError) as exc:
        raise ValueError(f"the page's remoting configuration is incomplete ({exc})") from None
    body = [{"action": ACTION, "method": METHOD, "data": [False], "type": "rpc", "tid": 1, "ctx": context}]
    return endpoint, json.dumps(body)


def read_reports(
    body: bytes, url: str, content_type: str = "", params: Mapping[str, Any] | None = None
) -> Listing:
    """The remoting answer: one record per report, keyed by its Salesforce id."""
    try:
        events = json.loads(body)
    except ValueError as exc:
        page = body.decode("utf-8", "replace")
        try:
            remoting_request(page, url)
        except ValueError:
            return Listing(broken=f"neither the reports page nor its answer ({exc})")
        # The landing page (what --check fetches): the reports come from its remoting call.
        return Listing(
            may_be_empty=True, note=f"the page declares {ACTION}.{METHOD}; the reports come from that call"
        )
    if not isinstance(events, list) or not events or not isinstance(events[0], dict):
        return Listing(broken="not a remoting answer (a list of events)")
    event = events[0]
    if event.get("type") != "rpc" or event.get("statusCode") != 200:
        return Listing(
            broken=f"the remoting call failed: statusCode {event.get('statusCode')} {event.get('message', '')}".strip()
        )
    rows = event.get("result")
    if not isinstance(rows, list):
        return Listing(broken="the answer has no result list")
    listing = Listing(total=len(rows))
    for field in ("Business_Name__c", "Published_at_AG_website_Date__c"):
        if rows and not any(isinstance(r, dict) and field in r for r in rows):
            listing.problems.append(f"no report has {field}")
    for row in rows:
        native = str(row.get("Id", "")) if isinstance(row, dict) else ""
        if not SALESFORCE_ID.match(native) or not row.get("Business_Name__c"):
            listing.skip("no_id_or_name")
            continue
        listing.entries.append(
            Entry(
                record=row,
                content_kind=CONTENT_KIND,
                key=f"{PAGE}?report={native}",
                published=date_value(row.get("Published_at_AG_website_Date__c")),
            )
        )
    return listing
