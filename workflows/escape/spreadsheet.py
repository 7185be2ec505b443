"""CSV cells that a spreadsheet opens as text, never as a formula: CSV
injection, as OWASP describes it and recommends defusing it.

A cell whose value is text (a title, a name, a code) and whose first
character is one a spreadsheet starts a formula with (`=`, `+`, `-`, `@`)
or one that some spreadsheets skip before looking (tab, carriage return)
is written with a leading `'`, which spreadsheets read as "this is text"
and do not show. Numbers and dates are written as they are, whatever their
sign: what decides is the value's type before it became the cell's text,
never its first character, so -12.5 stays a number and the title
"-5 tonnes" is text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

# What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, text: str) -> str:
    """`text`, the cell written for `value`: with a leading `'` when `value`
    is not a number or a date and `text` begins as a formula does."""
    if isinstance(value, int | float | Decimal | date):  # bool is an int; datetime a date
        return text
    return "'" + text if text.startswith(FORMULA) else text
