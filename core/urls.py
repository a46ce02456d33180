"""Canonical URLs: one key per article, whatever tracking parameters or fragments a link carries."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|_hsenc|_hsmi|"
    r"mkt_tok|igshid|ref|ref_src|cmpid|ncid|ito|sr_share|spm|oly_enc_id|oly_anon_id|__twitter_impression)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """Drop fragments and tracking parameters, normalise the rest (w3lib's canonical form)."""
    url = url.strip()
    query_start = url.find("?")
    if query_start != -1:
        keys = {key for key, _ in parse_qsl(url[query_start + 1 :].split("#", 1)[0], keep_blank_values=True)}
        tracking = [key for key in keys if TRACKING_PARAMS.match(key)]
        if tracking:
            url = url_query_cleaner(url, tracking, remove=True, keep_fragments=False)
    return canonicalize_url(url, keep_fragments=False)


def article_id(url: str) -> str:
    """A stable identifier for an article: its canonical URL, hashed."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
