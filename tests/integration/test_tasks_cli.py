"""Follow-up tasks as a user meets them: the tasks the demo's facts open, the
tasks later facts close, a task's life on the command line, rule files of
one's own, and rebuilding the task list. Each test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import accord, as_json, opened, stored_count, submit_rows, time_limit
from workflows.cli.admin import demo_data
from workflows.rules import load_rules

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

pytestmark = pytest.mark.integration

DEMO_EVENTS = sum(1 for line in demo_data().read_text().splitlines() if line.strip() and not line.startswith("#"))

Row = dict[str, Any]

ONE_RULE = """\
# Only visits open tasks here.
[[rule]]
name = "visit-held-thank-you"
when = "VisitHeld"
title = "Thank {partner_name} for the visit of {occurred_on}"
owner = "protocol"
due = { after = "occurred_on", days = 3 }
"""


# A test that takes longer than this fails rather than stopping the whole run.
LIMIT = 30.0


@pytest.fixture(autouse=True)
def limited() -> Iterator[None]:
    with time_limit(LIMIT):
        yield


def tasks(db: str, *args: str) -> list[Row]:
    return list(as_json(accord(db, "tasks", "--json", *args)))


def all_tasks(db: str) -> list[Row]:
    return tasks(db, "--status", "all")


def of_rule(rows: list[Row], rule: str) -> list[Row]:
    return [row for row in rows if row["rule"] == rule]


def the_task(rows: list[Row], rule: str, **where: Any) -> Row:
    [row] = [row for row in of_rule(rows, rule) if all(row[key] == value for key, value in where.items())]
    return row


def show_task(db: str, ref: str) -> Row:
    [row] = as_json(accord(db, "task", "show", ref, "--json"))
    return dict(row)


def submitted(db: str, *rows: dict[str, Any]) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


JHA = "jha-council-2021-06-07"
EUCO = "european-council-2021-06-24"


def briefing(db: str) -> str:
    """The id of the demo's JHA Council briefing task (open, due 2021-05-31)."""
    return str(the_task(tasks(db), "meeting-scheduled-prepare-briefing", subject=JHA)["task_id"])


# The tasks the demo's facts open


def test_every_demo_visit_opens_a_follow_up_task_for_its_partner(demo_db: str) -> None:
    visits = of_rule(tasks(demo_db), "visit-held-follow-up")

    assert sorted(row["partner"] for row in visits) == ["AL", "BA", "MA", "MR", "TN", "TN", "TR"]
    assert all(row["basis"].startswith("rule visit-held-follow-up: 30 days after occurred on ") for row in visits)
    albania = the_task(visits, "visit-held-follow-up", partner="AL")
    assert albania["due_on"] == "2022-01-30"
    assert albania["basis"] == (
        "rule visit-held-follow-up: 30 days after occurred on 2021 (a year only: counted from its last day, 2021-12-31)"
    )
    assert albania["title"] == "Follow up on the visit to Albania of 2021: report and next steps"
    assert albania["owner"] == "desk:AL"


def test_the_morocco_dialogue_commitment_opens_a_task_to_agree_a_date(demo_db: str) -> None:
    row = the_task(tasks(demo_db), "commitment-recorded-agree-a-date", partner="MA")

    assert (row["due_on"], row["owner"], row["status"]) == ("2021-08-05", "desk:MA", "open")
    assert row["basis"] == "rule commitment-recorded-agree-a-date: 60 days after occurred on 2021-06-06"
    assert row["title"].startswith("Agree a date for, then verify, the commitment by the EU (Morocco): Follow up the")


def test_the_funding_envelope_opens_a_task_to_programme_it(demo_db: str) -> None:
    row = the_task(tasks(demo_db), "envelope-set-programme")

    assert (row["subject"], row["partner"], row["owner"], row["due_on"]) == (
        "NDICI-Global Europe",
        None,
        "finance",
        "2021-09-04",
    )
    assert row["title"] == "Programme the NDICI-Global Europe envelope for migration (EUR 8,000,000,000, 2021-2027)"
    assert row["basis"] == "rule envelope-set-programme: 90 days after occurred on 2021-06-06"


def test_each_of_turkeys_commitments_opens_a_task_to_agree_a_date(demo_db: str) -> None:
    turkey = of_rule(tasks(demo_db, "--partner", "tr"), "commitment-recorded-agree-a-date")

    assert len(turkey) == 3
    assert {row["due_on"] for row in turkey} == {"2021-07-06"}
    assert {row["thread"].rsplit("commitment=", 1)[1] for row in turkey} == {
        "tr-resume-returns",
        "tr-prevent-departures",
        "eu-support-refugees-in-turkey",
    }


def test_both_council_meetings_open_a_briefing_due_a_week_before(demo_db: str) -> None:
    rows = tasks(demo_db, "--owner", "cabinet")

    jha = the_task(rows, "meeting-scheduled-prepare-briefing", subject=JHA)
    euco = the_task(rows, "meeting-scheduled-prepare-briefing", subject=EUCO)
    assert (jha["due_on"], jha["basis"]) == (
        "2021-05-31",
        "rule meeting-scheduled-prepare-briefing: 7 days before held on 2021-06-07",
    )
    assert (euco["due_on"], euco["basis"]) == (
        "2021-06-17",
        "rule meeting-scheduled-prepare-briefing: 7 days before held on 2021-06-24",
    )
    assert jha["title"] == "Prepare the briefing for the Justice and Home Affairs Council of 7 June 2021"


def test_every_demo_task_explains_its_due_date_by_its_rule(demo_db: str) -> None:
    rows = all_tasks(demo_db)
    default_names = {rule.name for rule in load_rules().rule}

    assert len(rows) == 36
    assert {row["rule"] for row in rows} <= default_names
    assert all(row["basis"].startswith(f"rule {row['rule']}: ") for row in rows)


def test_a_demo_meeting_already_held_has_its_briefing_closed_as_moot(demo_db: str) -> None:
    row = the_task(
        all_tasks(demo_db), "meeting-scheduled-prepare-briefing", subject="counter-smuggling-conference-2020"
    )

    assert (row["status"], row["outcome"]) == ("done", "moot: MeetingHeld on 2020-07")
    assert row["closed_at"]


def test_the_task_list_is_ordered_by_due_date(demo_db: str) -> None:
    dates = [row["due_on"] for row in tasks(demo_db)]

    assert dates == sorted(dates)


def test_overdue_lists_only_open_tasks_due_before_today(demo_db: str) -> None:
    overdue = tasks(demo_db, "--status", "overdue", "--today", "2021-08-01")
    expected = [row["task_id"] for row in tasks(demo_db) if row["due_on"] < "2021-08-01"]

    assert [row["task_id"] for row in overdue] == expected
    assert overdue
    assert all(row["status"] == "open" and row["overdue"] for row in overdue)


def test_the_task_table_marks_overdue_tasks_and_shows_short_ids(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "tasks", "--today", "2021-06-01", "--owner", "cabinet")

    assert result.exit_code == 0, result.output
    assert "Tasks (open)" in result.stdout
    assert task_id[:8] in result.stdout
    assert "OVERDUE" in result.stdout


def test_no_task_of_an_unknown_owner_says_so_and_names_the_owners_with_tasks(demo_db: str) -> None:
    result = accord(demo_db, "tasks", "--owner", "desk:XX")

    assert result.exit_code == 0
    said = " ".join(result.stdout.split())
    assert said.startswith("no open tasks of owner desk:XX; owners with tasks: ")
    assert "cabinet, desk:AL" in said


def test_no_task_of_a_known_owner_in_a_state_says_what_was_asked(demo_db: str) -> None:
    result = accord(demo_db, "tasks", "--owner", "desk:TN", "--status", "cancelled")

    assert result.stdout == "no cancelled tasks of owner desk:TN\n"


def test_limit_shows_the_earliest_due_and_says_how_many_there_are(demo_db: str) -> None:
    everything = tasks(demo_db)

    result = accord(demo_db, "tasks", "--limit", "3")

    assert result.exit_code == 0, result.output
    assert [row["task_id"][:8] in result.stdout for row in everything[:4]] == [True, True, True, False]
    assert f"3 of {len(everything)} shown; --limit 0 for all" in result.stdout


def test_limit_zero_shows_every_task_without_a_footnote(demo_db: str) -> None:
    everything = tasks(demo_db)

    result = accord(demo_db, "tasks", "--limit", "0")

    assert result.exit_code == 0, result.output
    assert all(row["task_id"][:8] in result.stdout for row in everything)
    assert "shown" not in result.stdout


def test_json_lists_every_task_unless_limited(demo_db: str) -> None:
    everything = tasks(demo_db)

    assert len(everything) > 3
    assert tasks(demo_db, "--limit", "3") == everything[:3]


def test_a_negative_limit_is_refused(demo_db: str) -> None:
    result = accord(demo_db, "tasks", "--limit", "-1")

    assert result.exit_code == 2
    assert "--limit" in result.output


def test_due_before_filters_by_due_date(demo_db: str) -> None:
    rows = tasks(demo_db, "--due-before", "2020-10-01")

    assert [row["rule"] for row in rows] == ["meeting-held-circulate-conclusions", "visit-held-follow-up"]


def test_listing_tasks_again_opens_nothing_new(demo_db: str) -> None:
    first = all_tasks(demo_db)
    after_first = stored_count(demo_db)
    second = all_tasks(demo_db)

    assert stored_count(demo_db) == after_first
    assert second == first
    done = [row for row in first if row["status"] == "done"]
    assert after_first == DEMO_EVENTS + len(first) + len(done)


def test_running_the_demo_again_opens_no_task_twice(demo_db: str) -> None:
    before = all_tasks(demo_db)

    assert accord(demo_db, "demo").exit_code == 0

    assert all_tasks(demo_db) == before


# Later facts close the tasks they make moot


def commitment(ref: str = "tn-returns", **extra: Any) -> dict[str, Any]:
    return {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-05-20",
        "commitment": ref,
        "party": "partner",
        "description": "Resume returns",
        **extra,
    }


@pytest.mark.parametrize("closer", ["CommitmentFulfilled", "CommitmentLapsed"])
def test_a_kept_or_lapsed_commitment_closes_its_verify_task(db: str, closer: str) -> None:
    submitted(db, opened("TN"), commitment(due_on="2021-09-30"))
    verify = the_task(tasks(db), "commitment-recorded-verify")
    assert (verify["due_on"], verify["basis"]) == (
        "2021-09-30",
        "rule commitment-recorded-verify: on due on 2021-09-30",
    )

    submitted(db, {"type": closer, "partner": "TN", "occurred_on": "2021-06-01", "commitment": "tn-returns"})

    row = show_task(db, verify["task_id"])
    assert row["status"] == "done"
    assert row["outcome"].startswith("moot:")
    assert row["outcome"] == f"moot: {closer} on 2021-06-01"
    assert tasks(db, "--partner", "TN", "--owner", "desk:TN") == []


def test_a_closing_fact_leaves_the_tasks_of_other_commitments_open(demo_db: str) -> None:
    submitted(
        demo_db,
        {"type": "CommitmentFulfilled", "partner": "TR", "occurred_on": "2021-06", "commitment": "tr-resume-returns"},
    )

    turkey = of_rule(tasks(demo_db, "--status", "all", "--partner", "TR"), "commitment-recorded-agree-a-date")
    [closed] = [row for row in turkey if row["status"] == "done"]
    assert closed["thread"].endswith("commitment=tr-resume-returns")
    assert sum(row["status"] == "open" for row in turkey) == 2


def test_a_dialogue_opens_its_first_round_at_its_cadence_and_each_round_opens_the_next(db: str) -> None:
    launched = {
        "type": "DialogueLaunched",
        "partner": "TN",
        "occurred_on": "2021-03-01",
        "dialogue": "tn-migration",
        "title": "EU-Tunisia migration dialogue",
        "cadence_days": 60,
    }
    submitted(db, opened("TN"), launched)
    first = the_task(tasks(db), "dialogue-launched-first-round")
    assert (first["due_on"], first["title"]) == (
        "2021-04-30",
        "Hold the first round of the EU-Tunisia migration dialogue",
    )
    assert first["basis"] == "rule dialogue-launched-first-round: 60 days after occurred on 2021-03-01"

    submitted(
        db, {"type": "DialogueRoundHeld", "partner": "TN", "occurred_on": "2021-04-20", "dialogue": "tn-migration"}
    )

    rows = all_tasks(db)
    assert the_task(rows, "dialogue-launched-first-round")["status"] == "done"
    assert the_task(rows, "dialogue-launched-first-round")["outcome"] == "moot: DialogueRoundHeld on 2021-04-20"
    after = the_task(rows, "dialogue-round-held-next-round")
    assert (after["status"], after["due_on"]) == ("open", "2021-07-19")
    assert after["title"] == "Hold the next round of dialogue tn-migration with Tunisia"


def test_a_second_round_closes_the_task_the_first_round_opened(db: str) -> None:
    launched = {"type": "DialogueLaunched", "partner": "TN", "occurred_on": "2021-03-01", "dialogue": "d", "title": "D"}
    round_on = [
        {"type": "DialogueRoundHeld", "partner": "TN", "occurred_on": day, "dialogue": "d"}
        for day in ("2021-04-20", "2021-05-20")
    ]
    submitted(db, opened("TN"), launched, round_on[0])
    assert tasks(db, "--partner", "TN", "--owner", "desk:TN")[0]["due_on"] == "2021-07-19"

    submitted(db, round_on[1])

    rounds = of_rule(all_tasks(db), "dialogue-round-held-next-round")
    assert [(row["due_on"], row["status"]) for row in rounds] == [("2021-07-19", "done"), ("2021-08-18", "open")]


def test_a_meeting_held_closes_its_briefing_and_opens_the_conclusions_task(db: str) -> None:
    scheduled = {
        "type": "MeetingScheduled",
        "meeting": "jha-2021-10",
        "occurred_on": "2021-09-01",
        "body": "Justice and Home Affairs Council",
        "held_on": "2021-10-08",
    }
    submitted(db, scheduled)
    assert the_task(tasks(db), "meeting-scheduled-prepare-briefing")["due_on"] == "2021-10-01"

    submitted(db, {"type": "MeetingHeld", "meeting": "jha-2021-10", "occurred_on": "2021-10-08"})

    rows = all_tasks(db)
    assert the_task(rows, "meeting-scheduled-prepare-briefing")["status"] == "done"
    assert the_task(rows, "meeting-held-circulate-conclusions")["due_on"] == "2021-10-15"


@pytest.mark.parametrize(
    ("facts", "closed", "opened_rule"),
    [
        (
            [
                {"type": "VisitPlanned", "partner": "TN", "occurred_on": "2021-04-01", "planned_for": "2021-05"},
                {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-20", "visitors": ["A"]},
            ],
            "visit-planned-prepare",
            "visit-held-follow-up",
        ),
        (
            [
                {"type": "FundingCommitted", "partner": "TN", "occurred_on": "2021-04-01", "funding": "f1"}
                | {"instrument": "NDICI", "amount": "EUR 1000000"},
                {"type": "FundingDisbursed", "partner": "TN", "occurred_on": "2021-05-01", "funding": "f1"}
                | {"amount": "EUR 250000"},
            ],
            "funding-committed-first-disbursement",
            "funding-disbursed-check-use",
        ),
        (
            [
                {"type": "InitiativeAnnounced", "initiative": "plan", "occurred_on": "2021-04-01"}
                | {"title": "Action plan", "stage": "proposed"},
                {"type": "InitiativeAdvanced", "initiative": "plan", "occurred_on": "2021-05-01", "stage": "adopted"},
            ],
            "initiative-announced-follow-to-next-stage",
            None,
        ),
    ],
    ids=["visit", "funding", "initiative"],
)
def test_a_trigger_and_its_closer_submitted_together_leave_the_task_done(
    db: str, facts: list[dict[str, Any]], closed: str, opened_rule: str | None
) -> None:
    submitted(db, opened("TN"), *facts)

    rows = all_tasks(db)
    assert the_task(rows, closed)["status"] == "done"
    assert the_task(rows, closed)["outcome"].startswith(f"moot: {facts[1]['type']} on ")
    if opened_rule:
        assert the_task(rows, opened_rule)["status"] == "open"


def test_a_task_completed_by_hand_keeps_its_note_when_its_closer_arrives(db: str) -> None:
    submitted(db, opened("TN"), commitment())
    task_id = the_task(tasks(db), "commitment-recorded-agree-a-date")["task_id"]
    assert accord(db, "task", "complete", task_id[:6], "--note", "date agreed by phone").exit_code == 0

    submitted(
        db, {"type": "CommitmentFulfilled", "partner": "TN", "occurred_on": "2021-06-01", "commitment": "tn-returns"}
    )

    row = show_task(db, task_id)
    assert (row["status"], row["outcome"]) == ("done", "date agreed by phone")


# A task's life on the command line


def test_assigning_a_task_changes_its_owner(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "assign", task_id[:8], "desk:TN")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"task {task_id[:8]} is now owned by desk:TN\n"
    assert show_task(demo_db, task_id)["owner"] == "desk:TN"
    assert task_id in [row["task_id"] for row in tasks(demo_db, "--owner", "desk:TN")]
    assert task_id not in [row["task_id"] for row in tasks(demo_db, "--owner", "cabinet")]


def test_deferring_a_task_moves_its_due_date(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "defer", task_id, "--to", "2021-06-04", "--reason", "agenda late")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"task {task_id[:8]} is now due on 2021-06-04\n"
    assert show_task(demo_db, task_id)["due_on"] == "2021-06-04"
    overdue = tasks(demo_db, "--status", "overdue", "--today", "2021-06-01")
    assert task_id not in [row["task_id"] for row in overdue]
    # Its basis now says what moved the date, and what the rule had set.
    shown = accord(demo_db, "task", "show", task_id[:8]).stdout
    assert "basis: deferred to 4 June 2021 by " in shown
    assert ": agenda late; the rule had set 31 May 2021 (rule meeting-scheduled-prepare-briefing: 7 days " in shown


def test_completing_a_task_marks_it_done_with_its_note(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "complete", task_id.upper()[:8], "--note", "briefing sent")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"task {task_id[:8]} is done\n"
    row = show_task(demo_db, task_id)
    assert (row["status"], row["outcome"]) == ("done", "briefing sent")
    assert row["closed_at"]
    assert task_id not in [row["task_id"] for row in tasks(demo_db)]
    assert task_id in [row["task_id"] for row in tasks(demo_db, "--status", "done")]


def test_cancelling_a_task_records_why(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "cancel", task_id[:4], "--reason", "covered by the EUCO briefing")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"task {task_id[:8]} is cancelled\n"
    [row] = tasks(demo_db, "--status", "cancelled")
    assert (row["task_id"], row["status"], row["outcome"]) == (task_id, "cancelled", "covered by the EUCO briefing")


def test_task_show_prints_every_field_of_the_task(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "show", task_id[:8])

    assert result.exit_code == 0, result.output
    assert f"task id: {task_id}" in result.stdout
    assert "basis: rule meeting-scheduled-prepare-briefing: 7 days before held on 2021-06-07" in result.stdout


def test_task_show_says_where_the_task_stands_and_the_fact_it_follows_up_in_words(demo_db: str) -> None:
    task_id = briefing(demo_db)

    shown = accord(demo_db, "task", "show", task_id[:8]).stdout

    assert re.search(r"\n +status: Overdue by [0-9,]+ days \(due 31 May 2021\)\n", shown), shown
    assert "\n  follows up: Justice and Home Affairs Council set for 7 June 2021: External efforts" in shown
    assert "on the agenda (6 June 2021)\n" in shown  # when the meeting was set
    assert "\n         for: Justice and Home Affairs Council of 7 June 2021\n" in shown
    assert "True" not in shown and "overdue:" not in shown
    assert UUID.findall(shown) == [task_id]


def test_a_task_whose_fact_no_timeline_holds_names_its_kind_not_its_id(demo_db: str) -> None:
    [envelope] = of_rule(tasks(demo_db), "envelope-set-programme")

    shown = accord(demo_db, "task", "show", envelope["task_id"][:8]).stdout

    assert "follows up: A funding envelope set on NDICI-Global Europe, which the timeline does not show" in shown
    assert UUID.findall(shown) == [envelope["task_id"]]


def test_a_deferral_to_an_earlier_date_is_refused(demo_db: str) -> None:
    task_id = briefing(demo_db)

    result = accord(demo_db, "task", "defer", task_id[:8], "--to", "2021-05-30", "--reason", "sooner")

    assert result.exit_code == 2
    assert result.stderr == "accord: a deferral must move the due date after 2021-05-31, not to 2021-05-30\n"
    assert show_task(demo_db, task_id)["due_on"] == "2021-05-31"


DONE = ["complete", "--note", "done"]
CANCELLED = ["cancel", "--reason", "not needed"]


@pytest.mark.parametrize(
    ("close", "state", "change"),
    [
        (DONE, "done", ["assign", "desk:MA"]),
        (DONE, "done", ["defer", "--to", "2021-12-01", "--reason", "r"]),
        (DONE, "done", ["complete"]),
        (DONE, "done", ["cancel", "--reason", "r"]),
        (CANCELLED, "cancelled", ["complete"]),
    ],
    ids=["done-assign", "done-defer", "done-complete", "done-cancel", "cancelled-complete"],
)
def test_a_closed_task_cannot_be_changed(db: str, close: list[str], state: str, change: list[str]) -> None:
    submitted(db, opened("TN"))
    [row] = tasks(db)
    task_id = row["task_id"]
    assert accord(db, "task", close[0], task_id[:8], *close[1:]).exit_code == 0
    before = stored_count(db)

    result = accord(db, "task", change[0], task_id[:8], *change[1:])

    assert result.exit_code == 2
    closed = "completed" if state == "done" else "cancelled"
    assert re.fullmatch(
        rf"accord: task {task_id} is already {state} "
        rf"\({closed} on [-\d]{{10}} \d\d:\d\d UTC by tester\): nothing changed\n",
        result.stderr,
    )
    assert stored_count(db) == before


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("ffff0000", "accord: no task has an id starting 'ffff0000'\n"),
        ("abc", "accord: a task id is hexadecimal; give at least its first 4 characters, not 'abc'\n"),
    ],
    ids=["unknown", "too-short"],
)
@pytest.mark.parametrize("command", [["show"], ["assign", "desk:TN"], ["complete"]])
def test_a_task_id_that_names_no_task_is_refused(db: str, ref: str, says: str, command: list[str]) -> None:
    submitted(db, opened("TN"))

    result = accord(db, "task", command[0], ref, *command[1:])

    assert result.exit_code == 2
    assert result.stderr == says


def test_a_task_id_prefix_is_matched_as_typed_not_as_a_pattern(db: str) -> None:
    submitted(db, opened("TN"))
    [row] = tasks(db)

    result = accord(db, "task", "complete", "____")

    assert result.exit_code == 2
    assert result.stderr == "accord: a task id is hexadecimal; give at least its first 4 characters, not '____'\n"
    assert show_task(db, row["task_id"])["status"] == "open"


# Rule files of one's own


def test_a_rule_file_of_ones_own_decides_which_tasks_open(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(ONE_RULE)
    result = accord(db, "--rules", str(rules), "demo")
    assert result.exit_code == 0, result.output

    rows = as_json(accord(db, "--rules", str(rules), "tasks", "--status", "all", "--json"))

    assert len(rows) == 7
    assert {row["rule"] for row in rows} == {"visit-held-thank-you"}
    turkey = the_task(rows, "visit-held-thank-you", partner="TR")
    assert (turkey["title"], turkey["owner"], turkey["due_on"]) == (
        "Thank Türkiye for the visit of 7 May 2021",
        "protocol",
        "2021-05-10",
    )


def test_accord_rules_in_the_environment_names_the_rule_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(ONE_RULE)
    monkeypatch.setenv("ACCORD_RULES", str(rules))

    submitted(db, opened("TN"), {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-20", "visitors": ["A"]})

    assert [row["rule"] for row in all_tasks(db)] == ["visit-held-thank-you"]
    names = [rule["name"] for rule in as_json(accord(db, "rules", "show", "--json"))]
    assert names == ["visit-held-thank-you"]


def test_rules_show_lists_the_default_rules(db: str) -> None:
    rules = as_json(accord(db, "rules", "show", "--json"))

    assert [rule["name"] for rule in rules] == [rule.name for rule in load_rules().rule]
    briefing_rule = next(rule for rule in rules if rule["name"] == "meeting-scheduled-prepare-briefing")
    assert briefing_rule["due"] == {"after": None, "before": "held_on", "days": 7, "default_days": None}
    assert briefing_rule["closed_by"] == ["MeetingHeld"]


def test_rules_show_prints_a_table_naming_the_source(db: str) -> None:
    result = accord(db, "rules", "show")

    assert result.exit_code == 0, result.output
    assert "Rules: the rules shipped with Accord" in result.stdout


def test_rules_check_accepts_a_valid_file(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(ONE_RULE)

    result = accord(db, "rules", "check", str(rules))

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{rules}: 1 rule(s), all valid\n"


def test_rules_check_lists_each_problem_of_a_bad_file_with_its_line(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    bad = (
        ONE_RULE.replace('"VisitHeld"', '"VisitDone"')
        + "\n"
        + ONE_RULE.replace("thank-you", "thanks").replace("days = 3", "days = -3")
    )
    rules.write_text(bad)

    result = accord(db, "rules", "check", str(rules))

    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"accord: {rules}: line 2, rule 1 (visit-held-thank-you): field 'when': unknown event type 'VisitDone'"
    )
    assert lines[1] == (
        f"{rules}: line 10, rule 2 (visit-held-thanks): field 'due': "
        "days counts forward from 'after' or back from 'before', so it is never negative"
    )
    assert result.stdout == ""


def test_rules_check_names_a_file_that_is_not_toml(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text("[[rule]\n")

    result = accord(db, "rules", "check", str(rules))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"accord: {rules}: not valid TOML: ")
    assert "(at line 1, column 7)" in result.stderr


def test_a_bad_rule_file_stops_every_command_that_uses_it(demo_db: str, tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text(ONE_RULE.replace("days = 3", "days = -3"))

    result = accord(demo_db, "--rules", str(rules), "tasks")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"accord: {rules}: line 2, rule 1 (visit-held-thank-you): field 'due': ")


def test_a_rule_file_that_passes_the_check_never_stops_the_task_list(db: str, tmp_path: Path) -> None:
    # Titles and owners may draw on fields a fact leaves empty.
    rules = tmp_path / "rules.toml"
    rules.write_text(ONE_RULE.replace('"protocol"', '"{place}"').replace('"Thank {partner_name}', '"{place}'))
    checked = accord(db, "rules", "check", str(rules))
    submitted(db, opened("TN"), {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-20", "visitors": ["A"]})

    listed = accord(db, "--rules", str(rules), "tasks", "--json")

    assert checked.exit_code == 2 or listed.exit_code == 0, listed.output


# Rebuilding the task list


def test_rebuilding_the_task_list_gives_back_the_same_rows(demo_db: str) -> None:
    task_id = briefing(demo_db)
    for change in (["assign", "desk:TN"], ["defer", "--to", "2021-06-03", "--reason", "late"], ["complete"]):
        assert accord(demo_db, "task", change[0], task_id[:8], *change[1:]).exit_code == 0
    euco = the_task(tasks(demo_db), "meeting-scheduled-prepare-briefing", subject=EUCO)["task_id"]
    assert accord(demo_db, "task", "cancel", euco[:8], "--reason", "r").exit_code == 0
    before = all_tasks(demo_db)

    result = accord(demo_db, "projections", "rebuild", "tasks")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("rebuilt tasks into view_tasks_2 up to position ")
    assert all_tasks(demo_db) == before


def test_after_a_rebuild_the_task_list_does_not_lag(demo_db: str) -> None:
    all_tasks(demo_db)
    assert accord(demo_db, "projections", "rebuild").exit_code == 0

    statuses = as_json(accord(demo_db, "projections", "status", "--json"))

    [status] = [row for row in statuses if row["name"] == "tasks"]
    assert (status["table"], status["lag"]) == ("view_tasks_2", 0)
    assert all(row["position"] == row["head"] and row["lag"] == 0 for row in statuses)
    assert stored_count(demo_db) > DEMO_EVENTS


def test_rebuilding_an_unknown_projection_is_refused(db: str) -> None:
    result = accord(db, "projections", "rebuild", "reports")

    assert result.exit_code == 2
    assert "no projection 'reports'; known: tasks" in result.stderr
