"""Tables that fit: rendered at 80 and 120 columns (COLUMNS, as a piped
command reads it), every line fits and nothing essential is lost; too
narrow for a table, each row is a block; `--wide` keeps every column;
OVERDUE stands out, in colour unless NO_COLOR is set."""

from __future__ import annotations

import re

import pytest

from tests.helpers import accord, as_json
from tests.receivers import on_a_terminal
from workflows.sentences import words_of

pytestmark = pytest.mark.integration

WIDTHS = [80, 120]


def rendered(db: str, width: int, *args: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    result = accord(db, *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width, "\n".join(line for line in lines if len(line) > width)
    return result.stdout


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w:.-]+", text))


@pytest.mark.parametrize("width", WIDTHS)
def test_partners_fit_with_every_code_and_name(demo_db: str, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = words(rendered(demo_db, width, "partners", monkeypatch=monkeypatch))

    for partner in as_json(accord(demo_db, "partners", "--json")):
        assert partner["code"] in shown
        assert set(partner["name"].split()) <= shown
        assert partner["last_activity"] in shown


@pytest.mark.parametrize("width", WIDTHS)
def test_tasks_fit_with_whole_ids_dates_states_owners_and_titles(
    demo_db: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = rendered(demo_db, width, "tasks", "--limit", "0", monkeypatch=monkeypatch)
    shown = words(text)
    folded = re.sub(r"[\s│]", "", text)  # a long word may fold across lines; its characters stay in order

    for task in as_json(accord(demo_db, "tasks", "--json")):
        assert {task["task_id"][:8], task["due_on"], task["owner"]} <= shown
        assert all(word in folded for word in task["title"].split())


@pytest.mark.parametrize("width", WIDTHS)
def test_every_rule_name_is_shown_whole(demo_db: str, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = words(rendered(demo_db, width, "rules", "show", monkeypatch=monkeypatch))

    for rule in as_json(accord(demo_db, "rules", "show", "--json")):
        assert rule["name"] in shown
        assert rule["when"] in shown


@pytest.mark.parametrize("width", WIDTHS)
def test_the_audit_log_and_a_timeline_fit(demo_db: str, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    log = words(rendered(demo_db, width, "audit", "log", "--limit", "20", monkeypatch=monkeypatch))
    timeline = rendered(demo_db, width, "partner", "show", "TN", monkeypatch=monkeypatch)

    for row in as_json(accord(demo_db, "audit", "log", "--limit", "20", "--json")):
        assert {str(row["position"]), *words_of(row["type"]).split()} <= log
    assert "arrivals reported" in timeline  # a type in words, for people


def test_too_narrow_for_a_table_each_row_is_a_block(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = rendered(demo_db, 50, "tasks", "--limit", "3", monkeypatch=monkeypatch)

    assert "┃" not in text
    assert text.count("due on: ") == 3 and text.count("title: ") == 3


def test_wide_keeps_every_column(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = rendered(demo_db, 80, "partners", monkeypatch=monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")
    wide = accord(demo_db, "partners", "--wide").stdout

    assert "dialogues" not in narrow
    assert all(column in wide for column in ("opened on", "events", "visits", "dialogues", "open commitments"))


def test_overdue_stands_out_in_colour_unless_no_color(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    coloured = on_a_terminal(demo_db, "tasks")
    monkeypatch.setenv("NO_COLOR", "1")
    plain = on_a_terminal(demo_db, "tasks")

    assert b"\x1b[1;31mOVERDUE" in coloured
    assert b"OVERDUE" in plain and b"31m" not in plain
