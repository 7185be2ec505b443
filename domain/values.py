"""Value objects: partner codes, money, dates of known precision, pillars."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from domain.codes import known_country, known_currency, upper
from domain.errors import AmountNotPositive

PartnerCode = Annotated[
    str,
    BeforeValidator(upper),
    AfterValidator(known_country),
    Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code of the partner country, e.g. TN",
        examples=["TN", "MA"],
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


_AMOUNT = re.compile(r"^-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")


class Money(BaseModel):
    """A strictly positive amount in one currency. Never a float."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    amount: Decimal = Field(description="Amount as a decimal number, e.g. 1250000.00")
    currency: CurrencyCode

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """Accept "EUR 1250000" as well as {"amount": ..., "currency": ...}."""
        if isinstance(data, str):
            parts = data.split()
            if len(parts) != 2:
                raise ValueError(f"money must read like 'EUR 1250000', got {data!r}")
            first, second = parts
            currency, amount = (first, second) if first.isalpha() else (second, first)
            if not _AMOUNT.match(amount):
                raise ValueError(f"an amount reads like 1250000.50 or 1,250,000.50; got {amount!r}")
            return {"amount": amount.replace(",", ""), "currency": currency}
        return data

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if not self.amount.is_finite() or self.amount <= 0:
            raise AmountNotPositive(f"amount must be positive, got {self.amount}")
        return self

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
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
        return {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
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
        if self.at.tzinfo is None:
            raise ValueError("the recording moment must be timezone-aware")
        # Stored moments are all in UTC, whatever zone the caller's clock has.
        if self.at.tzinfo is not UTC:
            object.__setattr__(self, "at", self.at.astimezone(UTC))
