"""What the record holds reaches a terminal as text: rich markup in it is
printed as it is (never parsed, so never an error, a link or hidden text),
and every control character is shown as its escape (`\\x1b`), never obeyed,
by every command that prints the record; `--json` stays as it is for
machines. On SQLite and PostgreSQL, piped and through a pseudo-terminal."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import accord, as_json, open_partners, submit_rows
from tests.hostile import ESCAPES, MARKUP, SHOWN, record_unchecked
from tests.receivers import on_a_terminal

pytestmark = pytest.mark.integration

COMMITMENT = {
    "type": "CommitmentRecorded",
    "partner": "TN",
    "occurred_on": "2021-02-01",
    "commitment": "annex",
    "party": "eu",
    "description": "the commitment",
}
# What rich writes to style a table (bold, italic, colours): the only escape
# sequences a terminal may receive.
STYLING = re.compile(rb"\x1b\[[0-9;]*m")
PRINTERS = (
    ("tasks", "--wide"),
    ("audit", "log", "--wide"),
    ("partner", "show", "TN", "--wide"),
    ("report", "partnership", "TN"),
)


def escaped(db: str) -> str:
    """A store holding ESCAPES in a commitment's description and notes (its
    task's title, made from the description, holds none: domain.text.fit)."""
    open_partners(db, "TN")
    record_unchecked(db, COMMITMENT, description=f"promised {ESCAPES}", notes=f"noted {ESCAPES}")
    return db


def the_task_id(db: str) -> str:
    [task] = [row for row in as_json(accord(db, "tasks", "--json")) if row["source_type"] == "CommitmentRecorded"]
    return str(task["task_id"])


def test_rich_markup_in_a_description_is_printed_as_text_by_every_table(db: str) -> None:
    open_partners(db, "TN")
    assert submit_rows(db, {**COMMITMENT, "description": MARKUP}).exit_code == 0

    for args in (*PRINTERS[:3], ("task", "show", the_task_id(db))):
        result = accord(db, *args)
        assert result.exit_code == 0, (args, result.output)
        assert MARKUP in result.output, args  # the closing tag, the link and the hidden words, all as written


def test_escape_sequences_in_the_record_are_shown_not_obeyed_by_every_printer(db: str) -> None:
    escaped(db)

    for args in (*PRINTERS[:3], ("task", "show", the_task_id(db))):
        result = accord(db, *args)
        assert result.exit_code == 0, (args, result.output)
        for char in ("\x1b", "\x9b", "\x7f", "\r", "\u202e"):
            assert char not in result.output, (args, char)
        if args[0] in ("audit", "partner"):  # the description itself, as recorded
            for shown in SHOWN:
                assert shown in result.output, (args, shown)
        else:  # the task's title, made from it without its controls
            assert "promised ]0;owned" in result.output, args


def test_json_output_keeps_the_record_as_it_is_for_machines(db: str) -> None:
    escaped(db)

    timeline = json.loads(accord(db, "partner", "show", "TN", "--json").stdout)
    assert any(ESCAPES in row["summary"] for row in timeline)
    logged = json.loads(accord(db, "audit", "log", "--json").stdout)
    assert any(ESCAPES in row["summary"] for row in logged)


@pytest.mark.parametrize("args", PRINTERS, ids=lambda args: " ".join(args[:2]))
def test_a_terminal_receives_no_escape_sequence_from_the_record(db: str, args: tuple[str, ...]) -> None:
    escaped(db)
    assert submit_rows(db, {**COMMITMENT, "commitment": "markup", "description": MARKUP}).exit_code == 0
    accord(db, "tasks")  # the views caught up, so that no progress is drawn

    written = on_a_terminal(db, *args)

    assert b"\x1b" not in STYLING.sub(b"", written), written
    text = STYLING.sub(b"", written).decode()
    for char in ("\x9b", "\x7f", "\u202e"):
        assert char not in text
    assert "owned" in text and "hidden words" in text and "link=http://evil.example/" in text
    if args[0] in ("audit", "partner"):  # The description as recorded (a task's title holds no control).
        assert "\\x1b]0;owned\\x07" in text and "\\x9b31m" in text and "\\u202e" in text
        assert "[link=http://evil.example/]" in text


def test_a_line_break_in_a_value_of_task_show_stays_under_its_value(db: str) -> None:
    open_partners(db, "TN")
    assert submit_rows(db, COMMITMENT).exit_code == 0
    task = the_task_id(db)
    assert accord(db, "task", "complete", task, "--note", "first line\nstatus: open").exit_code == 0

    shown = accord(db, "task", "show", task).output

    assert "\n              status: open" in shown
    assert "\n      status: Done on " in shown
