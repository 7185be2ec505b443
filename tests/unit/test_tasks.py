"""Follow-up tasks: opened once per rule and source, then assigned, deferred,
reminded, escalated and closed."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain.errors import DeferralNotLater, EscalationNotHigher, TaskClosed
from domain.task import FollowUpTask

T = FollowUpTask


def open_task(stamp, rule="visit-report", source="visit:tn-2021-05-20", **changes):
    facts = {
        "source": source,
        "source_type": "VisitHeld",
        "subject": "TN",
        "rule": rule,
        "partner": "TN",
        "title": "Write the visit report",
        "owner": "desk-tn",
        "due_on": date(2021, 6, 20),
        **changes,
    }
    return T.open(facts, stamp)


@pytest.fixture
def task(stamp):
    opened = open_task(stamp("open"))
    opened.collect_events()
    return opened


def test_opening_a_task_gives_it_an_owner_a_due_date_and_level_zero(stamp):
    task = open_task(stamp("open"))

    [event] = task.collect_events()
    assert isinstance(event, T.TaskOpened)
    assert (event.rule, event.source, event.key) == ("visit-report", "visit:tn-2021-05-20", "open")
    assert (task.owner, task.due_on, task.partner) == ("desk-tn", date(2021, 6, 20), "TN")
    assert (task.status, task.level, task.reminded_on) == ("open", 0, None)


def test_a_task_id_is_derived_from_its_rule_and_source(stamp):
    task = open_task(stamp())

    assert task.id == T.id_for("visit-report@visit:tn-2021-05-20") == T.id_of("visit-report", "visit:tn-2021-05-20")
    assert open_task(stamp()).id == task.id
    assert open_task(stamp(), rule="other-rule").id != task.id
    assert open_task(stamp(), source="visit:tn-2021-05-21").id != task.id


def test_a_task_has_a_title(stamp):
    with pytest.raises(ValidationError, match="title"):
        open_task(stamp(), title="")


def test_assigning_a_task_changes_its_owner(task, stamp):
    assert task.assign("desk-ma", stamp())

    assert task.owner == "desk-ma"
    [event] = task.collect_events()
    assert isinstance(event, T.TaskAssigned)


def test_deferring_a_task_moves_its_due_date_later(task, stamp):
    assert task.defer(date(2021, 7, 1), "Waiting for the minutes", stamp())

    assert task.due_on == date(2021, 7, 1)


@pytest.mark.parametrize("due_on", [date(2021, 6, 20), date(2021, 6, 19)], ids=["same-day", "earlier"])
def test_a_deferral_that_does_not_move_the_due_date_later_is_refused(task, stamp, due_on):
    with pytest.raises(DeferralNotLater, match=f"after 2021-06-20, not to {due_on}"):
        task.defer(due_on, "Sooner", stamp())

    assert task.due_on == date(2021, 6, 20)
    assert task.collect_events() == []


def test_a_deferral_gives_a_reason(task, stamp):
    with pytest.raises(ValidationError, match="reason"):
        task.defer(date(2021, 7, 1), "", stamp())


def test_a_deferral_starts_the_deadline_afresh(task, stamp):
    task.remind(date(2021, 6, 18), stamp())
    task.escalate(2, stamp())

    task.defer(date(2021, 7, 31), "Waiting for the minutes", stamp())

    assert (task.due_on, task.reminded_on, task.level) == (date(2021, 7, 31), None, 0)


def test_one_reminder_and_one_escalation_per_level_per_deadline(task, stamp):
    first = task.reminder_key()
    assert task.remind(date(2021, 6, 18), stamp(first))
    assert not task.remind(date(2021, 6, 19), stamp(task.reminder_key()))
    assert task.escalate(1, stamp(task.escalation_key(1)))
    assert not task.escalate(1, stamp(task.escalation_key(1)))

    task.defer(date(2021, 7, 31), "Waiting for the minutes", stamp())

    assert task.reminder_key() != first
    assert task.remind(date(2021, 7, 28), stamp(task.reminder_key()))
    assert task.escalate(1, stamp(task.escalation_key(1)))


@pytest.mark.parametrize(
    ("today", "due"),
    [(date(2021, 6, 12), False), (date(2021, 6, 13), True), (date(2021, 6, 20), True), (date(2021, 6, 21), False)],
    ids=["too-early", "a-week-before", "on-the-day", "overdue"],
)
def test_a_reminder_is_due_within_the_days_before_the_due_date(task, today, due):
    assert task.reminder_due(today, days_before=7) is due


def test_a_reminded_or_closed_task_is_not_reminded_again(task, stamp):
    task.remind(date(2021, 6, 15), stamp())
    assert not task.reminder_due(date(2021, 6, 16), days_before=7)

    task.defer(date(2021, 7, 1), "Waiting for the minutes", stamp())
    assert task.reminder_due(date(2021, 6, 28), days_before=7)
    task.complete("done", stamp())
    assert not task.reminder_due(date(2021, 6, 28), days_before=7)


@pytest.mark.parametrize(
    ("today", "level"),
    [(date(2021, 6, 20), 0), (date(2021, 6, 21), 1), (date(2021, 6, 26), 1), (date(2021, 6, 27), 2)],
    ids=["due-today", "a-day-overdue", "six-days-overdue", "a-week-overdue"],
)
def test_an_overdue_task_is_escalated_to_level_one_then_two(task, today, level):
    assert task.escalation_due(today, level_two_after=7) == level


def test_an_escalation_is_never_due_at_or_below_the_level_reached(task, stamp):
    task.escalate(2, stamp())

    assert task.escalation_due(date(2021, 7, 30), level_two_after=7) == 0


def test_a_reminder_is_remembered(task, stamp):
    assert task.remind(date(2021, 6, 18), stamp())

    assert task.reminded_on == date(2021, 6, 18)


def test_escalations_raise_the_task_level(task, stamp):
    assert task.escalate(1, stamp())
    assert task.escalate(3, stamp())

    assert task.level == 3


@pytest.mark.parametrize("level", [2, 1], ids=["same-level", "lower-level"])
def test_an_escalation_that_does_not_raise_the_level_is_refused(task, stamp, level):
    task.escalate(2, stamp())

    with pytest.raises(EscalationNotHigher, match="already at escalation level 2"):
        task.escalate(level, stamp())

    assert task.level == 2


def test_an_escalation_level_is_at_least_one(task, stamp):
    with pytest.raises(ValidationError, match="level"):
        task.escalate(0, stamp())


def test_completing_a_task_closes_it(task, stamp):
    assert task.complete("Report filed", stamp())

    assert task.status == "done"


def test_cancelling_a_task_closes_it(task, stamp):
    assert task.cancel("Visit postponed", stamp())

    assert task.status == "cancelled"


CHANGES = {
    "assign": lambda task, stamp: task.assign("desk-ma", stamp),
    "defer": lambda task, stamp: task.defer(date(2021, 8, 1), "Later", stamp),
    "complete": lambda task, stamp: task.complete("Done after all", stamp),
    "cancel": lambda task, stamp: task.cancel("No longer needed", stamp),
    "remind": lambda task, stamp: task.remind(date(2021, 6, 18), stamp),
    "escalate": lambda task, stamp: task.escalate(1, stamp),
}


@pytest.mark.parametrize("closing", ["complete", "cancel"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_closed_task_takes_no_further_change(task, stamp, closing, change):
    CHANGES[closing](task, stamp())
    status = task.status
    task.collect_events()

    closed = "completed" if status == "done" else "cancelled"
    said = (
        rf"task {task.id} is already {status} \({closed} on \d{{4}}-\d\d-\d\d \d\d:\d\d UTC by \S+\): nothing changed$"
    )
    with pytest.raises(TaskClosed, match=said):
        CHANGES[change](task, stamp())

    assert task.status == status
    assert task.collect_events() == []


def test_the_same_key_twice_records_one_task_event(task, stamp):
    assert task.escalate(1, stamp("escalate-1")) is True
    assert task.escalate(2, stamp("escalate-1")) is False

    assert task.level == 1
    assert len(task.collect_events()) == 1


def test_a_repeated_key_on_a_closed_task_records_nothing_rather_than_failing(task, stamp):
    task.complete("Done", stamp("complete-1"))

    assert task.complete("Done", stamp("complete-1")) is False


def test_task_events_carry_their_stamp_and_position(task, stamp):
    task.assign("desk-ma", stamp("assign-1", actor="scheduler", at=datetime(2021, 6, 7, 8, tzinfo=UTC)))

    [event] = task.collect_events()
    assert (event.originator_id, event.originator_version) == (task.id, 2)
    assert (event.actor, event.key, event.timestamp) == ("scheduler", "assign-1", datetime(2021, 6, 7, 8, tzinfo=UTC))
    assert task.version == 2
