"""Workflow rule files: the rules shipped with Accord, and every problem a
rule file can have, each named by its line and its rule."""

import pytest

from domain.approval import decisions
from domain.vocabulary import VOCABULARY
from workflows.rules import RulesError, default_rules_path, load_rules
from workflows.rules.files import parse_rules

DEFAULT_NAMES = [
    "partnership-opened-name-a-desk",
    "visit-planned-prepare",
    "visit-planned-set-a-date",
    "visit-held-follow-up",
    "dialogue-launched-first-round",
    "dialogue-round-held-next-round",
    "funding-committed-first-disbursement",
    "funding-increased-inform-partner",
    "funding-disbursed-check-use",
    "funding-decommitted-inform-partner",
    "commitment-recorded-verify",
    "commitment-recorded-agree-a-date",
    "statement-reaffirmed-review",
    "operation-launched-first-results",
    "talent-partnership-launched-first-actions",
    "arrivals-reported-assess",
    "meeting-scheduled-prepare-briefing",
    "meeting-held-circulate-conclusions",
    "initiative-announced-follow-to-next-stage",
    "envelope-set-programme",
    "fact-proposed-approve",
]
# Types that open no task: a note is information only; the others only close tasks.
CLOSER_ONLY = {"InitiativeAdvanced", "CommitmentFulfilled", "CommitmentLapsed"}
# An indicator's facts open no task yet: the rules that ask for each
# figure by its indicator's cadence, and follow an off-track one, are the
# next part of issue 37.
NEVER_READ = {"PartnershipNoteAdded", "IndicatorDefined", "BaselineSet", "TargetSet", "ActualReported"}
# Beside the facts, a proposal opens its approval task, and its decision closes it (domain.approval).
PROPOSALS = set(decisions())

# A valid first rule, so that the rule under test is rule 2 and starts on line 9.
PREAMBLE = """\
# my rules
[[rule]]
name = "visit-held-report"
when = "VisitHeld"
title = "Report on the visit to {partner_name}"
owner = "desk:{partner}"
due = { after = "occurred_on", days = 30 }

"""
SECOND = "f.toml: line 9, rule 2"


def rule(name="under-test", when="VisitHeld", due='{ after = "occurred_on", days = 7 }', **settings):
    """The TOML of one rule; settings are given as TOML values."""
    lines = [
        "[[rule]]",
        f'name = "{name}"',
        f'when = "{when}"',
        'title = "Do something"',
        'owner = "someone"',
        f"due = {due}",
    ]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def problems(text):
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "f.toml")
    return str(caught.value).splitlines()


def only_problem(text):
    [problem] = problems(text)
    return problem


# The rules shipped with Accord


def test_the_default_rules_load_with_unique_names_in_file_order():
    ruleset = load_rules()

    assert [r.name for r in ruleset.rule] == DEFAULT_NAMES
    assert default_rules_path().name == "default.toml"


def test_every_event_type_but_notes_and_closers_triggers_a_default_rule():
    triggers = {r.when for r in load_rules().rule}

    assert triggers == set(VOCABULARY) - CLOSER_ONLY - NEVER_READ | {"FactProposed"}


def test_the_closer_only_types_close_default_rules_and_notes_are_never_read():
    ruleset = load_rules()

    assert all(ruleset.closed_by(name) for name in CLOSER_ONLY)
    assert ruleset.types_read == set(VOCABULARY) - NEVER_READ | PROPOSALS


def test_each_closing_default_rule_is_closed_by_the_facts_that_make_it_moot():
    closers = {r.name: r.closed_by for r in load_rules().rule if r.closed_by}

    assert closers == {
        "visit-planned-prepare": ["VisitHeld"],
        "visit-planned-set-a-date": ["VisitHeld"],
        "dialogue-launched-first-round": ["DialogueRoundHeld"],
        "dialogue-round-held-next-round": ["DialogueRoundHeld"],
        "funding-committed-first-disbursement": ["FundingDisbursed"],
        "commitment-recorded-verify": ["CommitmentFulfilled", "CommitmentLapsed"],
        "commitment-recorded-agree-a-date": ["CommitmentFulfilled", "CommitmentLapsed"],
        "meeting-scheduled-prepare-briefing": ["MeetingHeld"],
        "initiative-announced-follow-to-next-stage": ["InitiativeAdvanced"],
        "fact-proposed-approve": ["FactApproved", "FactRejected"],
    }


def test_triggered_by_and_closed_by_find_the_rules_of_an_event_type():
    ruleset = load_rules()

    assert [r.name for r in ruleset.triggered_by("CommitmentRecorded")] == [
        "commitment-recorded-verify",
        "commitment-recorded-agree-a-date",
    ]
    assert [r.name for r in ruleset.closed_by("DialogueRoundHeld")] == [
        "dialogue-launched-first-round",
        "dialogue-round-held-next-round",
    ]
    assert ruleset.triggered_by("PartnershipNoteAdded") == []


# Reading a rule file


def test_a_rule_file_of_ones_own_loads_from_its_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(PREAMBLE)

    assert [r.name for r in load_rules(path).rule] == ["visit-held-report"]


def test_a_rule_file_that_cannot_be_read_says_so_with_its_path(tmp_path):
    missing = tmp_path / "missing.toml"

    with pytest.raises(RulesError, match=r"missing\.toml: cannot be read: No such file"):
        load_rules(missing)


def test_a_valid_rule_reads_its_due_date_settings():
    [_, parsed] = parse_rules(PREAMBLE + rule(due='{ before = "occurred_on", days = 3 }')).rule

    assert (parsed.due.before, parsed.due.after, parsed.due.days, parsed.due.anchor) == (
        "occurred_on",
        None,
        3,
        "occurred_on",
    )
    assert (parsed.where, parsed.requires, parsed.absent, parsed.closed_by, parsed.thread) == ({}, [], [], [], None)


def test_a_title_may_use_the_partner_name_and_the_subject():
    text = PREAMBLE.replace("{partner_name}", "{partner_name} ({subject})")

    assert parse_rules(text).rule[0].title == "Report on the visit to {partner_name} ({subject})"


def test_invalid_toml_is_named_with_its_line():
    assert problems(PREAMBLE + "[[rule]\nname = 1\n") == [
        "f.toml: not valid TOML: Expected ']]' at the end of an array declaration (at line 9, column 7)"
    ]


# Each problem, named by line and rule


def test_an_unknown_event_type_is_named_with_the_known_types():
    problem = only_problem(PREAMBLE + rule(when="VisitCancelled"))

    assert problem.startswith(
        f"{SECOND} (under-test): field 'when': unknown event type 'VisitCancelled'; known types: "
    )
    assert "VisitHeld, VisitPlanned" in problem


def test_an_unknown_closing_type_is_named_with_its_place_in_the_list():
    problem = only_problem(PREAMBLE + rule(closed_by='["VisitHeld", "VisitDone"]'))

    assert problem.startswith(f"{SECOND} (under-test): field 'closed_by.1': unknown event type 'VisitDone'")


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"where": '{ colour = "red" }'}, "VisitHeld has no field 'colour'"),
        ({"requires": '["agenda"]'}, "VisitHeld has no field 'agenda'"),
        ({"absent": '["minutes"]'}, "VisitHeld has no field 'minutes'"),
    ],
    ids=["where", "requires", "absent"],
)
def test_a_condition_on_a_field_the_event_type_lacks_is_refused(settings, says):
    assert only_problem(PREAMBLE + rule(**settings)) == f"{SECOND} (under-test): {says}"


def test_a_title_placeholder_that_is_not_a_field_is_refused():
    text = PREAMBLE + rule().replace('"Do something"', '"Call {minister}"')

    assert (
        only_problem(text) == f"{SECOND} (under-test): {{minister}} in the title or owner is not a field of VisitHeld"
    )


def test_an_owner_placeholder_that_is_not_a_field_is_refused():
    text = PREAMBLE + rule().replace('"someone"', '"desk:{country}"')

    assert only_problem(text) == f"{SECOND} (under-test): {{country}} in the title or owner is not a field of VisitHeld"


def test_a_due_date_counted_from_a_field_that_is_not_a_date_is_refused():
    text = PREAMBLE + rule(due='{ after = "place", days = 7 }')

    assert (
        only_problem(text) == f"{SECOND} (under-test): due counts from 'place', which is not a date field of VisitHeld"
    )


def test_a_due_date_counted_from_a_field_the_type_lacks_is_refused():
    text = PREAMBLE + rule(due='{ before = "held_on", days = 7 }')

    assert (
        only_problem(text)
        == f"{SECOND} (under-test): due counts from 'held_on', which is not a date field of VisitHeld"
    )


def test_days_naming_a_field_that_is_not_a_number_is_refused():
    text = PREAMBLE + rule(when="DialogueLaunched", due='{ after = "occurred_on", days = "title", default_days = 9 }')

    assert only_problem(text) == (
        f"{SECOND} (under-test): due.days names 'title', which is not a number field of DialogueLaunched"
    )


def test_days_naming_a_field_needs_default_days():
    text = PREAMBLE + rule(when="DialogueLaunched", due='{ after = "occurred_on", days = "cadence_days" }')

    assert only_problem(text) == (
        f"{SECOND} (under-test): due.days names a field, so due.default_days must say what to use when it is empty"
    )


@pytest.mark.parametrize(
    "due",
    ['{ after = "occurred_on", before = "occurred_on", days = 1 }', "{ days = 1 }"],
    ids=["both", "neither"],
)
def test_a_due_date_needs_exactly_one_of_after_and_before(due):
    assert only_problem(PREAMBLE + rule(due=due)) == (
        f"{SECOND} (under-test): field 'due': give exactly one of 'after' or 'before'"
    )


def test_negative_days_are_refused():
    assert only_problem(PREAMBLE + rule(due='{ before = "occurred_on", days = -3 }')) == (
        f"{SECOND} (under-test): field 'due': days counts forward from 'after' or back from 'before', "
        "so it is never negative"
    )


def test_negative_default_days_are_refused():
    text = PREAMBLE + rule(
        when="DialogueLaunched", due='{ after = "occurred_on", days = "cadence_days", default_days = -1 }'
    )

    assert only_problem(text).startswith(f"{SECOND} (under-test): field 'due.default_days': ")


def test_a_rule_name_that_is_not_lower_case_with_dashes_is_refused():
    assert only_problem(PREAMBLE + rule(name="Visit Follow_Up")) == (
        f"{SECOND} (Visit Follow_Up): field 'name': a rule name is lower-case letters, digits and dashes, "
        "e.g. visit-held-follow-up; got 'Visit Follow_Up'"
    )


def test_a_setting_rules_do_not_have_is_refused():
    assert (
        only_problem(PREAMBLE + rule(priority="1")) == f"{SECOND} (under-test): field 'priority' is not a rule setting"
    )


def test_a_missing_setting_is_named():
    text = PREAMBLE + rule().replace('owner = "someone"\n', "")

    assert only_problem(text) == f"{SECOND} (under-test): field 'owner' is missing"


def test_a_thread_without_closed_by_is_refused():
    assert only_problem(PREAMBLE + rule(thread="[]")) == f"{SECOND} (under-test): a thread only matters with closed_by"


def test_a_thread_field_the_closing_type_lacks_is_refused():
    text = PREAMBLE + rule(when="CommitmentRecorded", thread='["party"]', closed_by='["CommitmentFulfilled"]')

    assert only_problem(text) == (
        f"{SECOND} (under-test): thread field 'party' is not a field of both CommitmentRecorded and CommitmentFulfilled"
    )


def test_a_closing_type_recorded_on_another_kind_of_record_is_refused():
    assert only_problem(PREAMBLE + rule(closed_by='["MeetingHeld"]')) == (
        f"{SECOND} (under-test): MeetingHeld is not recorded on the same kind of record as VisitHeld"
    )


def test_a_file_of_another_kind_is_refused():
    assert problems('kind = "accord-reports"\n' + PREAMBLE) == [
        "f.toml: the file: field 'kind': Input should be 'accord-rules'"
    ]


def test_problems_in_several_rules_are_all_listed_each_with_its_line_and_rule():
    text = PREAMBLE + rule(name="first-bad", when="Nope") + "\n" + rule(name="second-bad", priority="1")

    assert problems(text) == [
        f"{SECOND} (first-bad): field 'when': unknown event type 'Nope'; known types: "
        + ", ".join(sorted([*VOCABULARY, *PROPOSALS])),
        "f.toml: line 16, rule 3 (second-bad): field 'priority' is not a rule setting",
    ]


def test_rules_error_keeps_the_path_and_each_problem():
    with pytest.raises(RulesError) as caught:
        parse_rules(PREAMBLE + rule(priority="1"), "mine.toml")

    assert caught.value.path == "mine.toml"
    assert caught.value.problems == ["line 9, rule 2 (under-test): field 'priority' is not a rule setting"]


def test_two_rules_with_one_name_are_refused_naming_the_line_and_rule_of_the_second():
    text = PREAMBLE + rule(name="visit-held-report")

    [problem] = problems(text)
    assert "rule 2 (visit-held-report): the name 'visit-held-report' is already taken by line 2, rule 1" in problem
    assert problem.startswith(f"{SECOND} (visit-held-report): ")


def test_a_rule_header_written_with_spaces_still_gets_its_line():
    text = PREAMBLE.replace("[[rule]]", "[[ rule ]]") + rule(priority="1")

    assert problems(text) == [f"{SECOND} (under-test): field 'priority' is not a rule setting"]


def test_every_problem_of_one_rule_is_listed():
    text = PREAMBLE + rule(where='{ colour = "red" }').replace('"Do something"', '"Call {minister}"')

    listed = "\n".join(problems(text))
    assert "'colour'" in listed
    assert "{minister}" in listed


# The off-track margin, read by the results report too


def test_the_off_track_margin_is_ten_points_unless_a_rule_file_says_otherwise():
    assert load_rules().off_track_margin == 10
    assert parse_rules("off_track_margin = 25\n" + PREAMBLE).off_track_margin == 25


@pytest.mark.parametrize("margin", ["-1", "101", '"ten"'])
def test_an_off_track_margin_outside_0_to_100_points_is_refused(margin):
    [problem] = problems(f"off_track_margin = {margin}\n" + PREAMBLE)

    assert problem.startswith("f.toml: the file: field 'off_track_margin': ")
