"""The funding ledger view and the funding report: exact amounts, per
currency, grouped by partner, instrument, pillar and year, against the
NDICI envelope; a rebuilt view equals the one kept up incrementally."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.helpers import accord, application, settings_from, submit_rows
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.projections.funding.view import envelopes_table
from workflows.reports import Report, render
from workflows.reports.funding import funding_report

pytestmark = pytest.mark.integration

NDICI = "NDICI-Global Europe"


def committed(partner: str, ref: str, amount: str, on: str, instrument: str = NDICI, **extra: Any) -> dict[str, Any]:
    return {
        "type": "FundingCommitted",
        "partner": partner,
        "funding": ref,
        "instrument": instrument,
        "amount": amount,
        "occurred_on": on,
        **extra,
    }


def disbursed(partner: str, ref: str, amount: str) -> dict[str, Any]:
    return {"type": "FundingDisbursed", "partner": partner, "funding": ref, "amount": amount, "occurred_on": "2023"}


def increased(partner: str, ref: str, amount: str, on: str = "2023") -> dict[str, Any]:
    return {"type": "FundingIncreased", "partner": partner, "funding": ref, "amount": amount, "occurred_on": on}


def decommitted(partner: str, ref: str, amount: str) -> dict[str, Any]:
    return {"type": "FundingDecommitted", "partner": partner, "funding": ref, "amount": amount, "occurred_on": "2023"}


COMMITMENTS = [
    committed("TN", "tn-border", "EUR 1250000.10", "2021-03-15", pillars=["migration_governance", "protection"]),
    committed("TN", "tn-jobs", "EUR 2000000", "2022-01", pillars=["root_causes"], title="Jobs for young people"),
    committed("TN", "tn-trust-fund", "EUR 500000", "2020", instrument="EU Trust Fund for Africa"),
    committed("MA", "ma-returns", "EUR 3000000.50", "2021-07-01", pillars=["return_readmission"]),
    committed("MA", "ma-mobility", "USD 400000", "2022", pillars=["legal_pathways"]),
]
DISBURSEMENTS = [
    disbursed("TN", "tn-border", "EUR 250000.05"),
    disbursed("TN", "tn-border", "EUR 1000000.05"),
    disbursed("MA", "ma-returns", "EUR 1000000"),
    disbursed("MA", "ma-mobility", "USD 400000"),
]


def submitted(db: str, *rows: dict[str, Any]) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


def refreshed(db: str) -> None:
    app = build(Settings(db=db))
    try:
        app.refresh()
    finally:
        app.close()


@pytest.fixture
def ledger(db: str) -> str:
    """The demo and funding on TN and MA, the view brought up to date after
    each step, as a store in use would be."""
    assert accord(db, "demo").exit_code == 0
    refreshed(db)
    submitted(db, *COMMITMENTS)
    refreshed(db)
    submitted(db, *DISBURSEMENTS)
    return db


@pytest.fixture
def decommitting(ledger: str) -> str:
    """The ledger with increases and decommitments, in the batch of a
    commitment and after."""
    submitted(
        ledger,
        committed("TN", "tn-water", "EUR 100.10", "2022-02-02"),
        increased("TN", "tn-water", "EUR 50"),
        decommitted("TN", "tn-water", "EUR 0.10"),
    )
    refreshed(ledger)
    submitted(ledger, decommitted("TN", "tn-jobs", "EUR 500000"), increased("MA", "ma-returns", "EUR 0.01"))
    return ledger


def report_of(db: str, target: Decimal | None = None) -> Report:
    app = build(Settings(db=db))
    try:
        app.refresh()
        return funding_report(app, app.clock.today(), target=target)
    finally:
        app.close()


def table(report: Report, title: str) -> list[dict[str, Any]]:
    [found] = [t for t in report.tables if t.title.startswith(title)]
    return found.rows


def by(rows: list[dict[str, Any]], *columns: str) -> dict[Any, dict[str, Any]]:
    return {tuple(row[column] for column in columns): row for row in rows}


def test_totals_are_exact_decimals_per_currency(ledger: str) -> None:
    report = report_of(ledger)
    assert report.figures["committed EUR"] == Decimal("6750000.60")
    assert report.figures["disbursed EUR"] == Decimal("2250000.10")
    assert report.figures["committed USD"] == report.figures["disbursed USD"] == Decimal("400000")
    line = by(table(report, "Funding lines"), "funding")[("tn-border",)]
    assert str(line["committed"]) == str(line["disbursed"]) == "1250000.10"
    assert line["disbursed_ratio"] == Decimal("1")
    assert line["pillars"] == ["migration_governance", "protection"]


def test_payments_in_the_batch_of_their_commitment_and_in_later_ones_add_up_exactly(db: str) -> None:
    # The first file commits and pays in one batch of the view; the second
    # pays the same line again from a later batch.
    assert accord(db, "demo").exit_code == 0
    submitted(db, committed("TN", "tn-water", "EUR 100.10", "2022-02-02"), disbursed("TN", "tn-water", "EUR 0.05"))
    refreshed(db)
    submitted(db, disbursed("TN", "tn-water", "EUR 0.03"), disbursed("TN", "tn-water", "EUR 100.02"))

    line = by(table(report_of(db), "Funding lines"), "funding")[("tn-water",)]

    assert str(line["committed"]) == str(line["disbursed"]) == "100.10"


def test_disbursed_is_never_above_committed_and_an_overpayment_changes_nothing(ledger: str) -> None:
    before = report_of(ledger)
    refused = submit_rows(ledger, disbursed("MA", "ma-returns", "EUR 2000000.51"))
    assert refused.exit_code == 2
    after = report_of(ledger)
    assert after == before
    for title in ("By partner", "By instrument", "By pillar", "By year", "Funding lines"):
        assert all(row["disbursed"] <= row["committed"] for row in table(after, title))


def test_the_ndici_envelope_is_the_target_and_counts_its_own_lines_within_its_years(ledger: str) -> None:
    report = report_of(ledger)
    [envelope] = table(report, "Envelopes")
    assert envelope["instrument"] == NDICI
    assert (envelope["currency"], envelope["share"]) == ("EUR", Decimal("0.10"))
    assert envelope["envelope"] == Decimal("8000000000")
    assert envelope["target"] == Decimal("8000000000")
    # tn-border, tn-jobs and ma-returns: not the 2020 trust fund line, not the USD line.
    assert (envelope["lines"], envelope["committed"]) == (3, Decimal("6250000.60"))
    assert envelope["disbursed"] == Decimal("2250000.10")
    assert envelope["committed_of_target"] == Decimal("0.000781")
    assert report.figures[f"{NDICI} target EUR 2021-2027"] == Decimal("8000000000")
    assert report.figures[f"{NDICI} committed of target"] == Decimal("0.000781")


def test_a_target_share_from_the_settings_replaces_the_recorded_share(ledger: str) -> None:
    target = settings_from(Settings, {"ACCORD_FUNDING_TARGET": "0.15"}).funding_target
    assert target == Decimal("0.15")
    report = report_of(ledger, target)
    [envelope] = table(report, "Envelopes")
    # EUR 8bn is 10% of the instrument: 15% of it is EUR 12bn.
    assert envelope["target"] == Decimal("12000000000")
    assert envelope["committed_of_target"] == Decimal("0.000521")
    assert "ACCORD_FUNDING_TARGET sets the share to 0.15" in report.subtitle
    with pytest.raises(ValueError, match="ACCORD_FUNDING_TARGET must be a share above 0 and at most 1"):
        settings_from(Settings, {"ACCORD_FUNDING_TARGET": "10%"})


def test_lines_are_grouped_by_partner_instrument_pillar_and_year_per_currency(ledger: str) -> None:
    report = report_of(ledger)
    amounts = ("lines", "committed", "disbursed")

    def grouped(title: str, column: str) -> dict[Any, tuple[Any, ...]]:
        return {
            key: tuple(row[a] for a in amounts) for key, row in by(table(report, title), column, "currency").items()
        }

    assert grouped("By partner", "partner") == {
        ("MA", "EUR"): (1, Decimal("3000000.50"), Decimal("1000000")),
        ("MA", "USD"): (1, Decimal("400000"), Decimal("400000")),
        ("TN", "EUR"): (3, Decimal("3750000.10"), Decimal("1250000.10")),
    }
    assert grouped("By instrument", "instrument") == {
        ("EU Trust Fund for Africa", "EUR"): (1, Decimal("500000"), Decimal("0")),
        (NDICI, "EUR"): (3, Decimal("6250000.60"), Decimal("2250000.10")),
        (NDICI, "USD"): (1, Decimal("400000"), Decimal("400000")),
    }
    # tn-border serves two pillars and counts under each.
    assert grouped("By pillar", "pillar") == {
        ("", "EUR"): (1, Decimal("500000"), Decimal("0")),  # no pillar given
        ("legal_pathways", "USD"): (1, Decimal("400000"), Decimal("400000")),
        ("migration_governance", "EUR"): (1, Decimal("1250000.10"), Decimal("1250000.10")),
        ("protection", "EUR"): (1, Decimal("1250000.10"), Decimal("1250000.10")),
        ("return_readmission", "EUR"): (1, Decimal("3000000.50"), Decimal("1000000")),
        ("root_causes", "EUR"): (1, Decimal("2000000"), Decimal("0")),
    }
    assert grouped("By year", "year") == {
        (2020, "EUR"): (1, Decimal("500000"), Decimal("0")),
        (2021, "EUR"): (2, Decimal("4250000.60"), Decimal("2250000.10")),
        (2022, "EUR"): (1, Decimal("2000000"), Decimal("0")),
        (2022, "USD"): (1, Decimal("400000"), Decimal("400000")),
    }
    assert by(table(report, "By year"), "year", "currency")[(2021, "EUR")]["disbursed_ratio"] == Decimal("0.529412")


def test_the_ledger_answers_funding_by_pillar_each_line_under_each_of_its_pillars(ledger: str) -> None:
    with application(ledger) as app:
        pillars = {(row["pillar"], row["currency"]): row["lines"] for row in app.reader.funding.totals("pillar")}
        with pytest.raises(ValueError, match="funding is totalled by one of partner, instrument, pillar"):
            app.reader.funding.totals("nation")

    assert pillars[("migration_governance", "EUR")] == pillars[("protection", "EUR")] == 1
    assert pillars[("", "EUR")] == 1  # The trust fund's line serves no pillar.
    assert sum(pillars.values()) == len(COMMITMENTS) + 1


def test_a_decommitment_reduces_the_commitment_in_every_table_and_is_shown_beside_it(ledger: str) -> None:
    # One decommitment in the batch of its line's commitment, two on a line
    # committed in an earlier batch.
    submitted(
        ledger,
        committed("TN", "tn-water", "EUR 100.10", "2022-02-02"),
        decommitted("TN", "tn-water", "EUR 0.10"),
        decommitted("TN", "tn-jobs", "EUR 500000"),
    )
    refreshed(ledger)
    submitted(ledger, decommitted("TN", "tn-jobs", "EUR 250000.25"))

    report = report_of(ledger)

    lines = by(table(report, "Funding lines"), "funding")
    assert (lines[("tn-water",)]["committed"], lines[("tn-water",)]["decommitted"]) == (
        Decimal("100.00"),
        Decimal("0.10"),
    )
    assert (lines[("tn-jobs",)]["committed"], lines[("tn-jobs",)]["decommitted"]) == (
        Decimal("1249999.75"),
        Decimal("750000.25"),
    )
    tn = by(table(report, "By partner"), "partner", "currency")[("TN", "EUR")]
    assert (tn["committed"], tn["decommitted"]) == (Decimal("3000099.85"), Decimal("750000.35"))
    [envelope] = table(report, "Envelopes")
    assert envelope["committed"] == Decimal("5500100.35")
    assert "net of decommitments" in report.subtitle
    with application(ledger) as app:
        [row] = app.reader.partnerships.rows("TN")
    assert row["committed"] == {"EUR": Decimal("3000099.85")}


def test_a_decommitment_below_what_was_disbursed_is_refused_and_changes_nothing(ledger: str) -> None:
    before = report_of(ledger)

    refused = submit_rows(ledger, decommitted("MA", "ma-returns", "EUR 2000000.51"))

    assert refused.exit_code == 2
    assert (
        "decommitting EUR 2,000,000.51 on funding 'ma-returns' would take off more than remains of its commitment "
        "of EUR 3,000,000.50 (EUR 1,000,000 disbursed, EUR 2,000,000.50 remain)"
    ) in refused.output
    assert report_of(ledger) == before


def test_an_increase_adds_to_the_commitment_in_every_table_and_is_a_move_committed(ledger: str) -> None:
    # One increase in the batch of its line's commitment, two on a line
    # committed in an earlier batch; then a payment only the increases allow.
    submitted(
        ledger,
        committed("TN", "tn-water", "EUR 100.10", "2022-02-02"),
        increased("TN", "tn-water", "EUR 0.90"),
        increased("TN", "tn-jobs", "EUR 500000"),
    )
    refreshed(ledger)
    submitted(ledger, increased("TN", "tn-jobs", "EUR 250000.25"), disbursed("TN", "tn-jobs", "EUR 2750000.25"))

    report = report_of(ledger)

    lines = by(table(report, "Funding lines"), "funding")
    assert (lines[("tn-water",)]["committed"], lines[("tn-water",)]["disbursed"]) == (Decimal("101.00"), 0)
    assert (lines[("tn-jobs",)]["committed"], lines[("tn-jobs",)]["disbursed"]) == (
        Decimal("2750000.25"),
        Decimal("2750000.25"),
    )
    assert lines[("tn-jobs",)]["decommitted"] == 0
    assert lines[("tn-jobs",)]["year"] == 2022  # the year of its commitment, not of an increase
    tn = by(table(report, "By partner"), "partner", "currency")[("TN", "EUR")]
    assert tn["committed"] == Decimal("4500101.35")
    assert report.figures["committed EUR"] == Decimal("7500101.85")
    with application(ledger) as app:
        [row] = app.reader.partnerships.rows("TN")
        moves = [(m["funding"], m["kind"], m["amount"]) for m in app.reader.funding.moves() if m["partner"] == "TN"]
    assert row["committed"] == {"EUR": Decimal("4500101.35")}
    assert moves[-5:] == [
        ("tn-water", "committed", Decimal("100.10")),
        ("tn-water", "committed", Decimal("0.90")),
        ("tn-jobs", "committed", Decimal("500000")),
        ("tn-jobs", "committed", Decimal("250000.25")),
        ("tn-jobs", "disbursed", Decimal("2750000.25")),
    ]


def test_a_rebuilt_ledger_equals_the_one_kept_up_incrementally(decommitting: str) -> None:
    ledger = decommitting
    app = build(Settings(db=ledger))
    try:
        app.refresh()
        incremental = ledger_rows(app)
        app.views.rebuild(["funding"])
        assert app.views.table("funding") != incremental["table"]
        rebuilt = ledger_rows(app)
    finally:
        app.close()
    assert len(incremental["lines"]) == len(COMMITMENTS) + 1
    assert rebuilt["lines"] == incremental["lines"]
    assert rebuilt["envelopes"] == incremental["envelopes"]


def ledger_rows(app: Any) -> dict[str, Any]:
    name = app.views.table("funding")
    return {
        "table": name,
        "lines": app.views.db.query(f"SELECT * FROM {name} ORDER BY partner, funding"),
        "envelopes": app.views.db.query(f"SELECT * FROM {envelopes_table(name)} ORDER BY instrument"),
    }


def test_the_report_renders_as_markdown_json_and_csv(ledger: str) -> None:
    report = report_of(ledger)
    markdown = render(report, "md")
    assert markdown.startswith("# Funding\n")
    # People read amounts grouped, every decimal kept; machines read them plain.
    assert "- **committed EUR**: 6,750,000.60" in markdown
    assert "| TN | tn-border | NDICI-Global Europe |  | EUR | 1,250,000.10 | 0 | 1,250,000.10 | 100% |" in markdown
    document = json.loads(render(report, "json"))
    assert document["figures"]["committed EUR"] == "6750000.60"
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    lines = [row for row in rows if row["table"] == "Funding lines"]
    assert {row["funding"]: row["committed"] for row in lines}["tn-border"] == "1250000.10"
    assert {row["funding"]: row["pillars"] for row in lines}["tn-border"] == "migration_governance, protection"


def test_accord_report_funding_prints_the_report_as_json(ledger: str) -> None:
    result = accord(ledger, "report", "funding", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["title"] == "Funding"
    assert document["figures"]["committed EUR"] == "6750000.60"
    assert document["figures"][f"{NDICI} target EUR 2021-2027"] == "8000000000"
