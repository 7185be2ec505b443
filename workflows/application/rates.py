"""Recording exchange rates as their source published them: each day's
rates once, a file of thousands of days all at once or not at all, and a
file read again recording nothing (domain.rates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.rates import ExchangeRates, RatesDiffer
from domain.text import LINE, fit
from domain.values import Stamp
from workflows.application.core import Core
from workflows.base.batches import collector_paused

PUBLISHED = ExchangeRates.ExchangeRatesPublished.__name__


@dataclass(frozen=True)
class DayRates:
    """One day's rates as a file gives them: units of each currency one unit of the base buys."""

    day: date
    base: str
    rates: dict[str, Decimal]


@dataclass
class RatesReceipt:
    """The days whose rates were recorded now, and those recorded before."""

    recorded: list[date] = field(default_factory=list)
    already: list[date] = field(default_factory=list)


class RateChanges(Core):
    def publish_rates(
        self, source: str, days: list[DayRates], origin: str, actor: str, *, dry_run: bool = False
    ) -> RatesReceipt:
        """Record each day's rates from `source` not recorded before, all or
        none: a day recorded with other rates refuses the whole (RatesDiffer).
        `dry_run`: every check made, the store's own among them (its
        transaction rolled back), nothing stored."""
        actor = self.authenticated or actor
        if self.policy is not None:
            self.policy.check(actor, PUBLISHED)
        now = self.clock.now()
        # A file's name, whatever it holds, is named as one line of text.
        origin = fit(origin, LINE)

        def decide(attempt: int) -> tuple[RatesReceipt, list[Any]]:
            receipt = RatesReceipt()
            events: list[Any] = []
            given: dict[date, DayRates] = {}
            for rates in days:
                if rates.day in given:
                    _same(given[rates.day], rates, source)
                    continue
                given[rates.day] = rates
                found: ExchangeRates | None = self.find(ExchangeRates.id_of(source, rates.day))
                if found is not None and found.same_as(rates.base, rates.rates):
                    receipt.already.append(rates.day)
                    continue
                stamp = Stamp(actor, now, f"rates/{source}/{rates.day.isoformat()}")
                published = ExchangeRates.publish(source, rates.day, rates.base, rates.rates, origin, stamp)
                events += published.collect_events()
                receipt.recorded.append(rates.day)
            return receipt, events

        with collector_paused():
            receipt: RatesReceipt = self.store_decided(decide, dry_run=dry_run)
        return receipt


def _same(first: DayRates, then: DayRates, source: str) -> None:
    """A day a file gives twice is given with the same rates."""
    if (first.base, first.rates) != (then.base, then.rates):
        raise RatesDiffer(f"the rates of {first.day} from {source} are given twice, and differ")
