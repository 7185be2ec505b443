"""What an indicator is measured over and in: reporting periods, figures,
and the breakdown of a figure (route, nationality...).

Each field takes exactly what its JSON Schema says (tests/unit/test_schema):
what no schema can say (a calendar day, a period that ends before it
starts, a category named twice) is checked across the fact (`check_span`,
`check_breakdown`), as the rules across fields are."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, ValidationInfo

from domain.recorded import is_recorded
from domain.text import LINE, Items
from domain.values import _Schema as Schema

# A period is a year, a quarter, a month, or the days from one to another
# (ISO 8601's interval of two dates): "2021 to early June" is
# 2021-01-01/2021-06-07. Nothing else: a week or a half-year is written as
# its days.
PERIOD_FORMS = (
    "2021, 2021-Q2, 2021-06 or 2021-01-01/2021-06-07 (a year, a quarter, a month, or from one day to another)"
)
# The years of the record, with room: 1900 to 2100.
_YEAR = r"(?:19[0-9]{2}|20[0-9]{2}|2100)"
_DAY = rf"{_YEAR}-[0-9]{{2}}-[0-9]{{2}}"
PERIOD_PATTERN = rf"^(?:{_YEAR}|{_YEAR}-Q[1-4]|{_YEAR}-(?:0[1-9]|1[0-2])|{_DAY}/{_DAY})$"
_PERIOD = re.compile(PERIOD_PATTERN)


@dataclass(frozen=True)
class Span:
    """The first and last day a period covers."""

    first: date
    last: date


@lru_cache(maxsize=4096)
def span(period: str) -> Span:
    """The days a period covers; ValueError, in a sentence, for any other text."""
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise ValueError(f"a period reads {PERIOD_FORMS}; got {period!r}")
    if "/" in period:
        start, end = (_day(part, period) for part in period.split("/"))
        if end < start:
            raise ValueError(f"the period {period} ends before it starts")
        return Span(start, end)
    year = int(period[:4])
    if "-Q" in period:
        first_month, last_month = 3 * int(period[-1]) - 2, 3 * int(period[-1])
    elif len(period) == 7:
        first_month = last_month = int(period[5:])
    else:
        first_month, last_month = 1, 12
    return Span(date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1]))


def _day(text: str, period: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the period {period}: {text} is not a calendar day") from None


def check_span(period: str) -> None:
    """The period's days are calendar days, the last not before the first."""
    span(period)


def _period(value: str, info: ValidationInfo) -> str:
    if not is_recorded(info.context) and not _PERIOD.fullmatch(value):
        raise ValueError(f"a period reads {PERIOD_FORMS}; got {value!r}")
    return value


Period = Annotated[
    str,
    AfterValidator(_period),
    Schema(
        lambda: {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "examples": ["2021", "2021-Q2", "2021-06", "2021-01-01/2021-06-07"],
        }
    ),
]

# A figure: a count, a percentage or an amount, exact. A whole number as a
# JSON number; with decimals, as text (a JSON number may lose digits),
# grouped by commas or not. Below 10^15 (a count of people, an amount in
# euros: beyond any) and to a millionth, so that sums stay exact.
MOST_DIGITS, MOST_DECIMALS = 15, 6
FIGURE_PATTERN = (
    rf"^-?(?:[0-9]{{1,{MOST_DIGITS}}}|[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,{(MOST_DIGITS - 3) // 3}}})"
    rf"(?:\.[0-9]{{1,{MOST_DECIMALS}}})?$"
)
_FIGURE = re.compile(FIGURE_PATTERN)
_FIGURE_FORMS = "13000, '13,000' or '12.5' (a figure with decimals is written as text)"


def _figure(value: Any, info: ValidationInfo) -> Any:
    if is_recorded(info.context):
        return Decimal(value) if isinstance(value, str) else value
    if isinstance(value, Decimal):
        # From code, not from JSON: held to what its text would be.
        if not (value.is_finite() and _FIGURE.fullmatch(format(value, "f"))):
            raise ValueError(f"a figure reads like {_FIGURE_FORMS}; got {value}")
        return value
    if isinstance(value, str):
        if not _FIGURE.fullmatch(value):
            raise ValueError(f"a figure reads like {_FIGURE_FORMS}; got {value!r}")
        return Decimal(value.replace(",", ""))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a figure reads like {_FIGURE_FORMS}; got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"a figure with decimals is written as text, e.g. '12.5', not {value!r}")
    if not abs(value) < 10**MOST_DIGITS:
        raise ValueError(f"a figure has at most {MOST_DIGITS} digits before the decimal point; got {value!r}")
    return Decimal(int(value))


Figure = Annotated[
    Decimal,
    BeforeValidator(_figure),
    # In digits, as it is taken, never in exponent notation.
    PlainSerializer(lambda figure: format(figure, "f"), return_type=str, when_used="json"),
    Schema(
        lambda: {
            "anyOf": [
                {"type": "integer", "exclusiveMinimum": -(10**MOST_DIGITS), "exclusiveMaximum": 10**MOST_DIGITS},
                {"type": "string", "pattern": FIGURE_PATTERN},
            ]
        }
    ),
]

# One part of a breakdown: "category: value", each with something but
# spaces, one line (domain.text's line, as its pattern says it).
_CHARACTER = r"[^\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF\ud800-\udfff]"
_NAMED = r"[^:\s\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF\ud800-\udfff]"
_SAID = r"[^\s\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF\ud800-\udfff]"
_NOT_COLON = r"[^:\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF\ud800-\udfff]"
PART_PATTERN = rf"^{_NOT_COLON}*{_NAMED}{_NOT_COLON}*:{_CHARACTER}*{_SAID}{_CHARACTER}*$"
_PART = re.compile(PART_PATTERN)


def _part(item: str, info: ValidationInfo) -> str:
    """One part of a breakdown, written canonically: its category in lower case."""
    if is_recorded(info.context):
        return item
    if len(item) > LINE:
        raise ValueError(f"at most {LINE:,} characters; this has {len(item):,}")
    if not _PART.fullmatch(item):
        raise ValueError(f"a breakdown reads 'category: value', one line, e.g. 'route: from Libya'; got {item[:80]!r}")
    named, _, value = item.partition(":")
    return f"{named.strip().casefold()}: {value.strip()}"


def category(item: str) -> str:
    """The category of one part of a breakdown ("route: from Libya": route)."""
    return item.partition(":")[0].strip().casefold()


def check_breakdown(parts: tuple[str, ...]) -> None:
    """A breakdown names each category once."""
    categories = [category(part) for part in parts]
    twice = sorted({name for name in categories if categories.count(name) > 1})
    if twice:
        raise ValueError(f"a breakdown names each category once; {', '.join(twice)} is named more than once")


Breakdown = Annotated[
    tuple[
        Annotated[
            str, AfterValidator(_part), Schema(lambda: {"type": "string", "maxLength": LINE, "pattern": PART_PATTERN})
        ],
        ...,
    ],
    *Items(most=10).marks,
    # In one order, whatever order it was given in: one breakdown, one text.
    AfterValidator(lambda parts: tuple(sorted(parts))),
]
