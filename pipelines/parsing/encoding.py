"""Bytes to text for web pages whose charset is declared wrongly, or not at all.

One function for a crawled page (HTTP header, BOM, <meta>) and a file on disk (BOM, <meta>):
the declared labels are candidates, not orders. A byte-order mark wins; otherwise every
candidate that decodes the bytes cleanly is kept and, when they disagree, charset-normalizer
picks the one whose text reads as language rather than mojibake ("ZÃ¼rich").
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
C1_CONTROLS = re.compile("[\x80-\x9f]")
# charset-normalizer reads this much of a page to choose between clean decodings.
SAMPLE_BYTES = 200_000
# A declared charset that fails on at most one byte sequence in this many bytes is still the
# page's charset (a stray bad byte), not a sign of another code page.
BAD_BYTES_PER = 10_000


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used): BOM; else the declared charsets (HTTP header, <meta>) and
    UTF-8 that decode cleanly, the most plausible when they disagree; else detection.

    WHATWG maps the latin-1 labels to windows-1252; C1 control characters after such a decode
    mean a wrong label. A page of pure ASCII decodes the same under any candidate.
    """
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    declared = _declared(body, content_type)
    candidates: dict[str, str] = {}
    for encoding in declared:
        if encoding in candidates:
            continue
        text = _clean_decode(body, encoding)
        if text is not None:
            candidates[encoding] = text
    if not candidates:
        return _nearly_clean(body, declared) or _guess_legacy(body)
    if len(set(candidates.values())) == 1:
        encoding, text = next(iter(candidates.items()))
        return text, encoding
    best = from_bytes(body[:SAMPLE_BYTES], cp_isolation=list(candidates), preemptive_behaviour=False).best()
    chosen = _codec_name(best.encoding) if best else None
    for encoding, text in candidates.items():
        if _codec_name(encoding) == chosen:
            return text, encoding
    encoding = "utf-8" if "utf-8" in candidates else next(iter(candidates))
    return candidates[encoding], encoding


def _declared(body: bytes, content_type: str | None) -> list[str]:
    """The candidate encodings in order: the HTTP header's, the <meta> one, UTF-8."""
    labels = (
        http_content_type_encoding(content_type) if content_type else None,
        html_body_declared_encoding(body),
        "utf-8",
    )
    return [
        encoding for encoding in (resolve_encoding(label) if label else None for label in labels) if encoding
    ]


def _nearly_clean(body: bytes, declared: list[str]) -> tuple[str, str] | None:
    """A page in its declared charset (or UTF-8) but for a stray bad byte or two (a truncated
    character pasted into one paragraph): that decoding, the bad bytes replaced, rather than
    a legacy code page guessed for the whole page."""
    for encoding in declared:
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:
            continue
        if text.count("\ufffd") <= max(1, len(body) // BAD_BYTES_PER) and not C1_CONTROLS.search(text):
            return text, encoding
    return None


def _clean_decode(body: bytes, encoding: str) -> str | None:
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if C1_CONTROLS.search(text) else text


def _codec_name(encoding: str) -> str:
    return codecs.lookup(encoding).name


def _guess_legacy(body: bytes) -> tuple[str, str]:
    """Undeclared, not UTF-8: windows-1252 (the web's default for Western pages) unless the
    text then reads as a mess of accented letters, which means another script's code page."""
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        letters = [c for c in text if c.isalpha()]
        non_ascii = sum(1 for c in letters if ord(c) > 127)
        if not letters or non_ascii / len(letters) < 0.3:
            return text, "cp1252"
    best = from_bytes(body[:SAMPLE_BYTES]).best()
    encoding = best.encoding if best else "cp1252"
    return body.decode(encoding, errors="replace"), encoding
