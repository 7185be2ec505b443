"""Events out and back in: `accord export events` writes the facts in the
shape `submit --file` reads, so importing them into an empty store gives the
same reports and the same tasks. Each test runs on SQLite and PostgreSQL
(the second store of the same kind as the first)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fresh_postgres_database
from tests.helpers import accord, as_json, initialised, stored_facts, submit_rows, visit
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.reports import render
from workflows.reports.funding import funding_report
from workflows.reports.partnership import partnership_report, portfolio_report

pytestmark = pytest.mark.integration

TODAY = date(2021, 8, 1)


@pytest.fixture
def other(db: str, tmp_path: Path) -> Iterator[str]:
    """An empty store of the same kind as `db`."""
    if db.startswith("postgresql"):
        for url in fresh_postgres_database():
            build(Settings(db=url), init=True).close()
            yield url
        return
    yield initialised(str(tmp_path / "other.db"))


def exported(db: str, *args: str) -> list[dict[str, Any]]:
    result = accord(db, "export", "events", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def reports(db: str) -> dict[str, Any]:
    app = build(Settings(db=db))
    try:
        app.refresh()
        made = {
            "portfolio": portfolio_report(app, TODAY),
            "funding": funding_report(app, TODAY),
            **{code: partnership_report(app, code, today=TODAY) for code in ("TN", "TR", "RS")},
        }
        return {name: _without_recording_moments(json.loads(render(r, "json"))) for name, r in made.items()}
    finally:
        app.close()


def _without_recording_moments(value: Any) -> Any:
    """Reports as they read, less when each fact was recorded (a new store
    records the same facts at a new moment)."""
    if isinstance(value, dict):
        moments = ("recorded_at", "actor", "opened_at", "closed_at")
        return {k: _without_recording_moments(v) for k, v in value.items() if k not in moments}
    if isinstance(value, list):
        return [_without_recording_moments(v) for v in value]
    return value


def tasks(db: str) -> list[tuple[str, ...]]:
    rows = as_json(accord(db, "tasks", "--status", "all", "--json"))
    return sorted((r["task_id"], r["rule"], r["due_on"], r["status"], r["owner"], r["title"]) for r in rows)


def test_the_demo_exported_and_imported_into_an_empty_store_gives_the_same_reports_and_tasks(
    demo_db: str, other: str, tmp_path: Path
) -> None:
    path = tmp_path / "record.jsonl"
    written = accord(demo_db, "export", "events", "-o", str(path))
    assert written.exit_code == 0, written.output

    imported = accord(other, "submit", "--file", str(path))

    assert imported.exit_code == 0, imported.output
    assert stored_facts(other) == stored_facts(demo_db)
    assert reports(other) == reports(demo_db)
    assert tasks(other) == tasks(demo_db)


def test_importing_an_export_twice_records_it_once(demo_db: str, other: str, tmp_path: Path) -> None:
    path = tmp_path / "record.jsonl"
    assert accord(demo_db, "export", "events", "-o", str(path)).exit_code == 0
    assert accord(other, "submit", "--file", str(path)).exit_code == 0

    again = accord(other, "submit", "--file", str(path))

    assert again.exit_code == 0
    assert "recorded 0 event(s)" in again.stdout
    assert stored_facts(other) == stored_facts(demo_db)


def test_each_line_is_a_submission_with_its_key_as_id_and_no_envelope(demo_db: str) -> None:
    lines = exported(demo_db)

    assert len(lines) == stored_facts(demo_db)
    assert all(line["id"] and line["type"] for line in lines)
    assert not any({"timestamp", "actor", "key", "originator_id"} & line.keys() for line in lines)


def test_partner_keeps_its_facts_and_the_shared_facts_naming_it(demo_db: str) -> None:
    lines = exported(demo_db, "--partner", "TR")

    assert {line.get("partner") for line in lines} <= {"TR", None}
    assert any(line["type"] == "MeetingScheduled" and "TR" in line["partners"] for line in lines)
    assert not any(line.get("partner") == "TN" for line in lines)


def test_since_keeps_the_facts_recorded_from_then_on(demo_db: str) -> None:
    cut = datetime.now(UTC)
    assert submit_rows(demo_db, visit("TN", 23)).exit_code == 0

    lines = exported(demo_db, "--since", cut.isoformat())

    assert [(line["type"], line["occurred_on"]) for line in lines] == [("VisitHeld", "2021-05-23")]
