"""An article's publication date and where it came from.

The first of: the page's metadata (JSON-LD, OpenGraph and meta tags, microdata, <time>), the
date the feed or sitemap gave for the URL, the date the page shows in its text (a byline
such as "Published 12 March 2019", found by htmldate), the date in the URL path (a path with
a year and month only, /2019/03/slug, dates the article to the first of that month: the
month is what incident ids are built from, and it is better than no date). Pages whose
only date is in the byline are common, and without it an article would be dated by nothing.
Dates in the future or before 1990 are wrong data, not dates: they are logged and skipped.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import htmldate
from lxml.html import HtmlElement

from core.vocabulary import PUBLISHED_SOURCES

log = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# A page published "today" in a timezone ahead of UTC is not in the future.
CLOCK_SLACK = timedelta(days=1)
EMPTY_PAGE = "<html><body></body></html>"
# /2019/03/slug: a year and a month as whole path segments, the day not given.
YEAR_MONTH_PATH = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(?!\d{1,2}(?:/|$|[^\w]))")


def plausible(moment: datetime | None, what: str, url: str | None = None) -> datetime | None:
    """The date as timezone-aware UTC, or None (with a log line) when it is in the future or
    before 1990."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment < EARLIEST or moment > datetime.now(UTC) + CLOCK_SLACK:
        log.info(
            "rejected %s date %s of %s: before 1990 or in the future", what, moment.isoformat(), url or "?"
        )
        return None
    return moment


def published_date(
    metadata_date: datetime | None,
    tree: HtmlElement | None,
    url: str | None,
    listed_at: datetime | None = None,
    listed_by: str | None = None,
    search_text: bool = True,
) -> tuple[datetime | None, str]:
    """(date, source) with source one of core.vocabulary.PUBLISHED_SOURCES. `search_text` False skips the
    page-text search (the cheap path for pathological pages)."""
    moment = plausible(metadata_date, "metadata", url)
    if moment is not None:
        return moment, "metadata"
    moment = plausible(listed_at, listed_by or "feed", url)
    if moment is not None:
        return moment, listed_by if listed_by in PUBLISHED_SOURCES[1:3] else "feed"
    if tree is not None and search_text:
        moment = plausible(_htmldate(tree, ""), "page text", url)
        if moment is not None:
            return moment, "page_text"
    if url:
        moment = plausible(_htmldate(EMPTY_PAGE, url) or _year_month(url), "URL", url)
        if moment is not None:
            return moment, "url"
    return None, "none"


def _year_month(url: str) -> datetime | None:
    """The first of the month a /YYYY/MM/ URL path names (htmldate wants the day too)."""
    match = YEAR_MONTH_PATH.search(url)
    return datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC) if match else None


def _htmldate(page: HtmlElement | str, url: str) -> datetime | None:
    """htmldate's original-publication date; url "" keeps it from reading the URL (and the
    canonical link's URL), so a date found in a tree is one the page shows."""
    try:
        found = htmldate.find_date(
            page,
            extensive_search=True,
            original_date=True,
            url=url,
            min_date=EARLIEST.replace(tzinfo=None),
            max_date=(datetime.now(UTC) + CLOCK_SLACK).replace(tzinfo=None),
        )
    except (ValueError, TypeError, RecursionError):
        return None
    if not found:
        return None
    return datetime.strptime(found, "%Y-%m-%d").replace(tzinfo=UTC)
