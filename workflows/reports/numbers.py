"""Numbers as reports print them: exact, and never in exponent notation.

People read amounts grouped in thousands (babel, in English: 1,250,000.10);
machines (JSON, CSV) read them plain (1250000.10). Every digit is kept in
both: an amount is never rounded to print it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext

# Enough digits for any sum of amounts Accord records (18 before the point,
# 4 after, a million lines), so that formatting never rounds.
_PRECISION = 60


def grouped(value: Decimal) -> str:
    """1250000.10 as people read it: 1,250,000.10 (every decimal kept)."""
    from babel.numbers import format_decimal

    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    # The value's own decimals, written: babel would drop trailing zeros (EUR 0.10).
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    with localcontext(prec=_PRECISION):
        return format_decimal(value, format=pattern, locale="en")


def plain(value: Decimal) -> str:
    """1250000.10 as machines read it: no grouping, no exponent."""
    return format(value, "f")


def percent(value: Decimal) -> str:
    """0.380313 as people read a share: 38.03% (to two places, never in
    exponent notation; a share that rounds to 0 but is not reads <0.01%)."""
    from babel.numbers import format_percent

    with localcontext(prec=_PRECISION):
        if 0 < value < Decimal("0.0001"):
            return "<0.01%"
        return format_percent(value, format="#,##0.##%", locale="en")


class Ratio(Decimal):
    """A fraction (0.380313) in a report's cell: machines read it as the
    fraction, people as a percentage (38.03%)."""


class Coded(str):
    """A code in a report's cell (a pillar): machines read the code, people
    its label."""

    label: str

    def __new__(cls, code: str, label: str) -> Coded:
        coded = super().__new__(cls, code)
        coded.label = label
        return coded


PILLARS = {
    "protection": "Protection",
    "root_causes": "Root causes",
    "migration_governance": "Migration governance",
    "return_readmission": "Return and readmission",
    "legal_pathways": "Legal pathways",
    "": "No pillar given",
}


def pillar(code: str) -> Coded:
    """A pillar: "migration_governance" for machines, "Migration governance" for people."""
    return Coded(code, PILLARS.get(code, code))


def pillars(codes: list[str]) -> Coded:
    """Pillars as one text: "migration_governance, protection" for machines,
    "Migration governance, Protection" for people."""
    return Coded(", ".join(codes), ", ".join(PILLARS.get(code, code) for code in codes))


class Amount(str):
    """An amount with its currency in a report's cell: text as machines read
    it ("EUR 1250000.10", in JSON, CSV and a dispatch kept in the log), and
    grouped by the renderers for people ("EUR 1,250,000.10")."""

    currency: str
    amount: Decimal

    def __new__(cls, currency: str, amount: Decimal) -> Amount:
        money = super().__new__(cls, f"{currency} {plain(amount)}")
        money.currency, money.amount = currency, amount
        return money

    def text(self, number: Callable[[Decimal], str] = grouped) -> str:
        return f"{self.currency} {number(self.amount)}"


class Quantity(str):
    """An indicator's figure in a report's cell: its number as machines
    read it ("13000", the unit and precision in columns of their own), and
    as people read it, in its unit and with its precision ("at least
    13,000", "10%", "EUR 8,000,000,000")."""

    value: Decimal
    before: str
    after: str

    def __new__(cls, value: Decimal, before: str = "", after: str = "") -> Quantity:
        quantity = super().__new__(cls, plain(value))
        quantity.value, quantity.before, quantity.after = value, before, after
        return quantity

    def text(self, number: Callable[[Decimal], str] = grouped) -> str:
        if number is not grouped:
            return number(self.value)
        return f"{self.before}{number(self.value)}{self.after}"
