"""Deadlines in people's calendars: `accord export ics` parsed back with a
real RFC 5545 parser (the icalendar package), every open task and meeting
checked field by field. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.helpers import accord, as_json, submit_rows

pytestmark = pytest.mark.integration


def parsed(db: str, tmp_path: Path, *args: str) -> icalendar.Calendar:
    path = tmp_path / "deadlines.ics"
    result = accord(db, "export", "ics", *args, "-o", str(path))
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    assert raw.endswith(b"END:VCALENDAR\r\n")
    return icalendar.Calendar.from_ical(raw)


def open_tasks(db: str, *args: str) -> list[dict[str, Any]]:
    return list(as_json(accord(db, "tasks", "--json", *args)))


def test_every_open_task_round_trips_as_a_todo_due_on_its_date(demo_db: str, tmp_path: Path) -> None:
    calendar = parsed(demo_db, tmp_path)
    todos = {str(todo["X-ACCORD-TASK"]): todo for todo in calendar.walk("VTODO")}
    tasks = open_tasks(demo_db)

    assert str(calendar["VERSION"]) == "2.0"
    assert set(todos) == {task["task_id"] for task in tasks}
    for task in tasks:
        todo = todos[task["task_id"]]
        assert str(todo["UID"]) == f"task-{task['task_id']}@accord"
        assert str(todo["SUMMARY"]) == task["title"]
        assert todo.decoded("DUE") == date.fromisoformat(task["due_on"])
        assert str(todo["STATUS"]) == "NEEDS-ACTION"
        assert task["owner"] in todo["CATEGORIES"].cats
        assert task["basis"] in str(todo["DESCRIPTION"])
        assert f"accord task show {task['task_id'][:8]}" in str(todo["DESCRIPTION"])
        assert todo.get("DTSTAMP") is not None


def test_meetings_not_yet_held_are_all_day_events(demo_db: str, tmp_path: Path) -> None:
    events = {str(event["UID"]): event for event in parsed(demo_db, tmp_path).walk("VEVENT")}

    jha = events["meeting-jha-council-2021-06-07@accord"]
    assert (jha.decoded("DTSTART"), jha.decoded("DTEND")) == (date(2021, 6, 7), date(2021, 6, 8))
    assert str(jha["SUMMARY"]).startswith("Justice and Home Affairs Council")
    assert "accord report briefing jha-council-2021-06-07" in str(jha["DESCRIPTION"])
    assert not any("counter-smuggling-conference-2020" in uid for uid in events)  # held already


@pytest.mark.parametrize(
    ("held_on", "first", "after"),
    [("2031-06", date(2031, 6, 1), date(2031, 7, 1)), ("2031", date(2031, 1, 1), date(2032, 1, 1))],
)
def test_a_meeting_known_to_the_month_or_year_spans_all_of_it(
    demo_db: str, tmp_path: Path, held_on: str, first: date, after: date
) -> None:
    meeting = {"type": "MeetingScheduled", "meeting": "m", "occurred_on": "2021-05-01", "body": "B"}
    result = submit_rows(demo_db, meeting | {"held_on": held_on, "partners": ["TN"]})
    assert result.exit_code == 0, result.output

    event = {str(e["UID"]): e for e in parsed(demo_db, tmp_path).walk("VEVENT")}["meeting-m@accord"]

    # DTEND is the day after the last: all-day spans end where the next day starts.
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (first, after)


def test_an_owners_calendar_holds_only_their_tasks(demo_db: str, tmp_path: Path) -> None:
    calendar = parsed(demo_db, tmp_path, "--owner", "desk:TR")

    assert {str(todo["X-ACCORD-TASK"]) for todo in calendar.walk("VTODO")} == {
        task["task_id"] for task in open_tasks(demo_db, "--owner", "desk:TR")
    }
    assert calendar.walk("VEVENT") == []


def test_a_partners_calendar_holds_its_tasks_and_the_meetings_naming_it(demo_db: str, tmp_path: Path) -> None:
    calendar = parsed(demo_db, tmp_path, "--partner", "TN")

    assert {str(todo["X-ACCORD-TASK"]) for todo in calendar.walk("VTODO")} == {
        task["task_id"] for task in open_tasks(demo_db, "--partner", "TN")
    }
    assert {str(event["UID"]) for event in calendar.walk("VEVENT")} >= {"meeting-jha-council-2021-06-07@accord"}
