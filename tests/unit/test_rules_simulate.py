"""Simulating a candidate rule file: the tasks it would add, drop or change,
computed from the events alone."""

from tests.unit.test_rules_engine import record
from workflows.rules import default_rules_path, load_rules
from workflows.rules.files import parse_rules
from workflows.rules.model import RuleSet
from workflows.rules.simulate import simulate, types_read

CURRENT = load_rules()


def candidate(*replacements: tuple[str, str], extra: str = "") -> RuleSet:
    """The default rule file, edited."""
    source = default_rules_path().read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in source
        source = source.replace(old, new)
    return parse_rules(source + extra)


def demo_events(stamp):
    return record(
        stamp,
        ("PartnershipOpened", {"occurred_on": "2020-09-23"}),
        ("VisitHeld", {"occurred_on": "2021-05-20", "visitors": ["Commissioner Johansson"]}),
        ("PartnershipNoteAdded", {"text": "A note"}),
    )


def test_the_rules_in_force_simulated_against_themselves_change_nothing(stamp):
    outcome = simulate(demo_events(stamp), CURRENT, CURRENT)

    assert (outcome.added, outcome.removed, outcome.changed, outcome.events) == ([], [], [], 3)


def test_a_new_rule_adds_the_tasks_it_would_have_opened(stamp):
    new_rule = """
[[rule]]
name = "note-added-read"
when = "PartnershipNoteAdded"
title = "Read the note on {partner_name}"
owner = "desk:{partner}"
due = { after = "occurred_on", days = 3 }
"""
    outcome = simulate(demo_events(stamp), CURRENT, candidate(extra=new_rule))

    [added] = outcome.added
    assert (added["rule"], added["title"], str(added["due_on"])) == (
        "note-added-read",
        "Read the note on Tunisia",
        "2021-05-23",
    )
    assert outcome.removed == outcome.changed == []


def test_a_renamed_rule_drops_the_old_tasks_and_adds_new_ones(stamp):
    renamed = candidate(('name = "visit-held-follow-up"', 'name = "visit-held-report"'))

    outcome = simulate(demo_events(stamp), CURRENT, renamed)

    assert [task["rule"] for task in outcome.added] == ["visit-held-report"]
    assert [task["rule"] for task in outcome.removed] == ["visit-held-follow-up"]


def test_a_changed_offset_shows_the_due_date_before_and_after(stamp):
    visit_due = 'next steps"\nowner = "desk:{partner}"\ndue = { after = "occurred_on", days = '
    later = candidate((visit_due + "30", visit_due + "45"))

    outcome = simulate(demo_events(stamp), CURRENT, later)

    [changed] = outcome.changed
    assert changed["changes"] == "due_on: 2021-06-19 -> 2021-07-04"


def test_only_the_event_types_either_rule_set_reads_are_replayed():
    names = {cls.__name__ for cls in types_read(CURRENT)}

    assert "VisitHeld" in names
    assert "PartnershipNoteAdded" not in names
