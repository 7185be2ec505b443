"""Funding in one currency (`--in EUR`): each commitment, disbursement and
decommitment converted at the rate of its own day, the latest published on
or before it (a day known only to the month or the year takes its first
day, so no rate from after it is used), through the euro the ECB's rates
are prices of, and rounded once to the currency's minor unit, half to even.
Totals add the rounded amounts. An amount with no rate is listed with the
reason, never guessed; each rate used is shown with its day and source.

Rates are read from the rates view as it stands, or as a replay rebuilt it
(`--known-at`): a figure is the same under any replay of what was known.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.codes import known_currency, minor_unit
from domain.rates import converted
from domain.values import event_date
from workflows.base.failures import BadInput
from workflows.projections.rates.queries import Quote, RateQueries
from workflows.reports.model import Report, Table

# The currency the ECB's rates are prices of.
BASE = "EUR"
SIGN = {"committed": 1, "decommitted": -1, "disbursed": 1}


class NotACurrency(BadInput, ValueError):
    """A currency to convert into that is not money Accord records."""


def currency(code: str) -> str:
    """A currency to convert into, checked: ISO 4217, with a minor unit."""
    code = code.strip().upper()
    try:
        known_currency(code)
        minor_unit(code)
    except ValueError as error:
        raise NotACurrency(f"--in {code}: {error}") from None
    return code


@dataclass
class InOneCurrency:
    """Funding moves converted into `into`: totals by partner, the rates
    used, and what could not be converted, and why."""

    into: str
    by_partner: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: Counter[Quote] = field(default_factory=Counter)
    missing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def committed(self) -> Decimal:
        return sum((row["committed"] for row in self.by_partner.values()), Decimal(0))

    @property
    def disbursed(self) -> Decimal:
        return sum((row["disbursed"] for row in self.by_partner.values()), Decimal(0))

    def tables(self) -> list[Table]:
        into = self.into
        return [
            Table(
                f"In {into}, by partner (each amount at the rate of its day)",
                ["partner", "committed", "disbursed", "amounts", "converted"],
                [self.by_partner[partner] for partner in sorted(self.by_partner)],
            ),
            Table(
                f"Rates used (1 {BASE} buys)",
                ["currency", "rate", "day", "source", "amounts"],
                [
                    {"currency": q.currency, "rate": q.rate, "day": q.day.isoformat(), "source": q.source, "amounts": n}
                    for q, n in sorted(self.used.items(), key=lambda item: (item[0].currency, item[0].day))
                ],
            ),
            Table(
                f"Not converted to {into}", ["partner", "funding", "kind", "occurred_on", "amount", "why"], self.missing
            ),
        ]


def add_one_currency(
    report: Report, app: Any, into: str, *, at: int, prefix: str = "", partner: str | None = None
) -> None:
    """Add to a report the funding in `into` (of one `partner`, if given):
    its two totals and how many amounts have no rate as its first figures
    (each name after `prefix`), its rule to the subtitle, and its tables at
    position `at`."""
    moves = [move for move in app.reader.funding.moves() if partner is None or move["partner"] == partner]
    converted = in_one_currency(moves, app.reader.rates, into)
    report.subtitle += rule(into)
    report.figures = {
        f"{prefix}committed in {into}": converted.committed,
        f"{prefix}disbursed in {into}": converted.disbursed,
        f"{prefix}amounts not converted to {into}": len(converted.missing),
        **report.figures,
    }
    report.tables[at:at] = converted.tables()


def in_one_currency(moves: list[dict[str, Any]], rates: RateQueries, into: str) -> InOneCurrency:
    """Every move converted into `into` (checked by `currency`), in the
    order recorded."""
    result = InOneCurrency(into)
    decimals = minor_unit(into)
    for move in moves:
        row = result.by_partner.setdefault(
            move["partner"],
            {
                "partner": move["partner"],
                "committed": Decimal(0),
                "disbursed": Decimal(0),
                "amounts": 0,
                "converted": 0,
            },
        )
        row["amounts"] += 1
        day = event_date(move["occurred_on"]).earliest
        quotes = [_quote(rates, code, day) for code in (move["currency"], into)]
        lacking = [code for code, quote in zip((move["currency"], into), quotes, strict=True) if quote is None]
        if lacking:
            result.missing.append(_missing(move, f"no rate of {lacking[0]} on or before {day}"))
            continue
        of, to = quotes
        assert of is not None and to is not None
        amount = converted(move["amount"], _rate(of), _rate(to), decimals)
        row["converted"] += 1
        column = "disbursed" if move["kind"] == "disbursed" else "committed"
        row[column] += SIGN[move["kind"]] * amount
        result.used.update(quote for quote in quotes if isinstance(quote, Quote))
    return result


def rule(into: str) -> str:
    """How the amounts in one currency are made, in a sentence for the report."""
    return (
        f" In {into}: each amount at the rate of its own day (the latest published on or before it; a day known "
        f"to the month or year takes its first), rounded once to {minor_unit(into)} decimals, half to even; "
        "totals add the rounded amounts; an amount with no rate is listed, not guessed."
    )


# The base's own rate: one unit buys one.
_BASE = object()


def _quote(rates: RateQueries, code: str, day: date) -> Quote | object | None:
    return _BASE if code == BASE else rates.quote(code, BASE, day)


def _rate(quote: Quote | object) -> Decimal:
    return quote.rate if isinstance(quote, Quote) else Decimal(1)


def _missing(move: dict[str, Any], why: str) -> dict[str, Any]:
    return {
        "partner": move["partner"],
        "funding": move["funding"],
        "kind": move["kind"],
        "occurred_on": move["occurred_on"],
        "amount": f"{move['currency']} {move['amount']:,}",
        "why": why,
    }
