"""JSON Schemas of the value objects that accept exactly what their
validators accept, made from the same tables (pycountry's codes, ISO 4217's
minor units): `accord schema` is the contract of `accord submit`.

Made when a schema is asked for, never on import: they list every currency.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from domain.codes import country_codes, currency_codes, minor_unit
from domain.errors import UnknownCurrency


def codes_pattern(codes: list[str]) -> str:
    """A code among `codes`, in capitals or not, with any space around, as
    the validators take it (trimmed, then in capitals)."""
    return r"^\s*(?:" + "|".join(any_case(code) for code in sorted(codes)) + r")\s*$"


def partner_json_schema() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": codes_pattern(country_codes()),
        "description": "ISO 3166-1 alpha-2 code of the partner country, e.g. TN",
        "examples": ["TN", "MA"],
    }


# A year of four digits but 0000; a month; a day of its month, 29 February
# in leap years only (every fourth year, but centuries not divisible by 400).
_YEAR = r"(?!0000)[0-9]{4}"
_LEAP = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_DAYS = {
    "(?:0[13578]|1[02])": "(?:0[1-9]|[12][0-9]|3[01])",
    "(?:0[469]|11)": "(?:0[1-9]|[12][0-9]|30)",
    "02": "(?:0[1-9]|1[0-9]|2[0-8])",
}
DATE_PATTERN = (
    r"^\s*(?:"
    + "|".join(
        [
            _YEAR,
            rf"{_YEAR}-(?:0[1-9]|1[0-2])",
            *(rf"{_YEAR}-{months}-{days}" for months, days in _DAYS.items()),
            rf"{_LEAP}-02-29",
        ]
    )
    + r")\s*$"
)


def any_case(code: str) -> str:
    """A pattern of a code in capitals or not, as the validators take it."""
    return "".join(f"[{letter}{letter.lower()}]" for letter in code)


def amount_pattern(decimals: int, maximum_digits: int) -> str:
    """A positive amount as text with at most `decimals` decimals: digits, or
    digits grouped in threes by commas, at most `maximum_digits` before the point."""
    groups = (maximum_digits - 1) // 3
    whole = rf"(?:[0-9]{{1,{maximum_digits}}}|[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,{groups}}})"
    fraction = rf"(?:\.[0-9]{{1,{decimals}}})?" if decimals else ""
    # Not zero: some digit of the amount is not 0.
    return rf"(?=[0-9,.]*[1-9]){whole}{fraction}"


@cache
def currencies_by_minor_unit() -> dict[int, list[str]]:
    """Every currency Money takes, by how many decimals it has."""
    by_unit: dict[int, list[str]] = defaultdict(list)
    for code in currency_codes():
        try:
            by_unit[minor_unit(code)].append(code)
        except UnknownCurrency:
            continue
    return {unit: sorted(codes) for unit, codes in sorted(by_unit.items())}


def money_json_schema(maximum_digits: int) -> dict[str, Any]:
    forms, objects = [], []
    for decimals, codes in currencies_by_minor_unit().items():
        currency = "(?:" + "|".join(any_case(code) for code in codes) + ")"
        amount = amount_pattern(decimals, maximum_digits)
        forms += [rf"{currency}\s+{amount}", rf"{amount}\s+{currency}"]
        objects.append(
            {
                "if": {"properties": {"currency": {"pattern": rf"^\s*{currency}\s*$"}}},
                "then": {"properties": {"amount": {"pattern": rf"^{amount}$"}}},
            }
        )
    every = "(?:" + "|".join(any_case(code) for codes in currencies_by_minor_unit().values() for code in codes) + ")"
    return {
        "title": "Money",
        "description": (
            "A positive amount in one currency, written as text (never a JSON number): 'EUR 1250000.50' "
            '(or \'1,250,000.50 EUR\'), or an object {"amount": "1250000.50", "currency": "EUR"}. No more '
            f"decimals than the currency has (ISO 4217), at most {maximum_digits} digits before the point."
        ),
        "examples": ["EUR 1250000", {"amount": "1250000.50", "currency": "EUR"}],
        "anyOf": [
            {"type": "string", "pattern": r"^\s*(?:" + "|".join(forms) + r")\s*$"},
            {
                "type": "object",
                "properties": {
                    "amount": {"type": "string", "description": "The amount, e.g. '1250000.50'"},
                    "currency": {
                        "type": "string",
                        "pattern": rf"^\s*{every}\s*$",
                        "description": "ISO 4217 currency code, e.g. EUR",
                    },
                },
                "required": ["amount", "currency"],
                "additionalProperties": False,
                "allOf": objects,
            },
        ],
    }
