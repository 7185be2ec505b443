"""Exchange rates as the ECB published them, each day a fact: recorded all
at once or not at all, a file read again recording nothing, a day recorded
with other rates refused, and each currency's rate on a day found as the
latest published on or before it. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import accord, as_json, submit_rows
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.projections.rates.queries import Quote
from workflows.web.app import create

pytestmark = pytest.mark.integration

ECB = Path(__file__).parent.parent / "fixtures" / "ecb"
HISTORY = str(ECB / "eurofxref-hist-2021-q2.csv")
SOURCE = "ECB euro foreign exchange reference rates"


def quote(db: str, currency: str, on: date) -> Quote | None:
    app = build(Settings(db=db))
    try:
        app.refresh()
        return app.reader.rates.quote(currency, "EUR", on)
    finally:
        app.close()


def test_a_history_is_recorded_once_and_each_rate_found_on_or_before_its_day(db: str) -> None:
    first = as_json(accord(db, "import", "rates", HISTORY, "--json"))
    again = as_json(accord(db, "import", "rates", HISTORY, "--json"))
    xml = as_json(accord(db, "import", "rates", str(ECB / "eurofxref-hist-2021-06.xml"), "--json"))

    assert (len(first["recorded"]), first["already"], first["source"]) == (65, 0, SOURCE)
    assert (again["recorded"], again["already"]) == ([], 65)
    assert (xml["recorded"], xml["already"]) == ([], 3)
    # Saturday 19 June 2021: Friday's rate, as published.
    assert quote(db, "USD", date(2021, 6, 19)) == Quote("USD", "EUR", Decimal("1.1898"), date(2021, 6, 18), SOURCE)
    assert quote(db, "GBP", date(2021, 6, 17)) == Quote("GBP", "EUR", Decimal("0.85525"), date(2021, 6, 17), SOURCE)
    # Before the first day recorded there is no rate: none is guessed from a later one.
    assert quote(db, "USD", date(2021, 5, 2)) is None
    assert accord(db, "audit", "verify").exit_code == 0
    [recorded] = as_json(accord(db, "rates", "--json"))
    assert recorded == {"source": SOURCE, "base": "EUR", "days": 65, "first": "2021-05-03", "last": "2021-07-30"} | {
        "currencies": 32
    }
    [first, *_] = as_json(accord(db, "audit", "log", "--json"))
    assert (first["subject"], first["summary"]) == (
        f"{SOURCE}, 2021-07-30",
        f"Exchange rates of 30 July 2021 published by {SOURCE}: 1 EUR = 1.1891 USD, 130.39 JPY, 1.9558 BGN and 29 more",
    )


def test_a_dry_run_checks_everything_and_records_nothing(db: str) -> None:
    dry = accord(db, "import", "rates", "--dry-run", HISTORY)
    assert "no exchange rates recorded yet: `accord import rates FILE` records the ECB's" in accord(db, "rates").stdout

    assert dry.exit_code == 0, dry.output
    assert "would record the rates of 65 day(s) (2021-05-03 to 2021-07-30); 0 recorded before" in dry.stdout
    assert quote(db, "USD", date(2021, 6, 18)) is None
    assert as_json(accord(db, "import", "rates", HISTORY, "--json"))["already"] == 0


def test_a_day_recorded_with_other_rates_refuses_the_whole_file(db: str, tmp_path: Path) -> None:
    accord(db, "import", "rates", str(ECB / "eurofxref-hist-2021-06.xml"))
    changed = tmp_path / "eurofxref-hist.csv"
    changed.write_text(Path(HISTORY).read_text().replace("2021-06-17,1.1937,", "2021-06-17,1.2937,"))

    refused = accord(db, "import", "rates", str(changed))

    assert refused.exit_code == 2
    assert (
        "the rates of 2021-06-17 from ECB euro foreign exchange reference rates are recorded already, "
        "and differ: USD is 1.1937 there, 1.2937 here"
    ) in refused.output
    assert quote(db, "USD", date(2021, 5, 3)) is None  # nothing of the file was stored


@pytest.mark.hostile
def test_a_file_that_is_not_rates_is_refused_by_its_line(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "rates.csv"
    bad.write_text("Date,USD,\n2021-06-17,1.19,\n2021-06-18,soon,\n")

    refused = accord(db, "import", "rates", str(bad))

    assert refused.exit_code == 2
    assert "rates.csv: line 3: 'soon' is not a rate of USD (a positive number such as 1.1937)" in refused.output


FUNDING = [
    {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-04"},
    {"type": "PartnershipOpened", "partner": "MA", "occurred_on": "2021-01-04"},
    {"type": "FundingCommitted", "partner": "TN", "funding": "tn-eur", "instrument": "NDICI-Global Europe"}
    | {"occurred_on": "2021-06-01", "amount": "EUR 1000000"},
    {"type": "FundingCommitted", "partner": "MA", "funding": "ma-usd", "instrument": "US bilateral"}
    | {"occurred_on": "2021-06-17", "amount": "USD 1193700"},
    {"type": "FundingCommitted", "partner": "TN", "funding": "tn-gbp", "instrument": "UK bilateral"}
    | {"occurred_on": "2021-06-17", "amount": "GBP 855250"},
    {"type": "FundingDisbursed", "partner": "MA", "funding": "ma-usd", "occurred_on": "2021-07-01"}
    | {"amount": "USD 100000"},
    # Known to the month only: converted at the rate of its first day, 1 April, before the file's first.
    {"type": "FundingCommitted", "partner": "MA", "funding": "ma-jpy", "instrument": "JICA"}
    | {"occurred_on": "2021-04", "amount": "JPY 129000000"},
]


def in_euros(db: str, *args: str) -> dict[str, Any]:
    return as_json(accord(db, "report", "funding", "--in", "eur", "--format", "json", *args))


def test_funding_in_three_currencies_has_one_euro_total_each_rate_shown_and_the_same_as_known_then(
    db: str, tmp_path: Path
) -> None:
    assert submit_rows(db, *FUNDING).exit_code == 0
    accord(db, "import", "rates", HISTORY)
    then = datetime.now(UTC)
    time.sleep(0.01)
    first = in_euros(db)

    # The day the JPY commitment needs arrives later: now it converts; as known then, nothing changed.
    april = tmp_path / "april.csv"
    april.write_text("Date,JPY,\n2021-04-01,129.00,\n")
    later = accord(db, "import", "rates", str(april))
    assert later.exit_code == 0, later.output
    now, as_known_then = in_euros(db), in_euros(db, "--known-at", then.isoformat())

    figures = first["figures"]
    assert (figures["committed in EUR"], figures["disbursed in EUR"]) == ("3000000.00", "84146.75")
    assert figures["amounts not converted to EUR"] == 1
    tables = {table["title"]: table["rows"] for table in first["tables"]}
    assert tables["Not converted to EUR"] == [
        {
            "partner": "MA",
            "funding": "ma-jpy",
            "kind": "committed",
            "occurred_on": "2021-04",
            "amount": "JPY 129,000,000",
            "why": "no rate of JPY on or before 2021-04-01",
        }
    ]
    used = {(row["currency"], row["day"]): row for row in tables["Rates used (1 EUR buys)"]}
    assert set(used) == {("USD", "2021-06-17"), ("GBP", "2021-06-17"), ("USD", "2021-07-01")}
    assert (used[("USD", "2021-07-01")]["rate"], used[("USD", "2021-07-01")]["source"]) == ("1.1884", SOURCE)
    assert "rounded once to 2 decimals, half to even" in first["subtitle"]
    assert now["figures"]["committed in EUR"] == "4000000.00"
    assert as_known_then["figures"] == figures
    assert as_known_then["tables"] == first["tables"]


def test_a_currency_that_is_not_money_is_refused_before_anything_is_read(db: str) -> None:
    refused = accord(db, "report", "funding", "--in", "XAU")

    assert refused.exit_code == 2
    assert "--in XAU: XAU has no minor unit in ISO 4217" in refused.output


def test_the_consoles_funding_and_portfolio_show_the_funding_in_one_currency_when_asked(db: str) -> None:
    assert submit_rows(db, *FUNDING).exit_code == 0
    accord(db, "import", "rates", HISTORY)

    with TestClient(create(Settings(db=db))) as web:
        funding, portfolio, plain = web.get("/funding?in=EUR"), web.get("/?in=eur"), web.get("/funding")
        morocco = web.get("/partners/MA?in=EUR")

    assert funding.status_code == portfolio.status_code == morocco.status_code == 200
    for page in (funding.text, portfolio.text):
        assert "In EUR, by partner (each amount at the rate of its day)" in page
        assert "3,000,000.00" in page and "no rate of JPY on or before 2021-04-01" in page
    assert "In EUR" not in plain.text
    # Morocco's own: its USD line, at 17 June's rate, and its JPY line, which has none.
    assert "1,000,000.00" in morocco.text and "3,000,000.00" not in morocco.text
    assert "no rate of JPY on or before 2021-04-01" in morocco.text


@pytest.mark.hostile
def test_a_files_name_whatever_it_holds_is_kept_as_one_line(db: str, tmp_path: Path) -> None:
    named = tmp_path / "rates\n[bold]x\x1b[2J.csv"
    named.write_bytes((ECB / "eurofxref.csv").read_bytes())

    recorded = accord(db, "import", "rates", str(named))

    assert recorded.exit_code == 0, recorded.output
    [event] = as_json(accord(db, "audit", "log", "--json"))
    assert event["type"] == "ExchangeRatesPublished"
    app = build(Settings(db=db))
    try:
        [(_, published)] = list(app.readable(app.notifications()))
        assert published.origin == "rates [bold]x [2J.csv"
    finally:
        app.close()
