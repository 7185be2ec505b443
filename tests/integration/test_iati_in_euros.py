"""A portfolio funded in three currencies by real publishers' files (USAID
in USD, DFID in GBP, Spain in EUR; tests/fixtures/iati/) and converted at
the ECB's real rates (tests/fixtures/ecb/eurofxref-hist-iati-days.csv: the
days those files' amounts need) has one total in euros, which an auditor
reproduces amount by amount from the rates the report shows, each with its
day and source; and as known at a moment it is the same however many rates
are recorded after it, a day nearer an amount's among them. On SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import json
import time
from bisect import bisect_right
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import accord, as_json
from tests.integration.test_iati_published import FIXTURES

pytestmark = pytest.mark.integration

ECB = Path(__file__).parent.parent / "fixtures" / "ecb"
DAYS = ECB / "eurofxref-hist-iati-days.csv"
LATER = ECB / "eurofxref-hist-2021-q2.csv"
SOURCE = "ECB euro foreign exchange reference rates"
FILES = ("us-usaid-ensure-2.03.xml", "gb-dfid-albania-2.01-excerpt.xml", "es-maec-indonesia-2.01-excerpt.xml")
# Held back at first: DFID's commitment of 1 January 2007 (a holiday) is
# converted at 1 April 2005's rate until 29 December 2006's is recorded.
HELD_BACK = "2006-12-29"
FUNDED = {"FundingCommitted": "committed", "FundingIncreased": "committed", "FundingDisbursed": "disbursed"}


def rates(path: Path, *, but: str = "") -> dict[str, dict[str, Decimal]]:
    """Each currency's rates in an ECB history file, by day (1 EUR buys)."""
    found: dict[str, dict[str, Decimal]] = {}
    with path.open(newline="") as lines:
        for row in csv.DictReader(lines):
            if row["Date"] == but:
                continue
            for currency, rate in row.items():
                if currency and currency != "Date" and rate not in ("", "N/A"):
                    found.setdefault(currency, {})[row["Date"]] = Decimal(rate)
    return found


def by_hand(facts: list[dict[str, Any]], known: Mapping[str, Mapping[str, Decimal]]) -> dict[str, Any]:
    """The euros an auditor works out from the facts and the ECB's rates:
    each amount at the latest rate on or before its day, rounded once to
    the cent (half to even), the rounded amounts added; and the rates used."""
    totals = {"committed": Decimal(0), "disbursed": Decimal(0)}
    used: set[tuple[str, str, str]] = set()
    for fact in facts:
        currency, amount = fact["amount"]["currency"], Decimal(fact["amount"]["amount"])
        if currency == "EUR":
            euros = amount
        else:
            days = sorted(known[currency])
            day = days[bisect_right(days, fact["occurred_on"]) - 1]
            rate = known[currency][day]
            used.add((currency, day, str(rate)))
            euros = amount / rate
        totals[FUNDED[fact["type"]]] += euros.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return {"committed": str(totals["committed"]), "disbursed": str(totals["disbursed"]), "used": used}


def in_euros(db: str, *args: str) -> dict[str, Any]:
    return as_json(accord(db, "report", "funding", "--in", "EUR", "--format", "json", *args))


def shown(report: dict[str, Any]) -> dict[str, Any]:
    tables = {table["title"]: table["rows"] for table in report["tables"]}
    figures = report["figures"]
    return {
        "committed": figures["committed in EUR"],
        "disbursed": figures["disbursed in EUR"],
        "used": {(row["currency"], row["day"], row["rate"]) for row in tables["Rates used (1 EUR buys)"]},
    }


def test_a_portfolio_in_usd_gbp_and_eur_has_one_euro_total_each_rate_shown_the_same_as_known_then(
    db: str, tmp_path: Path
) -> None:
    for name in FILES:
        imported = accord(db, "import", "iati", "--open-partnerships", str(FIXTURES / name))
        assert imported.exit_code == 0, imported.output
    first_rates = tmp_path / "eurofxref-hist.csv"
    first_rates.write_text("".join(line for line in DAYS.open() if not line.startswith(HELD_BACK)))
    assert accord(db, "import", "rates", str(first_rates)).exit_code == 0
    facts = [
        fact for fact in map(json.loads, accord(db, "export", "events").stdout.splitlines()) if fact["type"] in FUNDED
    ]
    assert {fact["amount"]["currency"] for fact in facts} == {"USD", "GBP", "EUR"}
    time.sleep(0.01)
    then = datetime.now(UTC)
    time.sleep(0.01)

    first = in_euros(db)

    # One total in euros, every amount converted, each at a rate the report
    # names with its day and source, as an auditor works it out by hand.
    assert first["figures"]["amounts not converted to EUR"] == 0
    assert [key for key in first["figures"] if key.endswith(" in EUR")] == ["committed in EUR", "disbursed in EUR"]
    assert shown(first) == by_hand(facts, rates(DAYS, but=HELD_BACK))
    tables = {table["title"]: table["rows"] for table in first["tables"]}
    assert {row["source"] for row in tables["Rates used (1 EUR buys)"]} == {SOURCE}
    assert tables["Not converted to EUR"] == []

    # More rates arrive: the day held back (nearer DFID's commitment than
    # the one it was converted at) and a quarter of 2021, after every amount.
    for path in (DAYS, LATER):
        recorded = accord(db, "import", "rates", str(path))
        assert recorded.exit_code == 0, recorded.output
    now, as_known_then = in_euros(db), in_euros(db, "--known-at", then.isoformat())

    assert shown(now) == by_hand(facts, rates(DAYS))
    assert shown(now)["committed"] != shown(first)["committed"]
    assert ("GBP", HELD_BACK, "0.6715") in shown(now)["used"]
    assert (as_known_then["figures"], as_known_then["tables"]) == (first["figures"], first["tables"])
