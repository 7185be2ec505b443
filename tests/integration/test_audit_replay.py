"""Replays for an auditor: what had happened by a date (--as-of), and what
had been recorded by a moment (--known-at), rebuilt in memory without
touching the store. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import accord, as_json, stored_count
from workflows.cli import main

pytestmark = pytest.mark.integration


def replay(db: str, *args: str) -> dict[str, Any]:
    return dict(as_json(accord(db, "audit", "replay", *args, "--format", "json")))


def figure(report: dict[str, Any], label: str) -> Any:
    return report["figures"][label]


TR = "Partnership with Türkiye (TR)"


def test_as_of_the_first_of_may_there_is_no_turkey_visit_and_as_of_the_eighth_there_is(demo_db: str) -> None:
    before = replay(demo_db, "--as-of", "2021-05-01", "--partner", "TR")
    after = replay(demo_db, "--as-of", "2021-05-08", "--partner", "TR")

    assert figure(before, f"{TR}: Visits") == 0
    assert figure(before, f"{TR}: Last visit") is None
    assert figure(after, f"{TR}: Visits") == 1
    assert figure(after, f"{TR}: Last visit") == "2021-05-07"
    [timeline] = [table for table in after["tables"] if table["title"] == f"{TR}: Timeline"]
    assert [row["occurred_on"] for row in timeline["rows"] if row["type"] == "VisitHeld"] == ["2021-05-07"]


def test_as_of_a_date_opens_the_tasks_its_facts_imply_and_judges_overdue_on_that_date(demo_db: str) -> None:
    report = replay(demo_db, "--as-of", "2021-05-08")

    [tasks] = [table for table in report["tables"] if table["title"] == "Open tasks"]
    titles = [row["title"] for row in tasks["rows"]]
    assert "Follow up on the visit to Türkiye of 7 May 2021: report and next steps" in titles
    assert all(row["due_on"] < "2021-05-08" for row in tasks["rows"] if row["state"] == "OVERDUE")
    assert report["subtitle"].endswith("overdue is judged on 2021-05-08.")


def test_known_at_shows_what_accord_showed_then_and_not_what_was_recorded_after(demo_db: str) -> None:
    then = datetime.now(UTC)
    time.sleep(0.05)
    [task] = [row for row in as_json(accord(demo_db, "tasks", "--partner", "TR", "--json"))][:1]
    assert accord(demo_db, "task", "complete", task["task_id"], "--note", "done").exit_code == 0

    at_then = replay(demo_db, "--known-at", then.isoformat())
    now = replay(demo_db, "--known-at", datetime.now(UTC).isoformat())

    def open_ids(report: dict[str, Any]) -> set[str]:
        [tasks] = [table for table in report["tables"] if table["title"] == "Open tasks"]
        return {row["task"] for row in tasks["rows"]}

    assert task["task_id"][:8] in open_ids(at_then)
    assert task["task_id"][:8] not in open_ids(now)


def test_known_at_a_moment_before_anything_was_recorded_shows_an_empty_record(demo_db: str) -> None:
    report = replay(demo_db, "--known-at", "2000-01-01T00:00")

    assert figure(report, "Partnership portfolio: Partnerships") == 0


def heading(db: str, moment: str, zone: str = "Europe/Brussels") -> tuple[str, int]:
    """The replay's heading as known at `moment`, read in `zone`, and how many partnerships it holds."""
    args = ["--db", db, "audit", "replay", "--known-at", moment, "--format", "json"]
    result = CliRunner().invoke(main, args, env={"ACCORD_TIMEZONE": zone}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return report["title"], figure(report, "Partnership portfolio: Partnerships")


def test_a_moment_without_an_offset_is_read_in_the_business_zone_and_the_heading_names_it(demo_db: str) -> None:
    title, _ = heading(demo_db, "2021-06-07T09:00:05")

    assert "known at 2021-06-07 09:00:05 Europe/Brussels" in title


def test_a_moment_in_utc_is_honoured_so_utc_now_shows_the_demo_just_recorded(demo_db: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(1.1)

    title, partnerships = heading(demo_db, now.strftime("%Y-%m-%dT%H:%M:%SZ"), zone="Asia/Tokyo")

    assert f"known at {now:%Y-%m-%d %H:%M:%S} UTC" in title
    assert partnerships > 0


def test_known_at_now_shows_the_record_as_it_stands_in_the_business_zone(demo_db: str) -> None:
    title, partnerships = heading(demo_db, "now")

    assert re.search(r"known at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Europe/Brussels", title)
    assert partnerships > 0


def test_a_replay_leaves_the_store_and_its_projections_untouched(demo_db: str) -> None:
    events = stored_count(demo_db)
    status = as_json(accord(demo_db, "projections", "status", "--json"))

    replay(demo_db, "--as-of", "2021-05-08", "--partner", "TR")
    replay(demo_db, "--known-at", "2021-06-01T00:00")

    assert stored_count(demo_db) == events
    assert as_json(accord(demo_db, "projections", "status", "--json")) == status


def test_every_report_takes_as_of_and_known_at(demo_db: str) -> None:
    before = accord(demo_db, "report", "partnership", "TR", "--as-of", "2021-05-01", "--format", "json")
    funding = accord(demo_db, "report", "funding", "--known-at", "2000-01-01T00:00", "--format", "json")
    portfolio = accord(demo_db, "report", "portfolio", "--as-of", "2021-05-08", "--format", "csv")

    assert json.loads(before.stdout)["figures"]["Visits"] == 0
    assert funding.exit_code == 0, funding.output
    assert portfolio.exit_code == 0 and portfolio.stdout.startswith("table,")


@pytest.mark.parametrize(
    ("command", "when", "sentence"),
    [
        (("audit", "replay"), ("--as-of", "2030-01-01"), "--as-of 2030-01-01 is after today"),
        (("report", "portfolio"), ("--as-of", "2030-01-01"), "--as-of 2030-01-01 is after today"),
        (("audit", "replay"), ("--known-at", "2030-01-01T00:00"), "--known-at 2030-01-01T00:00+01:00 is in the future"),
    ],
)
def test_a_replay_in_the_future_is_refused(
    demo_db: str, command: tuple[str, ...], when: tuple[str, str], sentence: str
):
    result = accord(demo_db, *command, *when)

    assert result.exit_code == 2
    assert sentence in result.output


def test_as_of_and_known_at_together_are_refused(demo_db: str) -> None:
    result = accord(demo_db, "audit", "replay", "--as-of", "2021-05-01", "--known-at", "2021-06-01T00:00")

    assert result.exit_code == 2
    assert "give --as-of or --known-at, not both" in result.output


def test_a_replay_needs_a_date_or_a_moment(demo_db: str) -> None:
    result = accord(demo_db, "audit", "replay")

    assert result.exit_code == 2
    assert "give --as-of DATE or --known-at MOMENT" in result.output
