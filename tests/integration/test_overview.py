"""The partnership overview and its reports as a user meets them: the demo's
partnerships in the partnership and portfolio reports, funding kept exact,
commitments counted by party, and a rebuild equal to catch-up. Each test runs
on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import accord, submit_rows
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.projections.replayed import compare
from workflows.reports.partnership import partnership_report

pytestmark = pytest.mark.integration

DEMO_PARTNERS = ["AL", "BA", "LY", "MA", "MR", "RS", "TN", "TR"]

Row = dict[str, Any]


def report_json(db: str, *args: str) -> Any:
    result = accord(db, "report", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def overview_rows(db: str) -> list[Row]:
    """The view's rows as stored, after catching up."""
    app = build(Settings(db=db))
    try:
        app.refresh()
        return app.views.db.query(f"SELECT * FROM {app.views.table('partnerships')} ORDER BY partner")
    finally:
        app.close()


def submitted(db: str, *rows: Row) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


def _tr(rows: list[Row]) -> Row:
    [row] = [row for row in rows if row["partner"] == "TR"]
    return row


def on_tr(kind: str, **fields: Any) -> Row:
    return {"type": kind, "partner": "TR", "occurred_on": "2021-05-20", **fields}


def test_partnership_report_of_tr_shows_its_visit_commitments_by_party_and_pillars(demo_db: str) -> None:
    tr = report_json(demo_db, "partnership", "TR")

    figures = tr["figures"]
    assert tr["title"] == "Partnership with Türkiye (TR)"
    assert (figures["Visits"], figures["Last visit"], figures["Status"]) == (1, "2021-05-07", "open")
    assert figures["Open commitments (partner)"] == 2
    assert figures["Open commitments (EU)"] == 1
    assert figures["Open commitments (member states)"] == 0
    assert figures["Pillars"] == ["migration_governance", "protection", "return_readmission"]
    assert figures["Funding committed"] == []
    tables = {table["title"]: table["rows"] for table in tr["tables"]}
    assert {row["commitment"] for row in tables["Open commitments"]} == {
        "tr-resume-returns",
        "tr-prevent-departures",
        "eu-support-refugees-in-turkey",
    }
    assert len(tables["Open tasks"]) == figures["Open tasks"] > 0
    assert [row["type"] for row in tables["Timeline"]][:2] == ["PartnershipOpened", "VisitHeld"]


def test_last_visit_keeps_the_precision_it_was_recorded_with(demo_db: str) -> None:
    rows = {row["partner"]: row for row in overview_rows(demo_db)}

    assert (rows["TN"]["last_visit"], rows["TN"]["visits"]) == ("2021-05", 2)
    assert rows["AL"]["last_visit"] == "2021"
    assert rows["LY"]["last_visit"] is None
    assert rows["LY"]["planned_visits"] == 1


def test_overdue_tasks_are_judged_against_the_day_given(demo_db: str) -> None:
    app = build(Settings(db=demo_db))
    try:
        app.refresh()
        early = partnership_report(app, "tr", today=date(2021, 5, 8)).figures
        late = partnership_report(app, "tr", today=date(2030, 1, 1)).figures
    finally:
        app.close()

    assert early["Open tasks"] == late["Open tasks"] > 0
    assert early["Overdue tasks"] < late["Overdue tasks"] == late["Open tasks"]


def test_portfolio_as_csv_has_a_row_per_demo_partnership(demo_db: str) -> None:
    result = accord(demo_db, "report", "portfolio", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["partner"] for row in rows] == DEMO_PARTNERS
    tr = next(row for row in rows if row["partner"] == "TR")
    assert (tr["table"], tr["name"], tr["visits"], tr["open_partner"], tr["open_eu"]) == (
        "Partnerships",
        "Türkiye",
        "1",
        "2",
        "1",
    )


def test_portfolio_figures_are_the_totals_of_its_rows(demo_db: str) -> None:
    portfolio = report_json(demo_db, "portfolio")

    [table] = portfolio["tables"]
    assert portfolio["figures"]["Partnerships"] == len(table["rows"]) == len(DEMO_PARTNERS)
    assert portfolio["figures"]["Visits"] == sum(row["visits"] for row in table["rows"]) == 7
    assert portfolio["figures"]["Open commitments (EU)"] == 2


def test_a_markdown_report_is_written_to_the_file_named(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "tr.md"

    result = accord(demo_db, "report", "partnership", "TR", "--format", "md", "-o", str(out))

    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out}\n"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Partnership with Türkiye (TR)\n")
    assert "- **Last visit**: 2021-05-07" in text
    assert "## Open commitments" in text


def test_funding_committed_and_disbursed_stay_exact_per_currency(demo_db: str) -> None:
    submitted(
        demo_db,
        on_tr("FundingCommitted", funding="f1", instrument="NDICI-Global Europe", amount="EUR 1250000.10"),
        on_tr("FundingCommitted", funding="f2", instrument="NDICI-Global Europe", amount="EUR 0.20"),
        on_tr("FundingCommitted", funding="f3", instrument="Other donor", amount="USD 500"),
    )
    report_json(demo_db, "partnership", "TR")  # caught up before the disbursement: an update of a stored row
    submitted(demo_db, on_tr("FundingDisbursed", funding="f1", amount="EUR 250000.05"))

    figures = report_json(demo_db, "partnership", "TR")["figures"]
    portfolio = report_json(demo_db, "portfolio")["figures"]

    assert figures["Funding committed"] == ["EUR 1250000.30", "USD 500"]
    assert figures["Funding disbursed"] == ["EUR 250000.05"]
    assert portfolio["Funding committed"] == ["EUR 1250000.30", "USD 500"]
    tr = next(row for row in overview_rows(demo_db) if row["partner"] == "TR")
    assert json.loads(tr["committed"]) == {"EUR": "1250000.30", "USD": "500"}


def test_commitments_closed_leave_the_open_count_of_their_party(demo_db: str) -> None:
    submitted(
        demo_db,
        on_tr("CommitmentFulfilled", commitment="tr-resume-returns"),
        on_tr("CommitmentLapsed", commitment="eu-support-refugees-in-turkey", reason="r"),
        on_tr("CommitmentRecorded", commitment="ms", party="member_state", description="Resettle"),
    )

    figures = report_json(demo_db, "partnership", "TR")["figures"]

    assert figures["Open commitments (partner)"] == 1
    assert figures["Open commitments (EU)"] == 0
    assert figures["Open commitments (member states)"] == 1
    assert (figures["Commitments fulfilled"], figures["Commitments lapsed"]) == (1, 1)


def test_dialogues_launched_are_listed_with_their_rounds(demo_db: str) -> None:
    submitted(
        demo_db,
        on_tr("DialogueLaunched", dialogue="d1", title="High-level dialogue on migration"),
        on_tr("DialogueLaunched", dialogue="d2", title="Security dialogue"),
        on_tr("DialogueRoundHeld", dialogue="d1", occurred_on="2021-06-01"),
    )

    figures = report_json(demo_db, "partnership", "TR")["figures"]

    assert figures["Active dialogues"] == 2
    assert figures["Dialogues"] == "High-level dialogue on migration, Security dialogue"
    assert (figures["Dialogue rounds"], figures["Last activity"]) == (1, "2021-06-01")


def test_rebuilding_the_overview_gives_the_rows_catch_up_gave(demo_db: str) -> None:
    # Several batches, each caught up, so catch-up updates rows it stored before.
    for batch in (
        [on_tr("FundingCommitted", funding="f1", instrument="NDICI-Global Europe", amount="EUR 1250000.10")],
        [on_tr("FundingDisbursed", funding="f1", amount="EUR 1000")],
        [on_tr("CommitmentFulfilled", commitment="tr-resume-returns")],
        [on_tr("DialogueLaunched", dialogue="d1", title="Dialogue"), on_tr("VisitPlanned")],
    ):
        submitted(demo_db, *batch)
        overview_rows(demo_db)
    before = overview_rows(demo_db)

    result = accord(demo_db, "projections", "rebuild", "partnerships")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("rebuilt partnerships into view_partnerships_2 up to position ")
    assert overview_rows(demo_db) == before


def test_a_view_another_process_caught_up_meanwhile_is_not_applied_twice(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes catch up the overview to different heads: the one with
    # the farther head reads its batch, the other commits first; the first
    # must go on from where the other got, not apply its records again.
    visits = _tr(overview_rows(demo_db))["visits"]
    early, late = build(Settings(db=demo_db)), build(Settings(db=demo_db))
    try:
        submitted(demo_db, on_tr("VisitHeld", occurred_on="2021-06-01", visitors=["Commissioner"]))
        nearer = early.views.db.head()
        submitted(demo_db, on_tr("VisitHeld", occurred_on="2021-07-01", visitors=["Commissioner"]))
        # `early` read the head before the second visit was recorded.
        monkeypatch.setattr(early.views.db, "head", lambda: nearer)
        read = late.views.db.records

        def read_while_early_commits(*args: Any) -> Any:
            batch = read(*args)
            monkeypatch.setattr(late.views.db, "records", read)
            early.views.catch_up(["partnerships"])
            return batch

        monkeypatch.setattr(late.views.db, "records", read_while_early_commits)
        late.views.catch_up(["partnerships"])

        assert _tr(overview_rows(demo_db))["visits"] == visits + 2
        assert compare(late.views, names=["partnerships"]).problems == {"partnerships": []}
    finally:
        early.close()
        late.close()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("XX", "accord: unknown partner 'XX': not an ISO 3166-1 alpha-2 country code\n"),
        ("FR", "accord: partnership FR is not opened: record PartnershipOpened for it first\n"),
    ],
)
def test_a_report_on_a_partnership_not_opened_exits_2(demo_db: str, code: str, says: str) -> None:
    result = accord(demo_db, "report", "partnership", code)

    assert result.exit_code == 2
    assert result.stderr == says
