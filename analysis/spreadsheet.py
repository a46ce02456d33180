"""Text cells no spreadsheet will run as a formula (CSV injection), for every CSV and workbook
the project writes: `incidents export` and `incidents query --format csv` alike.

As OWASP recommends: a cell whose first character, after any leading whitespace, is = + - @
(or their full-width forms), or that starts with a tab, carriage return or line feed, gets a
leading single quote. Numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
CONTROL_START = frozenset("\t\r\n")


def neutralise(value: str) -> str:
    """A text cell no spreadsheet will evaluate (OWASP CSV-injection advice)."""
    if not value:
        return value
    if value[0] in CONTROL_START or value.lstrip()[:1] in FORMULA_START:
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """Text neutralised, anything else (numbers, dates, None) as it is."""
    return neutralise(value) if isinstance(value, str) else value
