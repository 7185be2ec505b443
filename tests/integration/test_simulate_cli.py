"""`accord rules simulate`: a candidate rule file replayed over the whole log,
with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import accord, stored_count
from workflows.rules import default_rules_path

pytestmark = pytest.mark.integration

NOTE_RULE = """
[[rule]]
name = "note-added-read"
when = "PartnershipNoteAdded"
title = "Read the note on {partner_name}"
owner = "desk:{partner}"
due = { after = "occurred_on", days = 3 }
"""


def test_simulating_a_candidate_shows_what_it_would_change_and_stores_nothing(db: str, tmp_path: Path) -> None:
    assert accord(db, "demo").exit_code == 0
    assert accord(db, "tasks").exit_code == 0
    before = stored_count(db)
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(default_rules_path().read_text(encoding="utf-8") + NOTE_RULE)

    result = accord(db, "rules", "simulate", str(candidate), "--json")

    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert [(task["rule"], task["subject"], task["due_on"]) for task in outcome["added"]] == [
        ("note-added-read", "LY", "2021-06-09")
    ]
    assert outcome["removed"] == outcome["changed"] == []
    assert stored_count(db) == before


def test_simulating_a_broken_rule_file_exits_2_naming_its_problems(db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[[rule]]\nname = "x"\nwhen = "VisitHeld"\ntitle = "{nope}"\nowner = "a"\n')

    result = accord(db, "rules", "simulate", str(broken))

    assert result.exit_code == 2
    assert "line 1, rule 1 (x)" in result.stderr
    assert "field 'due' is missing" in result.stderr
