"""Indicators: what the partnerships achieve, measured. Each is defined for
a partnership or for the portfolio, and holds its baseline, its targets
per period and the actual figures reported per period and breakdown, as
facts: a restated figure is one more fact, and a correction or retraction
works on them as on every other."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from domain.amendments import amendable
from domain.base import Aggregate, Fact, Founding, Ref
from domain.codes import known_country, minor_unit
from domain.errors import BreakdownNotDeclared, FigureOutOfUnit, IndicatorNotDefined
from domain.measures import Breakdown, Figure, Period, category, check_breakdown, check_span
from domain.recorded import is_recorded
from domain.text import Line, Lines
from domain.values import Approximation, CurrencyCode, EventDate
from domain.values import _Schema as Schema

PORTFOLIO = "portfolio"
SCOPES = f"{PORTFOLIO} or a partner's code"


class Unit(StrEnum):
    """What an indicator's figures count."""

    NUMBER = "number"
    PERCENTAGE = "percentage"
    MONEY = "money"


class Direction(StrEnum):
    """Which way is better."""

    UP = "up"
    DOWN = "down"


class Level(StrEnum):
    """The level of a simple results chain an indicator measures."""

    IMPACT = "impact"
    OUTCOME = "outcome"
    OUTPUT = "output"


class Cadence(StrEnum):
    """How often an indicator is reported."""

    YEARLY = "yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


# Its code within its scope, as a Ref reads (domain.base).
_CODE = r"[A-Za-z0-9][A-Za-z0-9._:/-]*"
_REF = re.compile(rf"(portfolio|[A-Z]{{2}})/{_CODE}")
MOST_REF = 120


def _scoped(value: str, info: ValidationInfo) -> str:
    """An indicator's reference: `portfolio/CODE`, or a partner's code in
    capitals and a code (`TN/returns`)."""
    if is_recorded(info.context):
        return value
    found = _REF.fullmatch(value)
    if found is None or len(value) > MOST_REF:
        raise ValueError(
            f"an indicator is named SCOPE/CODE, its scope {SCOPES} in capitals, its code letters, digits "
            f"and . _ : / - (at most {MOST_REF} characters in all), e.g. TN/returns; got {value[:MOST_REF]!r}"
        )
    if found.group(1) != PORTFOLIO:
        known_country(found.group(1))
    return value


def _ref_schema() -> dict[str, Any]:
    from domain.codes import country_codes

    scopes = "|".join([PORTFOLIO, *sorted(country_codes())])
    return {"type": "string", "maxLength": MOST_REF, "pattern": rf"^(?:{scopes})/{_CODE}$"}


IndicatorRef = Annotated[
    str,
    AfterValidator(_scoped),
    Schema(_ref_schema),
    Field(
        description=(
            "The indicator: its scope (portfolio, or the partner's code) and its code within it, "
            "e.g. TN/returns or portfolio/migration-share"
        ),
        examples=["TN/returns", "portfolio/migration-share"],
    ),
]


def scope_of(indicator: str) -> str:
    """The partner an indicator is defined for, or `portfolio`."""
    return indicator.partition("/")[0]


class IndicatorFact(Fact):
    SUBJECT: ClassVar[str] = "indicator"

    indicator: IndicatorRef


class Indicator(Aggregate):
    """A measure of what a partnership, or the portfolio, achieves."""

    # The base of its events (see Partnership.Event).
    Event = IndicatorFact  # type: ignore[assignment]

    NOUN = "indicator"
    STARTED = "defined"

    class IndicatorDefined(IndicatorFact, Founding):
        """An indicator is defined: what it measures, in what unit, how often reported."""

        title: Line = Field(min_length=1, description="What it measures, e.g. Arrivals in Italy by route")
        unit: Unit = Field(description="number, percentage or money")
        currency: CurrencyCode | None = Field(default=None, description="The currency of a money indicator, e.g. EUR")
        direction: Direction = Field(default=Direction.UP, description="Which way is better: up or down")
        disaggregations: Lines = Field(
            default=(), description="Categories its figures are broken down by, e.g. route, nationality"
        )
        source: Line = Field(default="", description="Where its figures come from, e.g. UNHCR, Frontex")
        cadence: Cadence | None = Field(default=None, description="How often reported: yearly, quarterly, monthly")
        owner: Line = Field(default="", description="Who reports it")
        level: Level | None = Field(default=None, description="Its level in the results chain: impact, outcome, output")
        measures_initiative: Ref | None = Field(default=None, description="The initiative it measures, if any")
        measures_funding: Ref | None = Field(
            default=None, description="The funding line of its partnership it measures, if any"
        )

        @classmethod
        def partners_named(cls, values: Mapping[str, Any]) -> tuple[str, ...]:
            """A partnership's indicator is defined once its partnership is opened."""
            scope = scope_of(str(values["indicator"]))
            return () if scope == PORTFOLIO else (scope,)

        @model_validator(mode="after")
        def _unit_and_currency(self) -> Self:
            if self.unit == Unit.MONEY and self.currency is None:
                raise ValueError("a money indicator names its currency, e.g. EUR")
            if self.unit != Unit.MONEY and self.currency is not None:
                raise ValueError(f"only a money indicator has a currency; this one is a {self.unit.value}")
            if self.measures_funding is not None and scope_of(self.indicator) == PORTFOLIO:
                raise ValueError("a funding line is one partnership's: a portfolio indicator does not measure one")
            return self

    class BaselineSet(IndicatorFact):
        """Where an indicator stood before: a value on a date."""

        value: Figure = Field(description="The baseline value, e.g. 13000 or '12.5'")
        measured_on: EventDate = Field(description="When it stood at that value (day, month or year)")
        approximation: Approximation = Field(
            default=Approximation.EXACT, description="How exact the figure is: exact, about, at_least, at_most"
        )
        source: Line = Field(default="", description="Where the figure comes from")

        def check(self, aggregate: Indicator) -> None:
            super().check(aggregate)
            aggregate.require_fits(self.value)

        def apply(self, aggregate: Indicator) -> None:
            aggregate.baseline = self.value

    class TargetSet(IndicatorFact):
        """What an indicator should reach by the end of a period."""

        period: Period = Field(description="The period the target is for: 2021, 2021-Q2, 2021-06 or from/to days")
        value: Figure = Field(description="The value to reach, e.g. 10 for 10%")

        @model_validator(mode="after")
        def _period_of_days(self) -> Self:
            check_span(self.period)
            return self

        def check(self, aggregate: Indicator) -> None:
            super().check(aggregate)
            aggregate.require_fits(self.value)

    class ActualReported(IndicatorFact):
        """A figure reported for a period, whole or for one part of a breakdown."""

        period: Period = Field(description="The period the figure is for: 2021, 2021-Q2, 2021-06 or from/to days")
        value: Figure = Field(description="The figure, e.g. 13000")
        breakdown: Breakdown = Field(
            default=(),
            description="The part it is for, one 'category: value' a line (e.g. 'route: from Libya'); none: the whole",
        )
        approximation: Approximation = Field(
            default=Approximation.EXACT, description="How exact the figure is: exact, about, at_least, at_most"
        )
        source: Line = Field(min_length=1, description="Who reported the figure")

        @model_validator(mode="after")
        def _period_and_breakdown(self) -> Self:
            check_span(self.period)
            check_breakdown(self.breakdown)
            return self

        def check(self, aggregate: Indicator) -> None:
            super().check(aggregate)
            aggregate.require_fits(self.value)
            aggregate.require_declared(self.breakdown)

    def __init__(
        self, indicator: str, unit: Unit, currency: str | None, disaggregations: tuple[str, ...], title: str
    ) -> None:
        self.indicator = indicator
        self.title = title
        self.unit = unit
        self.currency = currency
        self.disaggregations = disaggregations
        self.baseline: Decimal | None = None

    @classmethod
    def not_started(cls, subject: str) -> IndicatorNotDefined:
        return IndicatorNotDefined(f"indicator {subject} is not defined: record IndicatorDefined for it first")

    def require_fits(self, value: Decimal) -> None:
        """A figure fits the indicator's unit."""
        if self.unit == Unit.PERCENTAGE and not 0 <= value <= 100:
            raise FigureOutOfUnit(
                f"indicator {self.indicator} is a percentage: {value} is not from 0 to 100 (write 10 for 10%)"
            )
        if self.unit == Unit.MONEY:
            assert self.currency is not None
            if value < 0:
                raise FigureOutOfUnit(
                    f"indicator {self.indicator} is an amount in {self.currency}: {value} is negative"
                )
            _, _, exponent = value.as_tuple()
            assert isinstance(exponent, int)
            allowed = minor_unit(self.currency)
            if -exponent > allowed:
                raise FigureOutOfUnit(
                    f"indicator {self.indicator} is in {self.currency}, which has {allowed} "
                    f"decimal{'s' * (allowed != 1)} (ISO 4217): {value} has {-exponent}"
                )

    def require_declared(self, breakdown: tuple[str, ...]) -> None:
        """A figure is broken down only by the indicator's categories."""
        declared = {name.casefold() for name in self.disaggregations}
        for part in breakdown:
            if category(part) not in declared:
                known = ", ".join(self.disaggregations) or "none"
                raise BreakdownNotDeclared(
                    f"indicator {self.indicator} is not broken down by {category(part)!r} (its categories: {known})"
                )


amendable(Indicator)
