"""The scheduler as an operator meets it: a tick that reminds owners of tasks
coming due, escalates overdue ones and issues digests, the weekly portfolio
report and meeting briefings into the outbox, each once; a dry run; catching
up after a long stop; one scheduler per SQLite store; schedulers killed at
random moments, or two side by side on PostgreSQL, never doing a thing twice;
bad settings; and `scheduler status`. Each test runs on SQLite and on
PostgreSQL unless it says otherwise."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain.dispatch import Dispatch
from domain.task import FollowUpTask
from domain.vocabulary import parse
from tests.helpers import accord, as_json, opened, stored_count, submit_rows, time_limit
from workflows.application.compose import build
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

Row = dict[str, Any]

ACCORD = str(Path(sys.executable).with_name("accord"))
ZONE = ZoneInfo("Europe/Brussels")
# The demo's tasks due 2021-08-05 fall within a week of this moment (Brussels time).
AUGUST = "2021-08-01T09:00"
SCHEDULE = ("TIMEZONE", "TICK", "REMIND_DAYS", "ESCALATE_AFTER", "DIGEST_AT", "REPORT_DAY", "BRIEFING_DAYS")

# A test that takes longer than this fails rather than stopping the whole run.
LIMIT = 60.0


@pytest.fixture(autouse=True)
def limited() -> Iterator[None]:
    with time_limit(LIMIT):
        yield


@pytest.fixture(autouse=True)
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default schedule, with the outbox in the test's own folder."""
    for name in SCHEDULE:
        monkeypatch.delenv(f"ACCORD_{name}", raising=False)
    folder = tmp_path / "outbox"
    monkeypatch.setenv("ACCORD_OUTBOX", str(folder))
    return folder


# Helpers


def tick(db: str, at: str, *args: str) -> list[Row]:
    """`accord scheduler tick --at AT --json`: the actions done (or, with --dry-run, due)."""
    return list(as_json(accord(db, "scheduler", "tick", "--at", at, "--json", *args)))


def targets(actions: list[Row], kind: str) -> list[str]:
    return [action["target"] for action in actions if action["action"] == kind]


def all_tasks(db: str) -> dict[str, Row]:
    return {row["task_id"]: row for row in as_json(accord(db, "tasks", "--status", "all", "--json"))}


def recorded(db: str, *classes: type[Any]) -> list[Any]:
    """The stored events of these types, in the order of the log."""
    app = build(Settings(db=db))
    try:
        return list(app.events_of_types(classes))
    finally:
        app.close()


def changes_by_task(db: str) -> dict[str, list[Any]]:
    """Each task's reminders and escalations, in the order recorded."""
    by_task: dict[str, list[Any]] = defaultdict(list)
    for event in recorded(db, FollowUpTask.ReminderSent, FollowUpTask.TaskEscalated):
        by_task[str(event.originator_id)].append(event)
    return by_task


def task_history(db: str, task_id: str) -> list[tuple[str, str]]:
    """The task's events after it opened, each as (type, what it says)."""
    app = build(Settings(db=db))
    try:
        events = app.aggregate_events(UUID(task_id))[1:]
    finally:
        app.close()
    said = []
    for event in events:
        match event:
            case FollowUpTask.ReminderSent():
                said.append(("ReminderSent", f"on {event.on} ({event.key})"))
            case FollowUpTask.TaskEscalated():
                said.append(("TaskEscalated", f"level {event.level} ({event.key})"))
            case FollowUpTask.TaskDeferred():
                said.append(("TaskDeferred", f"to {event.due_on}"))
            case _:
                said.append((type(event).__name__, ""))
    return said


def visit_on(partner: str, day: date | str, ref: str | None = None) -> Row:
    """A visit; the rules open a follow-up task due 30 days later."""
    row: Row = {
        "type": "VisitHeld",
        "partner": partner,
        "occurred_on": str(day),
        "visitors": ["Commissioner Johansson"],
    }
    if ref:
        row["id"] = ref
    return row


def file_name(recipient: str) -> str:
    """A recipient as the outbox names its files: readable ("desk:TN" is desk-TN)."""
    return quote(recipient, safe="-_.").replace("%3A", "-")


def submitted(db: str, *rows: Row) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


def follow_up_task(db: str, partner: str) -> Row:
    [row] = [
        row for row in all_tasks(db).values() if row["rule"] == "visit-held-follow-up" and row["partner"] == partner
    ]
    return row


# One tick, and the same tick again


def test_a_tick_reminds_tasks_coming_due_and_escalates_overdue_ones_and_a_second_tick_records_nothing(
    demo_db: str,
) -> None:
    before = stored_count(demo_db)
    rows = all_tasks(demo_db)
    open_rows = [row for row in rows.values() if row["status"] == "open"]

    done = tick(demo_db, AUGUST)

    reminded, escalated = targets(done, "remind"), targets(done, "escalate")
    assert sorted(reminded) == sorted(
        row["task_id"] for row in open_rows if "2021-08-01" <= row["due_on"] <= "2021-08-08"
    )
    assert {rows[task]["due_on"] for task in reminded} == {"2021-08-05"}
    assert len(reminded) == 2
    assert sorted(escalated) == sorted(row["task_id"] for row in open_rows if row["due_on"] < "2021-08-01")
    assert stored_count(demo_db) == before + len(done)

    after = all_tasks(demo_db)
    assert all(after[task]["reminded_on"] == "2021-08-01" and after[task]["level"] == 0 for task in reminded)
    # Every overdue demo task is late by more than a week: straight to level 2.
    assert all(after[task]["level"] == 2 and after[task]["reminded_on"] is None for task in escalated)
    untouched = set(rows) - set(reminded) - set(escalated)
    assert all((after[task]["reminded_on"], after[task]["level"]) == (None, 0) for task in untouched)

    changes = changes_by_task(demo_db)
    assert sorted(changes) == sorted(reminded + escalated)
    for task in reminded:
        [event] = changes[task]
        assert isinstance(event, FollowUpTask.ReminderSent)
        assert (event.on, event.key, event.actor) == (date(2021, 8, 1), "remind@2021-08-05", "scheduler")
    for task in escalated:
        [event] = changes[task]
        assert isinstance(event, FollowUpTask.TaskEscalated)
        assert (event.level, event.key) == (2, f"escalate-2@{rows[task]['due_on']}")

    settled = stored_count(demo_db)
    again = tick(demo_db, AUGUST)

    assert again == []
    assert stored_count(demo_db) == settled
    assert all_tasks(demo_db) == after


def test_a_dry_run_records_nothing_and_lists_what_the_tick_then_does(demo_db: str, outbox: Path) -> None:
    before = stored_count(demo_db)

    planned = tick(demo_db, AUGUST, "--dry-run")

    assert stored_count(demo_db) == before
    assert not outbox.exists()
    assert [(row["reminded_on"], row["level"]) for row in all_tasks(demo_db).values()] == [(None, 0)] * 36
    table = accord(demo_db, "scheduler", "tick", "--at", AUGUST, "--dry-run")
    assert table.exit_code == 0, table.output
    assert "As of 2021-08-01 09:00 CEST, the scheduler would do" in table.stdout
    assert stored_count(demo_db) == before

    done = tick(demo_db, AUGUST)

    assert [(row["action"], row["target"]) for row in planned] == [(row["action"], row["target"]) for row in done]
    assert Counter(row["action"] for row in done) == Counter(
        {"escalate": 26, "digest": 11, "remind": 2, "portfolio": 1}
    )
    changes = [row for row in planned if row["action"] in ("remind", "escalate")]
    assert changes == [row for row in done if row["action"] in ("remind", "escalate")]
    assert stored_count(demo_db) == before + len(done)
    assert tick(demo_db, AUGUST, "--dry-run") == []


# The outbox


def test_the_audit_log_shows_what_the_scheduler_issued_and_recorded_and_when(demo_db: str, outbox: Path) -> None:
    done = tick(demo_db, AUGUST)

    issued = as_json(accord(demo_db, "audit", "log", "--type", "DispatchIssued", "--json"))
    assert sorted(row["subject"] for row in issued) == sorted(
        f"{action['action']} for {action['target']}, {action['detail'].split(':')[0]}"
        for action in done
        if action["action"] in ("digest", "portfolio")
    )
    assert {row["actor"] for row in issued} == {"scheduler"}
    assert all(datetime.fromisoformat(row["recorded_at"]).utcoffset() is not None for row in issued)
    escalated = as_json(accord(demo_db, "audit", "log", "--type", "TaskEscalated", "--json"))
    assert len(escalated) == len(targets(done, "escalate"))
    reminded = as_json(accord(demo_db, "audit", "log", "--partner", "MA", "--type", "ReminderSent", "--json"))
    assert all(row["actor"] == "scheduler" for row in reminded)


def test_digests_and_the_portfolio_report_are_written_to_the_outbox_once(demo_db: str, outbox: Path) -> None:
    done = tick(demo_db, AUGUST)

    owners = targets(done, "digest")
    assert "desk:MA" in owners
    assert sorted(path.name for path in (outbox / "digest").iterdir()) == sorted(
        f"2021-08-01--{file_name(owner)}{suffix}" for owner in owners for suffix in (".md", ".json")
    )
    # 2021-08-01 is a Sunday: the last report fell due on Monday 26 July, in week 30.
    assert targets(done, "portfolio") == ["portfolio"]
    assert sorted(path.name for path in (outbox / "portfolio").iterdir()) == [
        "2021-W30--portfolio.json",
        "2021-W30--portfolio.md",
    ]
    morocco = json.loads((outbox / "digest" / "2021-08-01--desk-MA.json").read_text())
    assert morocco["title"] == "Daily digest for desk:MA"
    assert morocco["figures"] == {"overdue": 1, "due within 7 days": 1}
    [tasks] = morocco["tables"]
    assert [(row["due_on"], row["state"]) for row in tasks["rows"]] == [
        ("2021-01-30", "OVERDUE"),
        ("2021-08-05", "due"),
    ]
    assert (outbox / "digest" / "2021-08-01--desk-MA.md").read_text().startswith("# Daily digest for desk:MA\n")
    assert json.loads((outbox / "portfolio" / "2021-W30--portfolio.json").read_text())["title"]
    issued = recorded(demo_db, Dispatch.DispatchIssued)
    assert sorted((event.kind, event.recipient, event.period) for event in issued) == sorted(
        [("digest", owner, "2021-08-01") for owner in owners] + [("portfolio", "portfolio", "2021-W30")]
    )
    assert not list(outbox.rglob("*.partial"))

    files = {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()}
    before = stored_count(demo_db)

    again = accord(demo_db, "scheduler", "tick", "--at", AUGUST)

    assert again.exit_code == 0, again.output
    assert again.stdout == "As of 2021-08-01 09:00 CEST, the scheduler did nothing: nothing is due.\n"
    assert stored_count(demo_db) == before
    assert {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()} == files


def test_files_taken_from_the_outbox_are_not_written_again(demo_db: str, outbox: Path) -> None:
    tick(demo_db, AUGUST)
    taken = outbox / "digest" / "2021-08-01--desk-MA.md"
    taken.unlink()
    (outbox / "portfolio" / "2021-W30--portfolio.json").rename(outbox / "delivered.json")
    left = {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()}
    before = stored_count(demo_db)

    again = accord(demo_db, "scheduler", "tick", "--at", AUGUST)

    assert again.exit_code == 0, again.output
    assert "wrote " not in again.stdout
    assert stored_count(demo_db) == before
    assert {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()} == left


def test_a_dispatch_recorded_but_never_written_gets_its_files_at_the_next_tick_and_no_new_event(
    demo_db: str, outbox: Path
) -> None:
    tick(demo_db, AUGUST)
    files = {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()}
    lost = [outbox / "digest" / "2021-08-01--desk-MA.md", outbox / "digest" / "2021-08-01--desk-MA.json"]
    # As a crash between recording the dispatch and writing its files leaves it.
    for path in lost:
        path.unlink()
    app = build(Settings(db=demo_db))
    try:
        with app.views.db.transaction() as cursor:
            cursor.execute(
                "DELETE FROM accord_outbox WHERE dispatch_id = ?",
                (str(Dispatch.id_of("digest", "desk:MA", "2021-08-01")),),
            )
    finally:
        app.close()
    before = stored_count(demo_db)

    again = accord(demo_db, "scheduler", "tick", "--at", AUGUST)

    assert again.exit_code == 0, again.output
    assert "As of 2021-08-01 09:00 CEST, the scheduler did nothing: nothing is due." in again.stdout
    assert sorted(line for line in again.stdout.splitlines() if line.startswith("wrote ")) == sorted(
        f"wrote {path}" for path in lost
    )
    assert stored_count(demo_db) == before
    assert {path: path.read_bytes() for path in outbox.rglob("*") if path.is_file()} == files
    assert tick(demo_db, AUGUST) == []


def test_a_digest_shows_the_levels_its_own_tick_escalated_to(db: str, outbox: Path) -> None:
    assert submit_rows(db, opened("TN"), opened("MA")).exit_code == 0  # each opens a task, long overdue by August

    done = tick(db, AUGUST)

    assert [action["detail"].endswith("to level 2") for action in done if action["action"] == "escalate"] == [True] * 2
    [digest] = [json.loads(path.read_text()) for path in (outbox / "digest").glob("*.json")]
    [tasks] = digest["tables"]
    assert [(row["state"], row["level"]) for row in tasks["rows"]] == [("OVERDUE", 2), ("OVERDUE", 2)]


def test_two_owners_whose_names_differ_only_in_punctuation_each_get_their_own_digest(db: str, outbox: Path) -> None:
    submitted(db, opened("TN"), opened("MA"))
    morocco = next(row for row in all_tasks(db).values() if row["partner"] == "MA")
    assert accord(db, "task", "assign", morocco["task_id"][:8], "head of unit").exit_code == 0

    done = tick(db, "2020-10-01T09:00")

    assert sorted(targets(done, "digest")) == ["head of unit", "head-of-unit"]
    digests = [json.loads(path.read_text()) for path in sorted((outbox / "digest").glob("*.json"))]
    assert sorted(digest["title"] for digest in digests) == [
        "Daily digest for head of unit",
        "Daily digest for head-of-unit",
    ]


def test_digest_files_read_as_the_owner_and_two_owners_that_read_alike_each_keep_their_own(
    db: str, outbox: Path
) -> None:
    submitted(db, opened("TN"), opened("MA"), visit_on("TN", "2020-09-01"))
    morocco = next(row for row in all_tasks(db).values() if row["partner"] == "MA")
    assert accord(db, "task", "assign", morocco["task_id"][:8], "desk-TN").exit_code == 0  # a hyphen, not a colon

    tick(db, "2020-10-01T09:00")

    names = sorted(path.name for path in (outbox / "digest").glob("*.md"))
    assert "2020-10-01--desk-TN.md" in names and "2020-10-01--head-of-unit.md" in names
    titles = {json.loads(path.read_text())["title"] for path in (outbox / "digest").glob("*.json")}
    assert {"Daily digest for desk:TN", "Daily digest for desk-TN"} <= titles
    assert len(names) == len(titles)


def test_an_owner_of_240_characters_is_refused_as_it_is_assigned(db: str) -> None:
    submitted(db, opened("TN"))
    [task] = all_tasks(db).values()

    result = accord(db, "task", "assign", task["task_id"][:8], "desk:" + "a" * 235)

    assert result.exit_code == 2
    assert "field 'owner': has 240 characters: at most 200 are taken" in result.output


def test_owners_at_their_bound_in_characters_a_file_name_escapes_get_digest_files_of_bounded_names(
    db: str, outbox: Path
) -> None:
    submitted(db, opened("TN"), opened("MA"))
    tunisia, morocco = (next(row for row in all_tasks(db).values() if row["partner"] == p) for p in ("TN", "MA"))
    # Two owners of 200 characters that begin alike, each escaped to over a
    # thousand bytes (an "é" is %C3%A9): a file name holds 255.
    first, second = "desk:" + "é" * 195, "desk:" + "é" * 194 + "e"
    assert accord(db, "task", "assign", tunisia["task_id"][:8], first).exit_code == 0
    assert accord(db, "task", "assign", morocco["task_id"][:8], second).exit_code == 0

    result = accord(db, "scheduler", "tick", "--at", "2020-10-01T09:00")

    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in (outbox / "digest").glob("*.md"))
    assert len(names) == 2 and names[0] != names[1]
    for name in names:
        assert len(name.encode()) <= 255 and name.startswith("2020-10-01--desk-%C3%A9%C3%A9")
    titles = {json.loads(path.read_text())["title"] for path in (outbox / "digest").glob("*.json")}
    assert titles == {f"Daily digest for {first}", f"Daily digest for {second}"}
    assert f"wrote {outbox / 'digest' / names[0]}" in result.output


def test_an_owner_of_any_characters_gets_a_digest_file_named_in_safe_characters(db: str, outbox: Path) -> None:
    submitted(db, opened("TN"))
    [task] = all_tasks(db).values()
    assert accord(db, "task", "assign", task["task_id"][:8], "../../étage 2/x*?").exit_code == 0

    tick(db, "2020-10-01T09:00")

    [path] = (outbox / "digest").glob("*.md")
    assert path.parent == outbox / "digest"
    assert path.name == "2020-10-01--..%2F..%2F%C3%A9tage%202%2Fx%2A%3F.md"


def test_an_escaped_owner_keeps_its_own_file_name_beside_one_its_percents_would_match(db: str, outbox: Path) -> None:
    submitted(db, opened("TN"), opened("MA"))
    tunisia, morocco = (next(row for row in all_tasks(db).values() if row["partner"] == p) for p in ("TN", "MA"))
    # "desk-%C3%A9", read as a LIKE pattern, matches "desk-xC3yA9": it is not the same name.
    assert accord(db, "task", "assign", tunisia["task_id"][:8], "desk:xC3yA9").exit_code == 0
    assert accord(db, "task", "assign", morocco["task_id"][:8], "desk:é").exit_code == 0

    tick(db, "2020-10-01T09:00")

    names = sorted(path.name for path in (outbox / "digest").glob("*.md"))
    assert names == ["2020-10-01--desk-%C3%A9.md", "2020-10-01--desk-xC3yA9.md"]


# Escalation levels and deferrals


def test_a_task_is_reminded_then_escalated_to_level_1_then_2_and_a_deferral_starts_it_afresh(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_ESCALATE_AFTER", "4")
    submitted(db, opened("TN"), visit_on("TN", "2021-05-01"))
    task = follow_up_task(db, "TN")["task_id"]
    assert follow_up_task(db, "TN")["due_on"] == "2021-05-31"

    def act(at: str) -> list[tuple[str, str]]:
        """What a tick at `at` did to the task."""
        return [(row["action"], row["detail"].rsplit(", due ", 1)[1]) for row in tick(db, at) if row["target"] == task]

    def state() -> tuple[str, str | None, int]:
        row = follow_up_task(db, "TN")
        return row["due_on"], row["reminded_on"], row["level"]

    assert act("2021-05-23T09:00") == []  # 8 days ahead: not yet
    assert act("2021-05-24T09:00") == [("remind", "2021-05-31")]
    assert state() == ("2021-05-31", "2021-05-24", 0)
    assert act("2021-05-31T09:00") == []  # due today, not overdue
    assert act("2021-06-01T09:00") == [("escalate", "2021-05-31: to level 1")]
    assert state() == ("2021-05-31", "2021-05-24", 1)
    assert act("2021-06-03T09:00") == []  # 3 days late, less than ACCORD_ESCALATE_AFTER
    assert act("2021-06-04T09:00") == [("escalate", "2021-05-31: to level 2")]
    assert state() == ("2021-05-31", "2021-05-24", 2)
    assert act("2021-06-10T09:00") == []

    deferred = accord(db, "task", "defer", task[:8], "--to", "2021-06-20", "--reason", "the report comes later")
    assert deferred.exit_code == 0, deferred.output
    assert state() == ("2021-06-20", None, 0)

    assert act("2021-06-12T09:00") == []
    assert act("2021-06-13T09:00") == [("remind", "2021-06-20")]
    assert state() == ("2021-06-20", "2021-06-13", 0)
    assert act("2021-06-21T09:00") == [("escalate", "2021-06-20: to level 1")]
    assert state() == ("2021-06-20", "2021-06-13", 1)

    assert task_history(db, task) == [
        ("ReminderSent", "on 2021-05-24 (remind@2021-05-31)"),
        ("TaskEscalated", "level 1 (escalate-1@2021-05-31)"),
        ("TaskEscalated", "level 2 (escalate-2@2021-05-31)"),
        ("TaskDeferred", "to 2021-06-20"),
        ("ReminderSent", "on 2021-06-13 (remind@2021-06-20)"),
        ("TaskEscalated", "level 1 (escalate-1@2021-06-20)"),
    ]


def test_after_a_rebuild_of_the_task_list_the_scheduler_does_nothing_twice(demo_db: str) -> None:
    tick(demo_db, AUGUST)
    briefing = next(row for row in all_tasks(demo_db).values() if row["due_on"] == "2021-05-31")
    assert briefing["level"] == 2
    deferred = accord(demo_db, "task", "defer", briefing["task_id"][:8], "--to", "2021-08-06", "--reason", "late")
    assert deferred.exit_code == 0, deferred.output
    before = all_tasks(demo_db)
    assert (before[briefing["task_id"]]["level"], before[briefing["task_id"]]["reminded_on"]) == (0, None)

    rebuilt = accord(demo_db, "projections", "rebuild", "tasks")

    assert rebuilt.exit_code == 0, rebuilt.output
    assert all_tasks(demo_db) == before
    # Only the deferred task, due again within the week, is reminded again.
    again = tick(demo_db, AUGUST)
    assert [(row["action"], row["target"]) for row in again] == [("remind", briefing["task_id"])]


def test_a_closed_task_is_neither_reminded_nor_escalated(db: str) -> None:
    submitted(db, opened("TN"), visit_on("TN", "2021-05-01"))
    task = follow_up_task(db, "TN")["task_id"]
    assert accord(db, "task", "complete", task[:8], "--note", "report filed").exit_code == 0

    for at in ("2021-05-25T09:00", "2021-06-02T09:00", "2021-06-20T09:00"):
        assert task not in [row["target"] for row in tick(db, at)]

    assert changes_by_task(db).get(task) is None


def test_accord_remind_days_sets_how_long_before_its_due_date_a_task_is_reminded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_REMIND_DAYS", "2")
    submitted(db, opened("TN"), visit_on("TN", "2021-05-01"))
    task = follow_up_task(db, "TN")["task_id"]

    assert task not in targets(tick(db, "2021-05-28T09:00"), "remind")  # 3 days ahead
    assert targets(tick(db, "2021-05-29T09:00"), "remind") == [task]
    assert follow_up_task(db, "TN")["reminded_on"] == "2021-05-29"


# Catching up


def test_after_a_long_stop_one_tick_does_one_thing_per_task_whatever_it_missed(db: str) -> None:
    # Follow-ups due 2021-05-31, 06-02, 06-04 (long overdue on 06-23), 06-19
    # (4 days late), 06-25 and 06-28 (coming due); a desk to name since 2020.
    visits = ["2021-05-01", "2021-05-03", "2021-05-05", "2021-05-20", "2021-05-26", "2021-05-29"]
    submitted(db, opened("TN"), *(visit_on("TN", day) for day in visits))
    rows = all_tasks(db)
    due = {task: row["due_on"] for task, row in rows.items()}
    assert sorted(due.values()) == [
        "2020-10-07",
        "2021-05-31",
        "2021-06-02",
        "2021-06-04",
        "2021-06-19",
        "2021-06-25",
        "2021-06-28",
    ]
    before = stored_count(db)

    done = tick(db, "2021-06-23T09:00")

    assert Counter(row["target"] for row in done if row["action"] in ("remind", "escalate")) == Counter(set(due))
    by_due = {due[row["target"]]: row for row in done if row["action"] in ("remind", "escalate")}
    assert {day: row["action"] for day, row in by_due.items()} == {
        "2020-10-07": "escalate",
        "2021-05-31": "escalate",
        "2021-06-02": "escalate",
        "2021-06-04": "escalate",
        "2021-06-19": "escalate",
        "2021-06-25": "remind",
        "2021-06-28": "remind",
    }
    assert by_due["2021-06-19"]["detail"].endswith("to level 1")
    assert all(by_due[day]["detail"].endswith("to level 2") for day in ("2020-10-07", "2021-05-31", "2021-06-04"))
    changes = changes_by_task(db)
    assert sorted(changes) == sorted(due)
    assert all(len(events) == 1 for events in changes.values())
    assert stored_count(db) == before + len(done)
    assert tick(db, "2021-06-23T09:00") == []
    assert tick(db, "2021-06-23T18:00") == []


def test_a_tick_a_week_after_every_due_date_escalates_each_task_once_straight_to_level_2(db: str) -> None:
    visits = ["2021-05-01", "2021-05-06", "2021-05-11", "2021-05-16"]
    submitted(db, opened("TN"), opened("MA"), *(visit_on(code, day) for day in visits for code in ("TN", "MA")))
    tasks = all_tasks(db)
    assert max(row["due_on"] for row in tasks.values()) == "2021-06-15"

    done = tick(db, "2021-06-22T09:00")

    assert targets(done, "remind") == []
    assert sorted(targets(done, "escalate")) == sorted(tasks)
    assert all(row["detail"].endswith("to level 2") for row in done if row["action"] == "escalate")
    events = recorded(db, FollowUpTask.ReminderSent, FollowUpTask.TaskEscalated)
    assert sorted(str(event.originator_id) for event in events) == sorted(tasks)
    assert {(type(event).__name__, event.level) for event in events} == {("TaskEscalated", 2)}
    assert {row["level"] for row in all_tasks(db).values()} == {2}


# Briefings


def test_a_meeting_briefing_is_issued_once_within_the_briefing_window(demo_db: str, outbox: Path) -> None:
    jha = "jha-council-2021-06-07"

    assert jha not in targets(tick(demo_db, "2021-05-30T09:00"), "briefing")  # 8 days ahead
    first = tick(demo_db, "2021-06-03T09:00")
    next_day = tick(demo_db, "2021-06-04T09:00")

    assert targets(first, "briefing") == [jha]
    [detail] = [row["detail"] for row in first if row["action"] == "briefing"]
    assert detail == "2021-06-07: Briefing: Justice and Home Affairs Council, 2021-06-07"
    assert targets(next_day, "briefing") == []
    assert targets(next_day, "digest")  # the next day's digests still go out
    briefings = [event for event in recorded(demo_db, Dispatch.DispatchIssued) if event.kind == "briefing"]
    assert [(event.recipient, event.period) for event in briefings if event.recipient == jha] == [(jha, "2021-06-07")]
    md = outbox / "briefing" / f"2021-06-07--{jha}.md"
    assert md.read_text().startswith("# Briefing: Justice and Home Affairs Council, 2021-06-07\n")
    assert json.loads(md.with_suffix(".json").read_text())["title"] == (
        "Briefing: Justice and Home Affairs Council, 2021-06-07"
    )
    # The European Council of 24 June is briefed in its own window, once.
    assert targets(tick(demo_db, "2021-06-17T09:00"), "briefing") == ["european-council-2021-06-24"]
    assert targets(tick(demo_db, "2021-06-18T09:00"), "briefing") == []


# Bad settings


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TICK", "0", "ACCORD_TICK must be a number from 0.2 to 86400; got '0'"),
        ("TIMEZONE", "Mars/Base", "ACCORD_TIMEZONE 'Mars/Base' is not a time zone; use a name such as Europe/Brussels"),
        ("DIGEST_AT", "25:00", "ACCORD_DIGEST_AT must be a time of day such as 08:00; got '25:00'"),
        ("TICK", "nan", "ACCORD_TICK must be a number from 0.2 to 86400; got 'nan'"),
        ("TICK", "inf", "ACCORD_TICK must be a number from 0.2 to 86400; got 'inf'"),
    ],
    ids=["tick", "timezone", "digest-at", "tick-nan", "tick-inf"],
)
def test_a_bad_scheduler_setting_stops_the_tick_with_a_sentence_naming_it(
    demo_db: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    before = stored_count(demo_db)

    with monkeypatch.context() as bad:
        bad.setenv(f"ACCORD_{name}", value)
        result = accord(demo_db, "scheduler", "tick", "--at", AUGUST)

    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(f"Error: {says}")
    assert result.stdout == ""
    # Counted with the setting gone: settings are read from the environment wherever they are made.
    assert stored_count(demo_db) == before


# Status


def test_status_says_never_before_any_tick_then_names_the_last_one(demo_db: str) -> None:
    first = accord(demo_db, "scheduler", "status")
    assert first.exit_code == 0, first.output
    assert "last tick: never" in first.stdout
    tick(demo_db, AUGUST, "--dry-run")
    assert as_json(accord(demo_db, "scheduler", "status", "--json"))["last tick"] == "never"

    done = tick(demo_db, AUGUST)

    status = as_json(accord(demo_db, "scheduler", "status", "--json"))
    counts = Counter(row["action"] for row in done)
    summary = ", ".join(f"{counts[kind]} {kind}" for kind in ("remind", "escalate", "digest", "portfolio"))
    assert status["last tick"].endswith(
        f"(as of 2021-08-01T07:00:00+00:00, {os.uname().nodename} pid {os.getpid()}): {summary}"
    )
    assert "nothing" not in status["last tick"]
    text = accord(demo_db, "scheduler", "status")
    assert "last tick: " in text.stdout
    assert "as of 2021-08-01T07:00:00+00:00" in text.stdout
    assert "never" not in text.stdout.split("next digests")[0]


# Real schedulers: one per SQLite store, killed at random moments, two on PostgreSQL


class Scheduler:
    """`accord scheduler run` in a process of its own, its log in a file."""

    def __init__(self, db: str, log: Path, outbox: Path, tick: str = "0.5") -> None:
        env = {**os.environ, "ACCORD_TICK": tick, "ACCORD_OUTBOX": str(outbox)}
        self.log = log
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [ACCORD, "--db", db, "--actor", "operator", "scheduler", "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, after: int = 0, timeout: float = 15.0) -> int:
        """Wait until the log says `text` past offset `after`; where it ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.text().find(text, after)
            if found >= 0:
                return found + len(text)
            if self.process.poll() is not None:
                raise AssertionError(f"the scheduler exited with {self.process.returncode}:\n{self.text()}")
            time.sleep(0.01)
        raise AssertionError(f"the scheduler never logged {text!r} within {timeout:g} s:\n{self.text()[-3000:]}")

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until two ticks in a row that began after now found nothing due
        (the first may have begun before)."""
        mark = len(self.text())
        self.wait_for("nothing due", after=self.wait_for("nothing due", after=mark, timeout=timeout), timeout=timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then its exit status (it must stop within a few seconds)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def schedulers() -> Iterator[list[Scheduler]]:
    """Start schedulers with `start(db)`; any still running at the end is killed."""
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        if scheduler.process.poll() is None:
            scheduler.kill()


def start(started: list[Scheduler], db: str, tmp_path: Path, outbox: Path, tick: str = "0.5") -> Scheduler:
    scheduler = Scheduler(db, tmp_path / f"scheduler-{len(started)}.log", outbox, tick)
    started.append(scheduler)
    return scheduler


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_second_scheduler_on_the_same_sqlite_store_is_told_another_runs_and_exits_1(
    demo_db: str, schedulers: list[Scheduler], tmp_path: Path, outbox: Path
) -> None:
    first = start(schedulers, demo_db, tmp_path, outbox)
    first.wait_for("tick as of ")

    second = start(schedulers, demo_db, tmp_path, outbox)
    assert second.process.wait(timeout=15) == 1
    once = accord(demo_db, "scheduler", "tick", "--at", AUGUST)

    says = (
        f"accord: another scheduler is running on this store (pid {first.process.pid} on {os.uname().nodename}); "
        "stop it first, or let it do the work\n"
    )
    assert second.text() == says
    assert once.exit_code == 1
    assert once.stderr == says
    assert first.process.poll() is None
    assert first.stop() == 0
    assert "stopped" in first.text()
    # Once the first has stopped, the store is free again.
    assert accord(demo_db, "scheduler", "tick", "--at", AUGUST).exit_code == 0


# Due dates relative to today of the visits' follow-ups, away from the edges of
# the windows, so that midnight passing during the test changes nothing:
# reminded (2..5 days ahead), level 1 (2..5 days late), level 2 (9 or more).
OFFSETS = (-20, -12, -9, -5, -3, -2, 2, 3, 5)
PARTNERS = ("TN", "MA", "MR", "TR")


def business_today() -> date:
    return datetime.now(ZONE).date()


def fill(db: str, label: str, count: int, *, partners: bool = False) -> None:
    """Record `count` visits whose follow-ups fall due around today."""
    today = business_today()
    rows = [opened(code) for code in PARTNERS] if partners else []
    for i in range(count):
        due = today + timedelta(days=OFFSETS[i % len(OFFSETS)])
        rows.append(visit_on(PARTNERS[i % len(PARTNERS)], due - timedelta(days=30), f"{label}-{i}"))
    app = build(Settings(db=db))
    try:
        app.submit([parse(row) for row in rows], "loader")
    finally:
        app.close()


def assert_each_task_reminded_or_escalated_exactly_once(db: str, outbox: Path, tasks: int) -> None:
    today = business_today()
    app = build(Settings(db=db))
    try:
        due = {str(event.originator_id): event.due_on for event in app.events_of_types([FollowUpTask.TaskOpened])}
        issued = list(app.events_of_types([Dispatch.DispatchIssued]))
    finally:
        app.close()
    assert len(due) == tasks
    changes = changes_by_task(db)
    assert set(changes) <= set(due)
    wrong = {}
    for task, due_on in due.items():
        ahead = (due_on - today).days
        expected: list[tuple[str, Any]]
        if ahead >= 0:
            expected = [("ReminderSent", f"remind@{due_on}")]
        else:
            level = 1 if ahead > -7 else 2
            expected = [("TaskEscalated", f"escalate-{level}@{due_on}")]
        got = [(type(event).__name__, event.key) for event in changes.get(task, [])]
        if got != expected:
            wrong[task] = (due_on, got)
    assert wrong == {}, f"{len(wrong)} of {tasks} tasks reminded or escalated wrongly, e.g. {list(wrong.items())[:5]}"

    identities = Counter((event.kind, event.recipient, event.period) for event in issued)
    assert identities and max(identities.values()) == 1
    assert ("portfolio", "portfolio") in {(kind, recipient) for kind, recipient, _ in identities}
    for event in issued:
        stem = f"{event.period}--{file_name(event.recipient)}"
        for suffix in (".md", ".json"):
            path = outbox / event.kind / f"{stem}{suffix}"
            assert path.exists(), f"{path} is missing"
        assert json.loads((outbox / event.kind / f"{stem}.json").read_text())["title"] == event.title


def test_a_scheduler_killed_at_random_moments_never_reminds_or_escalates_a_task_twice(
    db: str, schedulers: list[Scheduler], tmp_path: Path, outbox: Path
) -> None:
    rng = random.Random(20210801)
    visits = 0
    killed = []
    for round_ in range(4):
        count = rng.randrange(600, 1000)
        fill(db, f"round{round_}", count, partners=round_ == 0)
        visits += count
        scheduler = start(schedulers, db, tmp_path, outbox)
        # Killed at any moment from its start, or just after it recorded its first reminders.
        if round_ % 2 == 0:
            scheduler.wait_for(" INFO reading ")
            time.sleep(rng.uniform(0.0, 0.5))
        else:
            scheduler.wait_for(" INFO remind ")
            time.sleep(rng.uniform(0.0, 0.02))
        scheduler.kill()
        killed.append(scheduler.text())
    assert any(" INFO remind " in log and "tick as of" not in log for log in killed)

    last = start(schedulers, db, tmp_path, outbox)
    last.settle()
    assert last.stop() == 0

    log = last.text()
    assert "stopping (SIGTERM)" in log
    assert log.rstrip().endswith("INFO stopped")
    assert "Traceback" not in "".join(scheduler.text() for scheduler in schedulers)
    assert_each_task_reminded_or_escalated_exactly_once(db, outbox, tasks=visits + len(PARTNERS))


def test_sigterm_lets_the_tick_under_way_finish_then_the_scheduler_exits_0(
    db: str, schedulers: list[Scheduler], tmp_path: Path, outbox: Path
) -> None:
    fill(db, "many", 4000, partners=True)
    scheduler = start(schedulers, db, tmp_path, outbox)
    scheduler.wait_for(" INFO remind ")

    assert scheduler.stop(timeout=60) == 0  # once the tick under way is done

    log = scheduler.text()
    assert log.index("INFO stopping (SIGTERM)") < log.index("INFO tick as of ") < log.index("INFO stopped")
    assert log.rstrip().endswith("INFO stopped")
    assert_each_task_reminded_or_escalated_exactly_once(db, outbox, tasks=4000 + len(PARTNERS))


def test_a_second_stop_signal_while_stopping_still_lets_the_tick_finish_and_exits_0(
    db: str, schedulers: list[Scheduler], tmp_path: Path, outbox: Path
) -> None:
    fill(db, "many", 4000, partners=True)
    scheduler = start(schedulers, db, tmp_path, outbox)
    scheduler.wait_for(" INFO remind ")

    scheduler.process.send_signal(signal.SIGTERM)
    time.sleep(0.01)
    scheduler.process.send_signal(signal.SIGINT)  # Ctrl-C, or a supervisor's second stop
    status = scheduler.process.wait(timeout=60)  # the tick finishes first: 4,000 reminders

    log = scheduler.text()
    assert "unexpected" not in log
    assert (status, log.rstrip().endswith("INFO stopped")) == (0, True)
    assert_each_task_reminded_or_escalated_exactly_once(db, outbox, tasks=4000 + len(PARTNERS))


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_two_schedulers_on_postgresql_one_killed_midway_record_each_reminder_and_escalation_once(
    db: str, schedulers: list[Scheduler], tmp_path: Path, outbox: Path
) -> None:
    rng = random.Random(5)
    fill(db, "first", 800, partners=True)
    one, other = start(schedulers, db, tmp_path, outbox, "0.3"), start(schedulers, db, tmp_path, outbox, "0.3")
    one.wait_for(" INFO reading ")
    other.wait_for(" INFO reading ")

    time.sleep(rng.uniform(0.5, 1.0))
    fill(db, "second", 800)
    time.sleep(rng.uniform(0.1, 0.6))
    one.kill()
    # The survivor takes on whatever the other left, and a third batch alone.
    other.settle()
    fill(db, "third", 800)
    other.settle()
    assert other.stop() == 0

    assert "INFO stopped" in other.text()
    assert "Traceback" not in one.text() + other.text()
    assert_each_task_reminded_or_escalated_exactly_once(db, outbox, tasks=3 * 800 + len(PARTNERS))
