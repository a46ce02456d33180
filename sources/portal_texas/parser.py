"""Texas Attorney General breach reports (one record of the portal's remoting answer) → article fields.

Fields as the portal names them: Id (Salesforce id, the record's key), Name ("BR-0004114"),
Business_Name__c, Published_at_AG_website_Date__c (epoch milliseconds), Number_of_Texans_affected_by_the_breach__c,
Types_of_Personal_Information_Involved__c and Method_of_Noticee__c (";"-separated),
Notice_of_Breach_provided_to_consumers__c ("Yes"/"No").
"""

from __future__ import annotations

import html
import json

from core.raw_store import StoredPage
from sources.breach_notice import no_notice, notice_fields
from sources.common import count_value, date_value, text_value

CONTENT_KIND = "portal-texas"
PORTAL = "Texas Attorney General"
PAGE = "https://oag.my.site.com/datasecuritybreachreport/apex/DataSecurityReportsPage"


def items(value) -> list[str]:
    """'Name of individual;Medical Information' → the items, entities decoded."""
    return [part for part in (text_value(html.unescape(p)) for p in str(value or "").split(";")) if part]


def parse_texas_report(page: StoredPage) -> dict:
    row = json.loads(page.body)
    organisation = text_value(html.unescape(str(row.get("Business_Name__c") or ""))) or ""
    published = date_value(row.get("Published_at_AG_website_Date__c"))
    record = {
        "organisation": organisation,
        "report_id": row.get("Id"),
        "report_number": text_value(row.get("Name")),
        "published_date": published.date().isoformat() if published else None,
        "texans_affected": count_value(row.get("Number_of_Texans_affected_by_the_breach__c")),
        "information_involved": items(row.get("Types_of_Personal_Information_Involved__c")),
        "consumers_notified": text_value(row.get("Notice_of_Breach_provided_to_consumers__c")),
        "notice_methods": items(row.get("Method_of_Noticee__c")),
        "state": "TX",
    }
    result = notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=page.url,
        reported=published,
        facts=[
            ("Texans affected", record["texans_affected"]),
            ("Information involved", record["information_involved"]),
            ("Notice to consumers", record["consumers_notified"]),
            ("Notice by", record["notice_methods"]),
        ],
        record=record,
    )
    if not organisation:
        return no_notice(result, "no Business_Name__c in the report")
    return result
