"""Bytes to text for web pages whose charset is declared wrongly, or not at all."""

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


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Order: BOM, HTTP header, <meta>, strict UTF-8, detection.

    A declared charset is used only when the bytes decode under it without errors; pages
    that claim UTF-8 or ISO-8859-1 but are really windows-1252 (common) are caught that way:
    WHATWG maps the latin-1 labels to windows-1252, and C1 control characters after a
    latin-1 decode are taken as a sign of a wrong label.
    """
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    declared = [
        http_content_type_encoding(content_type) if content_type else None,
        html_body_declared_encoding(body),
    ]
    for label in declared:
        encoding = resolve_encoding(label) if label else None
        if not encoding:
            continue
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if not C1_CONTROLS.search(text):
            return text, encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _guess_legacy(body)


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
    best = from_bytes(body[:200_000]).best()
    encoding = best.encoding if best else "cp1252"
    return body.decode(encoding, errors="replace"), encoding
