"""`accord submit`: what a person sees when a submission is bad, repeated,
or good, and that the store holds exactly what was accepted."""

from __future__ import annotations

import getpass
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.values import EventDate
from tests.helpers import (
    accord,
    as_json,
    jsonl,
    open_partners,
    opened,
    stored_count,
    submit_rows,
    visit,
    write_jsonl,
)
from workflows.application.compose import build
from workflows.cli import main
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

VISIT = ("VisitHeld", "--partner", "TN", "--occurred-on", "2021-05-20")
FUNDING = ("FundingCommitted", "--partner", "TN", "--occurred-on", "2021-05-20", "--funding", "f1", "--instrument", "X")
DATE_FORMS = "a date reads YYYY-MM-DD, or YYYY-MM when only the month is known, or YYYY when only the year is"


def funding(kind: str, amount: str, occurred_on: str = "2021-05") -> dict[str, str]:
    row = {"type": kind, "partner": "TN", "occurred_on": occurred_on, "funding": "f1", "amount": amount}
    return row | ({"instrument": "NDICI-Global Europe"} if kind == "FundingCommitted" else {})


# 1. Malformed submissions


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        pytest.param(
            (*VISIT[:3], "--occurred-on", "2021-13-01", "--visitors", "A"),
            None,
            ["accord: option --occurred-on: not a calendar date: 2021-13-01; nothing was stored"],
            id="impossible-date",
        ),
        pytest.param(
            (*VISIT[:3], "--occurred-on", "20 May", "--visitors", "A"),
            None,
            [f"accord: option --occurred-on: {DATE_FORMS}; got '20 May'; nothing was stored"],
            id="free-text-date",
        ),
        pytest.param(
            ("VisitHeld", "--partner", "XX", "--occurred-on", "2021-05-20", "--visitors", "A"),
            None,
            [
                "accord: option --partner: unknown partner 'XX': not an ISO 3166-1 alpha-2 country code; "
                "nothing was stored"
            ],
            id="unknown-partner",
        ),
        pytest.param(
            (*FUNDING, "--amount", "EUR -5"),
            None,
            ["accord: option --amount: amount must be positive, got -5; nothing was stored"],
            id="negative-amount",
        ),
        pytest.param(
            ("--file", "-"),
            '{"type": "VisitHeld", "partner": "TN", "visitors": ["A"]}\n',
            [
                "accord: line 1: VisitHeld: field 'occurred_on' is missing",
                "nothing was stored: 1 problem(s) in 1 submission(s)",
            ],
            id="json-line-without-occurred_on",
        ),
        pytest.param(
            ("--file", "-"),
            '{"type": "VisitHappened", "partner": "TN", "occurred_on": "2021-05-20"}\n',
            [
                "accord: line 1: unknown event type 'VisitHappened'; known types: ActualReported, "
                "ArrivalsReported, BaselineSet, "
                "CommitmentFulfilled, CommitmentLapsed, CommitmentRecorded, DialogueLaunched, DialogueRoundHeld, "
                "FactCorrected, FactRetracted, FundingCommitted, FundingDecommitted, FundingDisbursed, "
                "FundingEnvelopeSet, FundingIncreased, IndicatorDefined, InitiativeAdvanced, "
                "InitiativeAnnounced, "
                "MeetingHeld, MeetingScheduled, OperationLaunched, PartnershipNoteAdded, PartnershipOpened, "
                "StatementReaffirmed, TalentPartnershipLaunched, TargetSet, VisitHeld, VisitPlanned",
                "nothing was stored: 1 problem(s) in 1 submission(s)",
            ],
            id="json-line-of-unknown-type",
        ),
    ],
)
def test_a_malformed_submission_exits_2_naming_the_problem_and_stores_nothing(
    db: str, args: tuple[str, ...], stdin: str | None, expected: list[str]
) -> None:
    open_partners(db, "TN")
    result = accord(db, "submit", *args, input=stdin)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""
    assert stored_count(db) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param((*VISIT,), "Error: Missing option '--visitors'.", id="VisitHeld-without-visitors"),
        pytest.param(
            ("VisitHappened",), "Error: no event type 'VisitHappened'; did you mean VisitHeld", id="unknown-event-type"
        ),
    ],
)
def test_a_submission_click_cannot_parse_exits_2_with_its_usage_error_and_stores_nothing(
    db: str, args: tuple[str, ...], expected: str
) -> None:
    open_partners(db, "TN")
    result = accord(db, "submit", *args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert stored_count(db) == 1


# 2. Idempotence


def test_the_same_visit_given_twice_as_options_is_stored_once_and_the_second_says_already_recorded(db: str) -> None:
    open_partners(db, "TN")
    first = accord(db, "submit", *VISIT, "--visitors", "Commissioner Johansson", "--visitors", "Minister Lamorgese")
    again = accord(db, "submit", *VISIT, "--visitors", "Commissioner Johansson", "--visitors", "Minister Lamorgese")
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout.startswith("recorded VisitHeld on TN (key sha256:")
    assert again.stdout == first.stdout.replace("recorded", "already recorded:")
    assert stored_count(db) == 2


def test_a_visit_given_as_options_and_again_as_a_json_line_is_stored_once(db: str) -> None:
    open_partners(db, "TN")
    assert accord(db, "submit", *VISIT, "--visitors", "Commissioner Johansson").exit_code == 0
    again = submit_rows(db, visit(day=20))
    assert again.exit_code == 0
    assert again.stdout.startswith("already recorded: VisitHeld on TN")
    assert stored_count(db) == 2


def test_a_file_run_again_stores_nothing_and_says_how_many_were_already_recorded(db: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [opened(), visit(day=1), visit(day=2)])
    first = accord(db, "submit", "--file", str(path))
    again = accord(db, "submit", "--file", str(path))
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout == "recorded 3 event(s): PartnershipOpened 1, VisitHeld 2\n"
    assert again.stdout == "recorded 0 event(s)\nalready recorded: 3 (stored nothing for them)\n"
    assert stored_count(db) == 3


def test_an_explicit_id_given_twice_with_different_content_is_stored_once(db: str) -> None:
    open_partners(db, "TN")
    assert submit_rows(db, visit(day=1, id="tn-visit-1")).exit_code == 0
    again = submit_rows(db, visit(day=2, id="tn-visit-1", visitors=["Someone else"]))
    assert again.exit_code == 0
    assert again.stdout == "already recorded: VisitHeld on TN (key tn-visit-1)\n"
    assert stored_count(db) == 2


def test_an_explicit_id_is_a_key_within_its_partnership(db: str) -> None:
    # docs/recording.md: an id is recorded once on its partnership (or meeting, initiative,
    # instrument); the same id on another partner is another submission.
    open_partners(db, "TN", "MA")
    assert submit_rows(db, visit("TN", id="visit-1")).exit_code == 0
    assert submit_rows(db, visit("TN", day=2, id="visit-1")).stdout.startswith("already recorded")
    elsewhere = submit_rows(db, visit("MA", id="visit-1"))
    assert elsewhere.stdout.startswith("recorded VisitHeld on MA"), elsewhere.stdout
    assert stored_count(db) == 4


# 3. Files: checked whole, stored whole


def test_a_file_with_several_bad_lines_reports_each_by_its_number_and_stores_nothing(db: str, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2020-09-23"}\n'
        "# a comment, then a blank line\n"
        "\n"
        '{"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-13-01", "visitors": ["A"]}\n'
        '{"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-01", "visitors": ["A"]}\n'
        "not json\n"
        '{"type": "VisitHeld", "partner": "XX", "occurred_on": "2021-05-01", "visitors": ["A"]}\n'
    )
    result = accord(db, "submit", "--file", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "accord: line 4: VisitHeld: field 'occurred_on': not a calendar date: 2021-13-01"
    assert lines[1].startswith("line 6: not valid JSON")
    assert lines[2] == (
        "line 7: VisitHeld: field 'partner': unknown partner 'XX': not an ISO 3166-1 alpha-2 country code"
    )
    assert lines[3:] == ["nothing was stored: 3 problem(s) in 5 submission(s)"]
    assert stored_count(db) == 0


def test_a_line_whose_fields_disagree_with_each_other_is_named_with_the_other_bad_lines(
    db: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2020-09-23"}\n'
        '{"type": "ArrivalsReported", "partner": "TN", "occurred_on": "2021-06", "period_start": "2021-05", '
        '"period_end": "2021-01", "route": "Central Mediterranean", "count": 5, "source": "UNHCR"}\n'
        '{"type": "VisitHeld", "partner": "XX", "occurred_on": "2021-05-01", "visitors": ["A"]}\n'
    )
    result = accord(db, "submit", "--file", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "accord: line 2: ArrivalsReported: period_end 2021-01 is before period_start 2021-05"
    assert lines[1].startswith("line 3: VisitHeld: field 'partner': unknown partner 'XX'")
    assert stored_count(db) == 0


def test_a_file_of_valid_lines_that_break_domain_rules_is_rejected_whole_naming_each_line(db: str) -> None:
    result = submit_rows(
        db,
        opened("TN"),
        funding("FundingCommitted", "EUR 100"),
        funding("FundingDisbursed", "EUR 150"),
        visit("EG"),
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "accord: line 3: disbursing EUR 150 on funding 'f1' would exceed its commitment of EUR 100 (nothing "
        "disbursed, EUR 100 remain)",
        "line 4: partnership EG is not opened: record PartnershipOpened for it first",
        "nothing was stored: 2 problem(s) in 4 submission(s)",
    ]
    assert stored_count(db) == 0


def test_a_disbursement_above_a_stored_commitment_is_rejected_and_stores_nothing(db: str) -> None:
    assert submit_rows(db, opened("TN"), funding("FundingCommitted", "EUR 100")).exit_code == 0
    result = submit_rows(db, visit(), funding("FundingDisbursed", "EUR 100.01"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("accord: line 2: disbursing EUR 100.01 on funding 'f1'")
    assert stored_count(db) == 2


def test_an_increase_given_as_options_adds_to_its_commitment_and_one_in_another_currency_is_refused(db: str) -> None:
    assert submit_rows(db, opened("TN"), funding("FundingCommitted", "EUR 100")).exit_code == 0
    increase = ("FundingIncreased", "--partner", "TN", "--occurred-on", "2021-06", "--funding", "f1")

    helped = accord(db, "submit", "FundingIncreased", "--help")
    added = accord(db, "submit", *increase, "--amount", "EUR 50", "--notes", "second tranche")
    refused = accord(db, "submit", *increase, "--amount", "USD 50")
    paid = submit_rows(db, funding("FundingDisbursed", "EUR 150", "2021-07"))

    assert "More funding is committed to an action already funded" in helped.stdout
    assert "--amount" in helped.stdout and "--funding" in helped.stdout
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith("recorded FundingIncreased on TN (key sha256:")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[0] == "accord: funding 'f1' is committed in EUR, not USD; nothing was stored"
    assert paid.exit_code == 0, paid.output
    assert stored_count(db) == 4


def test_a_good_file_with_comments_and_blank_lines_is_stored_whole(db: str, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(f"# opened first\n\n{json.dumps(opened())}\n   \n# then a visit\n{json.dumps(visit())}\n\n")
    result = accord(db, "submit", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == "recorded 2 event(s): PartnershipOpened 1, VisitHeld 1\n"
    assert stored_count(db) == 2


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("# a comment\n# another\n\n", "it holds 2 comment line(s) (#) and 1 blank line(s)"),
        ("", "it holds no lines"),
    ],
)
def test_a_file_without_facts_says_it_found_none_and_what_it_skipped(db: str, given: str, said: str) -> None:
    events = stored_count(db)

    result = accord(db, "submit", "--file", "-", input=given)

    assert result.exit_code == 2
    assert f"accord: found no facts in the file: {said}; nothing was stored" in result.output
    assert stored_count(db) == events


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("VistHeld", "no event type 'VistHeld'; did you mean VisitHeld"),
        ("visitheld", "no event type 'visitheld'; did you mean VisitHeld"),
        ("Xyzzy", "no event type 'Xyzzy' (`accord submit --help` lists them all)"),
    ],
)
def test_an_unknown_event_type_names_the_closest_and_stores_nothing(db: str, typed: str, said: str) -> None:
    events = stored_count(db)

    result = accord(db, "submit", typed, "--partner", "TN")

    assert result.exit_code == 2
    assert f"Error: {said}" in result.output
    assert stored_count(db) == events


def test_a_dash_reads_the_file_from_standard_input(db: str) -> None:
    result = accord(db, "submit", "-f", "-", input=jsonl([opened(), visit()]))
    assert result.exit_code == 0, result.output
    assert result.stdout == "recorded 2 event(s): PartnershipOpened 1, VisitHeld 1\n"
    assert stored_count(db) == 2


# 10. Round trip


def test_money_and_dates_of_month_precision_come_back_from_the_store_exactly(db: str) -> None:
    assert submit_rows(db, opened() | {"occurred_on": "2020-09"}).exit_code == 0
    result = accord(db, "submit", *FUNDING[:3], "--occurred-on", "2021-05", *FUNDING[5:], "--amount", "EUR 1250000.10")
    assert result.exit_code == 0, result.output

    [row] = as_json(accord(db, "audit", "log", "--json", "--type", "FundingCommitted"))
    assert (row["occurred_on"], row["subject"]) == ("2021-05", "TN")
    assert "Funding of EUR 1,250,000.10 committed to Tunisia" in row["summary"]

    app = build(Settings(db=db))
    try:
        partnership = app.partnership("TN")
        stored = [e for e in app.aggregate_events(partnership.id) if type(e).__name__ == "FundingCommitted"]
    finally:
        app.close()
    assert partnership.opened_on == EventDate(2020, 9)
    assert partnership.opened_on.precision == "month"
    line = partnership.funding["f1"]
    assert (line.currency, line.committed) == ("EUR", Decimal("1250000.10"))
    assert str(line.committed) == "1250000.10"
    assert (str(line.committed_on), line.committed_on.precision) == ("2021-05", "month")
    assert str(stored[0].amount.amount) == "1250000.10"  # type: ignore[attr-defined]


def test_whole_numbers_and_shares_given_as_options_are_taken_as_numbers(db: str) -> None:
    open_partners(db, "TN")
    launched = accord(
        db, "submit", "DialogueLaunched", "--partner", "TN", "--occurred-on", "2021-05-20",
        "--dialogue", "tn-d", "--title", "Mobility", "--cadence-days", "90",
    )  # fmt: skip
    envelope = accord(
        db, "submit", "FundingEnvelopeSet", "--instrument", "NDICI", "--occurred-on", "2021-06",
        "--amount", "EUR 8000000000", "--share", "0.10", "--first-year", "2021", "--last-year", "2027",
    )  # fmt: skip
    wrong = accord(
        db, "submit", "DialogueLaunched", "--partner", "TN", "--occurred-on", "2021-05-20",
        "--dialogue", "tn-e", "--title", "Other", "--cadence-days", "ninety",
    )  # fmt: skip

    assert (launched.exit_code, envelope.exit_code) == (0, 0), launched.output + envelope.output
    assert wrong.exit_code == 2
    assert "'ninety' is not a valid integer" in wrong.output


# 11. Who recorded it


def test_the_actor_given_with_actor_is_stored_with_the_event(db: str) -> None:
    assert submit_rows(db, opened(), actor="analyst-7").exit_code == 0
    [row] = as_json(accord(db, "audit", "log", "--json"))
    assert row["actor"] == "analyst-7"


@pytest.mark.parametrize(
    ("env", "args", "actor"),
    [
        pytest.param({"ACCORD_ACTOR": "desk-officer"}, [], "desk-officer", id="ACCORD_ACTOR"),
        pytest.param({"ACCORD_ACTOR": "desk-officer"}, ["--actor", "analyst"], "analyst", id="--actor-wins"),
        pytest.param({"ACCORD_ACTOR": None}, [], getpass.getuser(), id="login-name"),
    ],
)
def test_the_actor_comes_from_actor_else_accord_actor_else_the_login_name(
    db: str, env: dict[str, str | None], args: list[str], actor: str
) -> None:
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["--db", db, *args, "submit", "-f", "-"], input=jsonl([opened()]))
    assert result.exit_code == 0, result.output
    [row] = as_json(accord(db, "audit", "log", "--json"))
    assert row["actor"] == actor
