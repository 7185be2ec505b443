"""Exchange rates as their source published them: one source's reference
rates for one day, each day a fact in the log. A figure converted from one
currency to another names the rate it used, its day and its source, and is
the same under any replay of the record as it was known then.

A day's rates say how many units of each currency one unit of the base
buys (the ECB's: 1 EUR = 1.1937 USD). Currencies that are no longer
issued (the ECB still lists CYP, DEM's successors and the like in its
history) are kept as published: a rate is a quotation, not an amount of
money Accord records.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from domain.base import Aggregate, Founding, Recorded, latest_calendar_day
from domain.errors import DomainError, FutureDated
from domain.text import Line
from domain.values import Stamp

# A currency as a source quotes it: three capital letters (ISO 4217's form,
# withdrawn codes included).
QUOTED = re.compile(r"[A-Z]{3}")
# The most currencies one day's rates may hold (the ECB publishes about 30;
# ISO 4217 lists fewer than 200), and a rate's most significant digits.
MOST_RATES = 300
RATE_DIGITS = 15
# A rate is within twelve orders of magnitude of 1 (the ECB's run from under
# 1 to about 20,000): beyond, it is a mistake, not a currency.
RATE_BOUND = Decimal(10) ** 12


# Rounding converted amounts: once, to the target currency's minor unit, half
# to even (a half cent goes to the even cent), as bankers and the ECB's
# conversion rules for the euro have it; totals add rounded amounts.
ROUNDING = ROUND_HALF_EVEN


def converted(amount: Decimal, rate_of: Decimal, rate_into: Decimal, decimals: int) -> Decimal:
    """An amount converted through the base both rates are prices of: a
    currency whose base buys `rate_of` of it, into one of which the base buys
    `rate_into` (1 for the base itself), rounded once to `decimals`."""
    with localcontext() as exact:
        # Enough digits that only the final rounding rounds: 18 of an amount,
        # 15 of each rate, and the decimals kept.
        exact.prec = 60
        value = amount / rate_of * rate_into
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUNDING)


class RatesDiffer(DomainError):
    """A source's rates of a day recorded already, and different from those given."""


def _rate(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"a rate is a positive number; got {value}")
    if not 1 / RATE_BOUND < value < RATE_BOUND:
        raise ValueError(f"a rate is between 10^-12 and 10^12; got {value}")
    if len(value.normalize().as_tuple().digits) > RATE_DIGITS:
        raise ValueError(f"a rate has at most {RATE_DIGITS} significant digits; got {value}")
    return value


def _code(code: str) -> str:
    if not QUOTED.fullmatch(code):
        raise ValueError(f"a currency is three capital letters (ISO 4217), e.g. USD; got {code!r}")
    return code


Rate = Annotated[Decimal, AfterValidator(_rate)]
Quoted = Annotated[str, AfterValidator(_code)]


class ExchangeRates(Aggregate):
    """The rates one source published for one day; its id comes from the
    source and the day, so a day's rates are recorded once."""

    NOUN = "exchange rates"
    STARTED = "published"

    class ExchangeRatesPublished(Recorded, Founding):
        """A source's reference rates for one day."""

        source: Line = Field(min_length=1, description="Who published them, e.g. the ECB's reference rates")
        published_on: date = Field(description="The day the rates are of")
        base: Quoted = Field(description="The currency each rate is a price of, e.g. EUR")
        rates: dict[Quoted, Rate] = Field(
            min_length=1, max_length=MOST_RATES, description="Units of each currency one unit of the base buys"
        )
        origin: Line = Field(default="", description="Where they were read from: a file's name")

        @model_validator(mode="after")
        def _not_of_itself(self) -> Self:
            if self.base in self.rates:
                raise ValueError(f"the base {self.base} has no rate of its own")
            return self

        def check(self, aggregate: Any) -> None:
            if self.published_on > latest_calendar_day(self.timestamp):
                raise FutureDated(f"rates of {self.published_on} cannot be recorded before that day")

    def __init__(self, source: str, published_on: date, base: str, rates: dict[str, Decimal], origin: str) -> None:
        self.source = source
        self.published_on = published_on
        self.base = base
        self.rates = rates
        self.origin = origin

    @staticmethod
    def subject(source: str, day: date) -> str:
        return f"{source}/{day.isoformat()}"

    @classmethod
    def named_by(cls, first: Any) -> str:
        return cls.subject(first.source, first.published_on)

    @classmethod
    def id_of(cls, source: str, day: date) -> Any:
        return cls.id_for(cls.subject(source, day))

    @classmethod
    def publish(
        cls, source: str, day: date, base: str, rates: dict[str, Decimal], origin: str, stamp: Stamp
    ) -> ExchangeRates:
        facts = {"source": source, "published_on": day, "base": base, "rates": rates, "origin": origin}
        return cls.start(cls.ExchangeRatesPublished, cls.subject(source, day), facts, stamp)

    def same_as(self, base: str, rates: dict[str, Decimal]) -> bool:
        """Whether these are the rates recorded (a file read again); raises
        RatesDiffer, naming the first that differs, if they are not."""
        if base == self.base and rates == self.rates:
            return True
        if base != self.base:
            said = f"their base is {self.base}, not {base}"
        else:
            code = next(code for code in sorted({*rates, *self.rates}) if rates.get(code) != self.rates.get(code))
            said = f"{code} is {self.rates.get(code, 'not quoted')} there, {rates.get(code, 'not quoted')} here"
        raise RatesDiffer(
            f"the rates of {self.published_on} from {self.source} are recorded already, and differ: {said}"
        )
