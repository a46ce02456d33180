"""Maine Attorney General breach notices (a notice's detail page) → article fields.

A detail page is a form as submitted: "Entity Information", "Breach Information",
"Notification and Protection Services", each a list of label/value pairs. Labels are read
whether a page renders them as "Label: value" lines or as a label block followed by a value
block (dt/dd, th/td), and matched by their wording, misspellings included ("Occured").
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html

from core.raw_store import StoredPage
from sources.breach_notice import no_notice, notice_fields, parse_count, parse_us_date, split_list, us_dates
from sources.common import decode_body, element_text

CONTENT_KIND = "portal-maine"
PORTAL = "Maine Attorney General"
LABELS = {
    "organisation": r"Entity Name",
    "organisation_type": r"Type of Organi[sz]ation",
    "total_affected": r"Total number of persons affected",  # "(including [Maine] residents)"
    "maine_residents_affected": r"Total number of Maine residents affected",
    "breach_dates": r"Date\(s\) Breach Occ?ur+ed",
    "discovered": r"Date Breach Discovered",
    "description": r"Description of the Breach",
    "information_acquired": r"Information Acquired",
    "notification_type": r"Type of Notification",
    "notification_dates": r"Date\(s\) of consumer notification",
    "protection_offered": r"Were identity theft protection services offered",
}
LABEL_PATTERNS = {field: re.compile(rf"^{pattern}", re.IGNORECASE) for field, pattern in LABELS.items()}


def form_fields(html: bytes, content_type: str | None = None) -> tuple[dict[str, str], str | None]:
    """The form's values by field name, and the link to the notice letter (a PDF) if any;
    the page is decoded with the HTTP charset first."""
    tree = lxml.html.fromstring(decode_body(html, content_type))
    lines = element_text(tree).split("\n")
    fields: dict[str, str] = {}
    for index, line in enumerate(lines):
        label, sep, value = line.partition(": ")
        if not sep:
            label, value = line.rstrip(":"), (lines[index + 1] if index + 1 < len(lines) else "")
        for field, pattern in LABEL_PATTERNS.items():
            if field not in fields and pattern.match(label.strip()):
                fields[field] = value.strip()
                break
    pdfs = [href for href in tree.xpath("//a/@href") if href.lower().split("?")[0].endswith(".pdf")]
    return fields, pdfs[0] if pdfs else None


def parse_maine_notice(page: StoredPage) -> dict:
    fields, notice = form_fields(page.body, page.content_type)
    organisation = fields.get("organisation") or ""
    notified = us_dates(fields.get("notification_dates"))
    discovered = parse_us_date(fields.get("discovered"))
    # The notice's date is when consumers were told; the form has no "reported" date.
    reported = parse_us_date(fields.get("notification_dates")) or discovered
    notice_url = urljoin(page.url, notice) if notice else None
    record = {
        "organisation": organisation,
        "organisation_type": fields.get("organisation_type"),
        "total_affected": parse_count(fields.get("total_affected")),
        "maine_residents_affected": parse_count(fields.get("maine_residents_affected")),
        "breach_dates": us_dates(fields.get("breach_dates")),
        "discovered_date": discovered.date().isoformat() if discovered else None,
        "breach_description": fields.get("description"),
        "information_acquired": split_list(fields.get("information_acquired")),
        "notification_type": fields.get("notification_type"),
        "notification_dates": notified,
        "protection_offered": fields.get("protection_offered"),
        "notice_url": notice_url,
        "state": "ME",
    }
    result = notice_fields(
        portal=PORTAL,
        organisation=organisation,
        url=page.url,
        reported=reported,
        facts=[
            ("Date(s) of breach", record["breach_dates"]),
            ("Date breach discovered", record["discovered_date"]),
            ("Total persons affected", record["total_affected"]),
            ("Maine residents affected", record["maine_residents_affected"]),
            ("Information acquired", record["information_acquired"]),
            ("Breach", record["breach_description"]),
            ("Notice", notice_url),
        ],
        record=record,
    )
    if not organisation:
        # An empty or withdrawn notice page is no notice, and has no date either.
        result["published_at"] = None
        return no_notice(result, "no Entity Name on the notice page")
    return result
