"""A day's exchange rates as a fact: what it takes, what it refuses, and a
day recorded again with other rates named by the rate that differs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.errors import FutureDated
from domain.rates import ExchangeRates, RatesDiffer
from domain.signing import may_sign
from workflows.config.policy import PEOPLE_RECORD

ECB = "ECB euro foreign exchange reference rates"
JUNE17 = date(2021, 6, 17)
RATES = {"USD": Decimal("1.1937"), "GBP": Decimal("0.85525")}
LATER = datetime(2021, 8, 1, tzinfo=UTC)


def test_a_days_rates_are_one_aggregate_found_again_by_source_and_day(stamp) -> None:
    rates = ExchangeRates.publish(ECB, JUNE17, "EUR", RATES, "eurofxref-hist.csv", stamp(at=LATER))

    [event] = rates.collect_events()
    assert rates.id == ExchangeRates.id_of(ECB, JUNE17) != ExchangeRates.id_of(ECB, date(2021, 6, 18))
    assert (event.published_on, event.base, event.rates, event.origin) == (JUNE17, "EUR", RATES, "eurofxref-hist.csv")
    assert rates.same_as("EUR", dict(RATES))


def test_the_same_day_with_other_rates_names_the_rate_that_differs(stamp) -> None:
    rates = ExchangeRates.publish(ECB, JUNE17, "EUR", RATES, "", stamp(at=LATER))

    with pytest.raises(RatesDiffer, match=r"differ: USD is 1.1937 there, 1.2 here$"):
        rates.same_as("EUR", {**RATES, "USD": Decimal("1.2")})
    with pytest.raises(RatesDiffer, match=r"differ: CHF is not quoted there, 1.09 here$"):
        rates.same_as("EUR", {**RATES, "CHF": Decimal("1.09")})
    with pytest.raises(RatesDiffer, match=r"differ: their base is EUR, not USD$"):
        rates.same_as("USD", RATES)


@pytest.mark.parametrize(
    ("base", "rates", "says"),
    [
        ("EUR", {}, "at least 1 item"),
        ("EUR", {"EUR": Decimal(1)}, "the base EUR has no rate of its own"),
        ("eur", RATES, "a currency is three capital letters"),
        ("EUR", {"usd": Decimal(1)}, "a currency is three capital letters"),
        ("EUR", {"USD": Decimal(0)}, "a rate is a positive number"),
        ("EUR", {"USD": Decimal("-1.2")}, "a rate is a positive number"),
        ("EUR", {"USD": Decimal("NaN")}, "finite number"),
        ("EUR", {"USD": Decimal("1.0000000000000001")}, "at most 15 significant digits"),
        ("EUR", {"USD": Decimal("1E+20")}, r"between 10\^-12 and 10\^12"),
        ("EUR", {"USD": Decimal("1E-20")}, r"between 10\^-12 and 10\^12"),
    ],
)
def test_rates_that_are_not_rates_are_refused(stamp, base: str, rates: dict[str, Decimal], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        ExchangeRates.publish(ECB, JUNE17, base, rates, "", stamp(at=LATER))


def test_rates_of_a_day_to_come_are_refused(stamp) -> None:
    with pytest.raises(FutureDated, match="rates of 2031-01-01 cannot be recorded before that day"):
        ExchangeRates.publish(ECB, date(2031, 1, 1), "EUR", RATES, "", stamp())


def test_people_import_rates_a_policy_may_restrict_and_a_scheduler_key_cannot_sign() -> None:
    assert "ExchangeRatesPublished" in PEOPLE_RECORD
    assert not may_sign("scheduler", "ExchangeRatesPublished")
    assert may_sign("person", "ExchangeRatesPublished")
