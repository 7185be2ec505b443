"""The task follower and the views under faults: killed at random moments,
run twice at once, rebuilt. Every task opens once; views equal a clean run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.task import FollowUpTask
from domain.values import Stamp
from domain.vocabulary import parse
from tests.helpers import opened, visit
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.projections.tasks.queries import TaskFilter

pytestmark = pytest.mark.integration

PARTNERS = ["TN", "MA", "MR", "TR", "RS", "LY", "AL", "BA"]
VISITS = 2400
REFRESH = (
    "from workflows.application.compose import build; from workflows.config.settings import Settings; import sys\n"
    + (
        "app = build(Settings(db=sys.argv[1])); app.refresh() if sys.argv[2] == 'refresh' "
        "else app.views.rebuild(['tasks']); app.close()"
    )
)


def fill(db: str) -> int:
    """A store with many facts; how many tasks the default rules open for them."""
    rows = [opened(code) for code in PARTNERS]
    rows += [visit(PARTNERS[i % len(PARTNERS)], 1 + i % 28, id=f"v{i}") for i in range(VISITS)]
    app = build(Settings(db=db))
    try:
        app.submit([parse(row) for row in rows], "loader")
    finally:
        app.close()
    return len(rows)  # one task per opened partnership and per visit


def start(db: str, what: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", REFRESH, db, what], env=os.environ.copy())


def kill_at_random_moments(db: str, what: str, times: int) -> None:
    rng = random.Random(7)
    for _ in range(times):
        process = start(db, what)
        time.sleep(rng.uniform(0.3, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()


def task_rows(db: str) -> list[dict[str, Any]]:
    app = build(Settings(db=db))
    try:
        table = app.views.table("tasks")
        rows = app.views.db.query(f"SELECT * FROM {table} ORDER BY task_id")
        return [{k: v for k, v in row.items() if k not in ("opened_at", "closed_at")} for row in rows]
    finally:
        app.close()


def tasks_opened(db: str) -> int:
    app = build(Settings(db=db))
    try:
        return sum(1 for _ in app.events_of_types([FollowUpTask.TaskOpened]))
    finally:
        app.close()


def test_a_follower_killed_at_random_moments_opens_every_task_once(db: str) -> None:
    expected = fill(db)

    kill_at_random_moments(db, "refresh", times=4)
    assert start(db, "refresh").wait() == 0

    assert tasks_opened(db) == expected
    rows = task_rows(db)
    assert len(rows) == expected
    assert len({row["source"] for row in rows}) == expected


def test_two_followers_at_once_open_every_task_once(db: str) -> None:
    expected = fill(db)

    both = [start(db, "refresh"), start(db, "refresh")]
    assert [process.wait() for process in both] == [0, 0]

    assert tasks_opened(db) == expected
    assert len(task_rows(db)) == expected


def test_a_rebuild_killed_at_random_moments_ends_equal_to_incremental_catch_up(db: str) -> None:
    fill(db)
    assert start(db, "refresh").wait() == 0
    incremental = task_rows(db)

    kill_at_random_moments(db, "rebuild", times=3)
    assert start(db, "rebuild").wait() == 0

    assert task_rows(db) == incremental
    assert tasks_opened(db) == len(incremental)


def test_a_task_changed_while_the_follower_closes_it_is_closed_on_top_of_the_change(db: str) -> None:
    # A commitment opens a task to verify it; its fulfilment closes that task.
    commitment = {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-05-20",
        "commitment": "tn-returns",
        "party": "partner",
        "description": "Resume returns",
        "due_on": "2021-09-30",
    }
    fulfilled = {
        "type": "CommitmentFulfilled",
        "partner": "TN",
        "occurred_on": "2021-06-01",
        "commitment": "tn-returns",
    }
    follower, scheduler = build(Settings(db=db)), build(Settings(db=db))
    try:
        follower.submit([parse(opened("TN")), parse(commitment)], "tester")
        follower.refresh()
        tasks = follower.reader.tasks.tasks(TaskFilter(date(2021, 9, 1)))
        [task] = [row for row in tasks if row["rule"].startswith("commitment")][:1]
        follower.submit([parse(fulfilled)], "tester")
        store = follower.events.put
        raced = []

        def put(events: Any, **kwargs: Any) -> Any:
            if not raced:
                # Another process reminds the task just before the follower stores its page.
                reminded = scheduler.find(UUID(task["task_id"]))
                reminded.remind(date(2021, 9, 1), Stamp("scheduler", datetime.now(UTC), reminded.reminder_key()))
                scheduler.events.put(reminded.collect_events())
                raced.append(reminded)
            return store(events, **kwargs)

        follower.events.put = put  # type: ignore[method-assign]
        follower.refresh()

        closed = scheduler.find(FollowUpTask.id_of(task["rule"], task["source"]))
        assert raced and closed.status == "done"
        assert closed.reminded_on == date(2021, 9, 1)
        assert [type(e).__name__ for e in scheduler.aggregate_events(closed.id)] == [
            "TaskOpened",
            "ReminderSent",
            "TaskCompleted",
        ]
    finally:
        follower.close()
        scheduler.close()
