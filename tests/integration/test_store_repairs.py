"""Stores repaired after a restore gone wrong: a reader's tracking row lost
or past the log, the log's last records removed. Each fault is made behind
Accord's back with the database's own driver, as an administrator
restoring a backup would; then every reading command still answers, the
fault is named by `projections status` and `audit verify`, and `accord
projections repair` mends it, opening no task twice and missing none. Each
test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import accord, as_json, raw, submit_rows, time_limit

pytestmark = pytest.mark.integration

TAMPERED = 3
FIXTURES = Path(__file__).parent.parent / "fixtures"
REPAIR = "run `accord projections repair`"
# A commitment opens a task (its first disbursement to confirm); a visit to
# a partner with a meeting planned opens none.
COMMITMENT = {
    "type": "FundingCommitted",
    "partner": "TN",
    "occurred_on": "2021-06",
    "funding": "tn-restored-2021",
    "instrument": "NDICI-Global Europe",
    "amount": "EUR 100000",
}
LATER = {**COMMITMENT, "funding": "tn-later-2021", "amount": "EUR 200000"}
READING = [
    ["tasks"],
    ["tasks", "--json"],
    ["partners"],
    ["partner", "show", "TN"],
    ["audit", "log", "--partner", "TN"],
    ["report", "portfolio"],
    ["report", "funding", "--json"],
    ["report", "partnership", "TN"],
]


def sql(db: str, statement: str) -> str:
    """A statement with the tables, position column and placeholders each database has."""
    if not db.startswith("postgresql"):
        return statement.replace("{position}", "rowid")
    return (
        statement.replace("?", "%s")
        .replace("stored_events", "accord_events")
        .replace("tracking", "accord_tracking")
        .replace("{position}", "notification_id")
    )


def execute(db: str, statement: str, *params: Any) -> list[Any]:
    with raw(db) as connection:
        cursor = connection.execute(sql(db, statement), params)
        return list(cursor.fetchall()) if cursor.description else []


def head(db: str) -> int:
    [(position,)] = execute(db, "SELECT MAX({position}) FROM stored_events")
    return int(position)


def tasks(db: str) -> list[dict[str, Any]]:
    """Every task, open or closed, as `tasks --json` lists them."""
    return list(as_json(accord(db, "tasks", "--status", "all", "--json")))


def status(db: str) -> dict[str, dict[str, Any]]:
    """Each reader's row of `projections status --json`, by name."""
    return {row["name"]: row for row in as_json(accord(db, "projections", "status", "--json"))}


def lose_the_last_records(db: str, after: int) -> None:
    """Remove the log's records after a position, with their chain links and
    index rows: the log an earlier backup of it held, restored alone."""
    for statement in (
        "DELETE FROM stored_events WHERE {position} > ?",
        "DELETE FROM accord_chain WHERE position > ?",
        "DELETE FROM accord_keys WHERE position > ?",
    ):
        execute(db, statement, after)


def assert_every_reading_command_answers(db: str) -> None:
    for command in READING:
        result = accord(db, *command)
        assert result.exit_code == 0, (command, result.output)


def assert_verifies(db: str) -> None:
    result = accord(db, "audit", "verify")
    assert result.exit_code == 0, result.output


def assert_each_task_once(db: str) -> None:
    opened = [(task["rule"], task["source"]) for task in tasks(db)]
    assert len(opened) == len(set(opened))


@pytest.fixture
def followed(demo_db: str) -> str:
    """The demo with its tasks opened and its views caught up."""
    tasks(demo_db)
    return demo_db


def test_a_lost_follower_position_is_named_and_every_reading_command_still_answers(
    followed: str, caplog: pytest.LogCaptureFixture
) -> None:
    execute(followed, "DELETE FROM tracking WHERE application_name = 'follower'")

    result = accord(followed, "tasks")

    assert result.exit_code == 0, result.output
    said = (
        f"the task follower has stored tasks up to position {head(followed)}, but its position in the log is lost "
        f"(its tracking row is gone): {REPAIR}"
    )
    # Printed on standard error where logging is not set up (every command but the scheduler's).
    assert caplog.messages == [f"warning: {said}"]
    assert "UNIQUE" not in result.output + result.stderr
    assert_every_reading_command_answers(followed)
    assert status(followed)["follower"]["problem"] == said
    assert said in accord(followed, "projections", "status").stdout
    verified = accord(followed, "audit", "verify")
    assert verified.exit_code == TAMPERED
    assert said in verified.stderr


def test_repair_finds_a_lost_follower_again_and_opens_no_task_twice_and_misses_none(followed: str) -> None:
    before = tasks(followed)
    execute(followed, "DELETE FROM tracking WHERE application_name = 'follower'")
    assert submit_rows(followed, COMMITMENT).exit_code == 0

    result = accord(followed, "projections", "repair", "--json")

    assert result.exit_code == 0, result.output
    found = as_json(result)["follower"]
    assert (found["was"], found["opened"]) == (0, 1)
    after = tasks(followed)
    assert len(after) == len(before) + 1
    assert [task["title"] for task in after if task["source_type"] == "FundingCommitted"] == [
        "Confirm the first disbursement of tn-restored-2021 (EUR 100,000, NDICI-Global Europe)"
    ]
    assert_each_task_once(followed)
    assert_every_reading_command_answers(followed)
    assert status(followed)["follower"]["problem"] is None
    assert_verifies(followed)


def test_rebuilding_every_projection_recovers_a_lost_follower(followed: str) -> None:
    execute(followed, "DELETE FROM tracking WHERE application_name = 'follower'")
    assert submit_rows(followed, COMMITMENT).exit_code == 0

    result = accord(followed, "projections", "rebuild")

    assert result.exit_code == 0, result.output
    assert "found the task follower again at position" in result.stdout
    assert [task["source_type"] for task in tasks(followed)].count("FundingCommitted") == 1
    assert_each_task_once(followed)
    assert_verifies(followed)


def test_a_follower_past_the_head_of_the_log_is_named_with_both_positions_and_repaired(
    followed: str, caplog: pytest.LogCaptureFixture
) -> None:
    end = head(followed)
    execute(followed, "UPDATE tracking SET notification_id = ? WHERE application_name = 'follower'", end + 50)
    said = (
        f"the task follower has read to position {end + 50} but the log ends at {end}: the log lost records; {REPAIR}"
    )

    assert said in accord(followed, "projections", "status").stdout
    verified = accord(followed, "audit", "verify", "--json")
    assert verified.exit_code == TAMPERED
    assert json.loads(verified.stdout)["tracking"] == {"follower": said}
    assert submit_rows(followed, COMMITMENT).exit_code == 0
    assert accord(followed, "tasks").exit_code == 0
    assert f"warning: {said.replace(f'ends at {end}', f'ends at {end + 1}')}" in caplog.messages

    assert accord(followed, "projections", "repair").exit_code == 0

    assert [task["source_type"] for task in tasks(followed)].count("FundingCommitted") == 1
    assert_each_task_once(followed)
    assert_verifies(followed)


def test_a_view_whose_tracking_row_is_lost_is_named_left_as_it_stands_and_rebuilt_by_repair(followed: str) -> None:
    before = tasks(followed)
    execute(followed, "DELETE FROM tracking WHERE application_name = 'view_tasks_1'")
    lost = "its position in the log is lost (its tracking row is gone)"
    said = f"view tasks holds rows in view_tasks_1, but {lost}: {REPAIR}"

    assert tasks(followed) == before
    assert_every_reading_command_answers(followed)
    assert status(followed)["tasks"]["problem"] == said
    verified = accord(followed, "audit", "verify")
    assert verified.exit_code == TAMPERED
    assert said in verified.stderr

    repaired = accord(followed, "projections", "repair")

    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt tasks into view_tasks_" in repaired.stdout
    assert tasks(followed) == before
    assert_verifies(followed)


def test_a_view_past_the_head_of_the_log_is_named_and_rebuilt_by_repair(followed: str) -> None:
    end = head(followed)
    execute(followed, "UPDATE tracking SET notification_id = ? WHERE application_name = 'view_funding_1'", end + 7)

    shown = accord(followed, "projections", "status")

    said = f"view funding has read to position {end + 7} but the log ends at {end}: the log lost records; {REPAIR}"
    assert said in shown.stdout
    assert accord(followed, "projections", "repair").exit_code == 0
    assert status(followed)["funding"]["problem"] is None
    assert_verifies(followed)


def test_after_the_log_lost_its_last_records_a_new_record_gets_a_position_never_given_before(followed: str) -> None:
    end = head(followed)
    assert submit_rows(followed, COMMITMENT).exit_code == 0
    tasks(followed)
    given = head(followed)
    lose_the_last_records(followed, end)

    assert submit_rows(followed, LATER).exit_code == 0

    assert head(followed) > given


def test_a_record_after_records_deleted_from_under_their_chain_is_stored_at_once_and_verify_names_the_deletion(
    followed: str,
) -> None:
    end = head(followed)
    execute(followed, "DELETE FROM stored_events WHERE {position} > ?", end - 3)

    with time_limit(60):
        result = submit_rows(followed, COMMITMENT)

    assert result.exit_code == 0, result.output
    assert head(followed) > end
    verified = accord(followed, "audit", "verify")
    assert verified.exit_code == TAMPERED
    assert f"the chain breaks at position {end - 2}: the record chained here is missing: deleted" in verified.stderr


def test_after_the_log_lost_its_last_records_the_views_are_named_and_repair_mends_them(
    followed: str, caplog: pytest.LogCaptureFixture
) -> None:
    end = head(followed)
    assert submit_rows(followed, COMMITMENT).exit_code == 0
    tasks(followed)
    read = head(followed)
    lose_the_last_records(followed, end)
    said = f"view funding has read to position {read} but the log ends at {end}: the log lost records; {REPAIR}"
    assert said in accord(followed, "projections", "status").stdout
    assert submit_rows(followed, LATER).exit_code == 0

    assert accord(followed, "report", "funding").exit_code == 0
    assert f"view funding has read to position {read} but the log holds no record there" in caplog.text
    verified = accord(followed, "audit", "verify")
    assert verified.exit_code == TAMPERED
    assert f"the task follower has read to position {read} but the log holds no record there" in verified.stderr

    assert accord(followed, "projections", "repair").exit_code == 0

    [by_partner, *_] = as_json(accord(followed, "report", "funding", "--json"))["tables"]
    assert [(row["partner"], row["committed"]) for row in by_partner["rows"]] == [("TN", "200000")]
    titles = [task["title"] for task in tasks(followed) if task["source_type"] == "FundingCommitted"]
    assert titles == ["Confirm the first disbursement of tn-later-2021 (EUR 200,000, NDICI-Global Europe)"]
    assert_each_task_once(followed)
    assert_every_reading_command_answers(followed)
    assert_verifies(followed)


def test_repair_of_a_sound_store_does_nothing(followed: str) -> None:
    result = accord(followed, "projections", "repair")

    assert result.exit_code == 0
    assert result.stdout == "nothing to repair: every read model and the task follower stand where the log says\n"


def test_a_store_written_before_positions_were_kept_records_after_its_last_and_verifies(tmp_path: Path) -> None:
    db = str(tmp_path / "store-v1.db")
    shutil.copy(FIXTURES / "store-v1.db", db)
    end = head(db)

    assert submit_rows(db, {**COMMITMENT, "partner": "MA"}).exit_code == 0

    [(position,)] = execute(db, "SELECT MIN(rowid) FROM stored_events WHERE rowid > ?", end)
    assert position == end + 1
    assert_verifies(db)
