"""Value objects: partner codes, money, dates of known precision, pillars."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from domain.codes import known_country, known_currency, minor_unit, upper
from domain.errors import AmountNotPositive, AmountTooLarge, AmountTooPrecise, InvalidActor
from domain.recorded import is_recorded
from domain.text import NAME, Items, problem


class _Schema:
    """The JSON Schema of an annotated type, made when a schema is asked
    for: the code lists it names are not read at import."""

    def __init__(self, make: Callable[[], JsonSchemaValue]) -> None:
        self.make = make

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        return self.make()


def _partner_schema() -> JsonSchemaValue:
    from domain.schemas import partner_json_schema

    return partner_json_schema()


PartnerCode = Annotated[
    str,
    BeforeValidator(upper),
    AfterValidator(known_country),
    Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code of the partner country, e.g. TN",
        examples=["TN", "MA"],
    ),
    _Schema(_partner_schema),
]


def _whole(value: Any) -> Any:
    """A whole number as JSON has it: an integer, or a number with no
    fraction (12.0); never text nor true/false, nor a number written with
    a fraction or an exponent beyond what a float holds exactly (2^53)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a whole number is expected, e.g. 12, not {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"a whole number is expected, e.g. 12, not {value!r}")
    if isinstance(value, float) and abs(value) > 2**53:
        raise ValueError(f"a whole number this large is written exactly, in digits, not as {value!r}")
    return int(value)


# Bounds of whole numbers, documented in the schema: a count of people (a
# trillion is beyond any), a number of days (a century).
MOST_COUNTED = 10**12
MOST_DAYS = 36_600

# The partners a fact names: no more than there are countries.
Partners = Annotated[tuple[PartnerCode, ...], *Items(most=250).marks]

# Whole numbers, bounds first: pydantic's schema keeps them as JSON Schema's
# minimum and maximum only when they come before the validator.
Count = Annotated[int, Field(ge=0, le=MOST_COUNTED), BeforeValidator(_whole)]
Days = Annotated[int, Field(ge=1, le=MOST_DAYS), BeforeValidator(_whole)]
Year = Annotated[int, Field(ge=2000, le=2100), BeforeValidator(_whole)]

# A share above 0 and at most 1, as text: 0.10, .5, 1 or 1.00.
_SHARE = r"^(?:0?\.[0-9]*[1-9][0-9]*|1(?:\.0+)?)$"


def _share(value: Any, info: ValidationInfo) -> Any:
    """A share as a JSON number (0.1) or as text ("0.10"), exactly. One
    recorded before it was written out in digits (1E-7) is read as it is."""
    if isinstance(value, str):
        if not re.match(_SHARE, value) and not is_recorded(info.context):
            raise ValueError(f"a share reads like 0.10 (above 0, at most 1); got {value!r}")
        return Decimal(value)
    if isinstance(value, bool):
        raise ValueError(f"a share is a number like 0.10, not {value!r}")
    return Decimal(str(value)) if isinstance(value, float) else value


Share = Annotated[
    Decimal,
    BeforeValidator(_share),
    Field(gt=0, le=1),
    # In digits, as it is taken (0.0000001), never in the exponent notation
    # a Decimal would be written in (1E-7), which no reader of it takes.
    PlainSerializer(lambda share: format(share, "f"), return_type=str, when_used="json"),
    _Schema(
        lambda: {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                {"type": "string", "pattern": _SHARE},
            ]
        }
    ),
]

CurrencyCode = Annotated[
    str,
    BeforeValidator(upper),
    AfterValidator(known_currency),
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code, e.g. EUR"),
]


class Pillar(StrEnum):
    """The five pillars a partnership serves (Pact on Migration and Asylum)."""

    PROTECTION = "protection"
    ROOT_CAUSES = "root_causes"
    MIGRATION_GOVERNANCE = "migration_governance"
    RETURN_READMISSION = "return_readmission"
    LEGAL_PATHWAYS = "legal_pathways"


class Party(StrEnum):
    """Who made a commitment."""

    EU = "eu"
    MEMBER_STATE = "member_state"
    PARTNER = "partner"


class Approximation(StrEnum):
    """How exact a reported figure is, as the source gives it."""

    EXACT = "exact"
    ABOUT = "about"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


# An amount is written as text: digits, or digits grouped in threes by
# commas, and a decimal point before at most as many decimals as its
# currency's minor unit. A JSON number may already have lost digits.
# ASCII digits only, as JSON Schema's patterns read them.
_AMOUNT = re.compile(r"^-?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$")
AMOUNT_FORMS = "1250000.50 or 1,250,000.50"
NOT_A_NUMBER = 'an amount is written as text, in quotes ("1250000.50"): a JSON number may lose digits'
MONEY_FORMS = """'EUR 1250000' or {"amount": "1250000", "currency": "EUR"}"""


class Money(BaseModel):
    """A strictly positive amount in one currency, exact: written as text,
    never a float, with no more decimals than the currency has (ISO 4217)
    and at most MAXIMUM_DIGITS digits before the decimal point."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Below 10^18 of a currency's units: the sums of a million such amounts
    # stay exact within Decimal's 28 digits.
    MAXIMUM_DIGITS: ClassVar[int] = 18

    amount: Decimal = Field(description="Amount as text, e.g. '1250000.00'")
    currency: CurrencyCode

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any, info: ValidationInfo) -> Any:
        """Accept "EUR 1250000" as well as {"amount": "1250000", "currency": "EUR"}."""
        if isinstance(data, str):
            parts = data.split()
            if len(parts) != 2:
                raise ValueError(f"money reads like {MONEY_FORMS}; got {data!r}")
            first, second = parts
            currency, amount = (first, second) if first.isalpha() else (second, first)
            return {"amount": _amount_text(amount), "currency": currency}
        if isinstance(data, dict) and not is_recorded(info.context):
            given = data.get("amount")
            if isinstance(given, int | float):
                raise ValueError(NOT_A_NUMBER)
            if isinstance(given, str):
                return {**data, "amount": _amount_text(given)}
        elif isinstance(data, int | float | Decimal):
            raise ValueError(f"money names its currency, as {MONEY_FORMS}")
        return data

    @model_validator(mode="after")
    def _exact(self, info: ValidationInfo) -> Self:
        amount = self.amount
        if not amount.is_finite() or amount <= 0:
            raise AmountNotPositive(f"amount must be positive, got {amount}")
        if is_recorded(info.context):
            return self
        _, digits, exponent = amount.as_tuple()
        assert isinstance(exponent, int)  # finite
        decimals, allowed = max(-exponent, 0), minor_unit(self.currency)
        if decimals > allowed:
            raise AmountTooPrecise(
                f"{self.currency} has {allowed} decimal{'s' * (allowed != 1)} (ISO 4217): {amount} has {decimals}"
            )
        if len(digits) + exponent > self.MAXIMUM_DIGITS:
            raise AmountTooLarge(
                f"an amount has at most {self.MAXIMUM_DIGITS} digits before the decimal point; {amount:,} has "
                f"{len(digits) + exponent}"
            )
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        from domain.schemas import money_json_schema

        return money_json_schema(cls.MAXIMUM_DIGITS)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"


def _amount_text(text: str) -> Decimal:
    """An amount written as text, exactly, with every zero written kept."""
    if not _AMOUNT.match(text):
        raise ValueError(f"an amount reads like {AMOUNT_FORMS}; got {text!r}")
    whole = text.split(".")[0].lstrip("-").replace(",", "")
    if len(whole) > Money.MAXIMUM_DIGITS:
        raise AmountTooLarge(
            f"an amount has at most {Money.MAXIMUM_DIGITS} digits before the decimal point; {text} has {len(whole)}"
        )
    return Decimal(text.replace(",", ""))


# ASCII digits only: a Python \d takes any script's digits, as JSON Schema's does not.
_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_DATE_FORMS = "YYYY-MM-DD, or YYYY-MM when only the month is known, or YYYY when only the year is"


@dataclass(frozen=True)
class EventDate:
    """A calendar date known to the day, or only to the month or the year.

    The source often says "in August" or "earlier this year": such a date is
    kept at the precision given rather than given an invented day.
    """

    year: int
    month: int | None = None
    day: int | None = None
    # (earliest, latest), worked out once: dates are compared often.
    _span: tuple[date, date] = field(init=False, repr=False, compare=False)
    # As written: every stored event and snapshot writes its dates.
    _text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        object.__setattr__(self, "_text", text)
        valid = 1 <= self.year <= 9999 and (self.month is None or 1 <= self.month <= 12)
        if valid and self.month is None:
            valid = self.day is None
        elif valid and self.day is not None:
            assert self.month is not None
            valid = 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]
        if not valid:
            raise ValueError(f"not a calendar date: {self}")
        object.__setattr__(self, "_span", (self._earliest(), self._latest()))

    @classmethod
    def parse(cls, text: str) -> EventDate:
        """Read "2021-05-20", "2020-12" or "2021"."""
        match = _DATE.match(text.strip())
        if match is None:
            raise ValueError(f"a date reads {_DATE_FORMS}; got {text!r}")
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    @classmethod
    def of(cls, day: date) -> EventDate:
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> str:
        return "year" if self.month is None else "month" if self.day is None else "day"

    @property
    def earliest(self) -> date:
        """The first day this date may stand for."""
        return self._span[0]

    @property
    def latest(self) -> date:
        """The last day this date may stand for."""
        return self._span[1]

    def _earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def _latest(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        return date(self.year, self.month, self.day or calendar.monthrange(self.year, self.month)[1])

    # Ordered by the first day each may stand for, then by the last.
    def __lt__(self, other: EventDate) -> bool:
        return self._span < other._span

    def __le__(self, other: EventDate) -> bool:
        return self._span <= other._span

    def __gt__(self, other: EventDate) -> bool:
        return self._span > other._span

    def __ge__(self, other: EventDate) -> bool:
        return self._span >= other._span

    def __str__(self) -> str:
        return self._text

    @classmethod
    def _coerce(cls, value: Any) -> EventDate:
        # Text first: it is what stored events and snapshots hold.
        if isinstance(value, str):
            return event_date(value)
        if isinstance(value, EventDate):
            return value
        if isinstance(value, datetime):
            raise ValueError("a date is expected, not a date and time")
        if isinstance(value, date):
            return cls.of(value)
        raise ValueError(f"a date reads {_DATE_FORMS}; got {value!r}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(attrgetter("_text"), when_used="always"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        from domain.schemas import DATE_PATTERN

        return {
            "type": "string",
            "pattern": DATE_PATTERN,
            "description": _DATE_FORMS,
            "examples": ["2021-05-20", "2020-12", "2021"],
        }


@lru_cache(maxsize=65536)
def event_date(text: str) -> EventDate:
    """`EventDate.parse`, remembered: a log repeats the same dates many times."""
    return EventDate.parse(text)


@dataclass(frozen=True)
class Stamp:
    """Who records a fact, at what moment, under which submission key."""

    actor: str
    at: datetime
    key: str

    def __post_init__(self) -> None:
        said = problem(self.actor, one_line=True, limit=NAME) or ("is empty" if not self.actor else None)
        if said is not None:
            raise InvalidActor(f"the actor's name (who records it) {said}")
        if self.at.tzinfo is None:
            raise ValueError("the recording moment must be timezone-aware")
        # Stored moments are all in UTC, whatever zone the caller's clock has.
        if self.at.tzinfo is not UTC:
            object.__setattr__(self, "at", self.at.astimezone(UTC))
