"""What a rule's title and owner may hold: field names in braces, each at
most aligned and cut to 200 characters, in a template of at most 500
characters on one line; and no string of a rule file holds a control
character. `accord rules check` refuses the rest, naming the rule and the
placeholder; the rules shipped with Accord pass."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from workflows.cli import main
from workflows.rules import default_rules_path
from workflows.rules.model import Rule


def rule_file(
    title: str = "Follow up {partner_name}",
    owner: str = "desk:{partner}",
    due: str = '{ after = "occurred_on", days = 30 }',
    **more: str,
) -> str:
    """A rule file of two rules, the second under test (from line 9); values as TOML writes them."""
    lines = [
        "[[rule]]",
        'name = "under-test"',
        'when = "CommitmentRecorded"',
        f"title = {title}" if title.startswith(('"', "'")) else f'title = "{title}"',
        f"owner = {owner}" if owner.startswith(('"', "'")) else f'owner = "{owner}"',
        f"due = {due}",
        *(f"{key} = {value}" for key, value in more.items()),
    ]
    first = '[[rule]]\nname = "first"\nwhen = "VisitHeld"\ntitle = "Report"\nowner = "desk:{partner}"\n'
    return first + 'due = { after = "occurred_on", days = 30 }\n\n\n' + "\n".join(lines) + "\n"


def check(tmp_path: Path, text: str) -> Result:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return CliRunner().invoke(main, ["rules", "check", str(path)], env={"ACCORD_CONFIG": ""})


def refused(tmp_path: Path, text: str) -> str:
    """The one line `rules check` refuses the file with, without its file and rule."""
    result = check(tmp_path, text)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    prefix = f"accord: {tmp_path / 'rules.toml'}: line 9, rule 2 (under-test): "
    assert line.startswith(prefix), line
    return line.removeprefix(prefix)


NOT_A_PLACEHOLDER = "is not a placeholder a rule may hold: write a field's name alone in braces, e.g. {partner_name}"
TOO_WIDE = (
    "asks more of a placeholder than a rule may: align its value or cut it, each to at most 200 characters, "
    "e.g. {description:.80}"
)


def test_the_rules_shipped_with_accord_pass(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["rules", "check", str(default_rules_path())], env={"ACCORD_CONFIG": ""})

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{default_rules_path()}: 21 rule(s), all valid\n"


def test_a_field_aligned_and_cut_within_200_characters_passes(tmp_path: Path) -> None:
    result = check(tmp_path, rule_file(title="{description:.80} ({partner:>10}, {subject:*^200.200s})"))

    assert result.exit_code == 0, result.output


def test_a_width_of_a_billion_and_a_half_is_refused_naming_the_placeholder(tmp_path: Path) -> None:
    said = refused(tmp_path, rule_file(title="Verify {description:>1500000000}"))

    assert said == f"field 'title': {{description:>1500000000}} {TOO_WIDE}"


def test_a_precision_beyond_200_is_refused(tmp_path: Path) -> None:
    said = refused(tmp_path, rule_file(owner="desk:{partner:.201}"))

    assert said == f"field 'owner': {{partner:.201}} {TOO_WIDE}"


@pytest.mark.parametrize(
    "placeholder",
    ["{partner.__class__}", "{partner[0]}", "{partner!r}", "{partner!s:>5}", "{}", "{0}"],
)
def test_attribute_index_conversion_and_positional_placeholders_are_refused(tmp_path: Path, placeholder: str) -> None:
    said = refused(tmp_path, rule_file(title=f"Verify {placeholder}"))

    assert said == f"field 'title': {placeholder} {NOT_A_PLACEHOLDER}"


@pytest.mark.parametrize("spec", ["=10", "010", "+", ",", "d", "{width}", "x<5 "])
def test_a_format_that_is_not_an_alignment_or_a_cut_is_refused(tmp_path: Path, spec: str) -> None:
    said = refused(tmp_path, rule_file(title=f"Verify {{description:{spec}}}"))

    assert said == f"field 'title': {{description:{spec}}} {TOO_WIDE}"


def test_a_single_brace_is_refused_saying_how_to_write_one(tmp_path: Path) -> None:
    said = refused(tmp_path, rule_file(title="Verify {description"))

    assert said == "field 'title': holds a single '{' or '}': write {{ or }} for a brace itself"


def test_a_template_longer_than_500_characters_is_refused(tmp_path: Path) -> None:
    said = refused(tmp_path, rule_file(owner="o" * 501))

    assert said == "field 'owner': a template holds at most 500 characters; this one holds 501"


def test_a_title_on_two_lines_is_refused(tmp_path: Path) -> None:
    said = refused(tmp_path, rule_file(title='"Verify\\n# {description}"'))

    assert said == "field 'title': a template is one line: it holds a line break at character 7"


@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [
        ("title", '"Verify \\u001b]0;pwned\\u0007"', "title"),
        ("owner", '"desk:\\u0000"', "owner"),
        ("note", '"why\\u009b"', "note"),
        ("where", '{ party = "EU\\u0008" }', "where.party"),
        ("requires", '["due\\u007f"]', "requires.0"),
    ],
)
def test_a_control_character_in_any_string_of_a_rule_is_refused(
    tmp_path: Path, setting: str, value: str, field: str
) -> None:
    said = refused(tmp_path, rule_file(**{setting: value}))

    assert said.startswith(f"field '{field}': holds a control character (U+")
    assert said.endswith("which no output can carry: remove it")


@pytest.mark.parametrize(
    ("due", "field"),
    [
        ('{ after = "occurred_on", days = 99999999 }', "due.days"),
        ('{ after = "occurred_on", days = "cadence_days", default_days = 3661 }', "due.default_days"),
    ],
)
def test_a_number_of_days_beyond_ten_years_is_refused(tmp_path: Path, due: str, field: str) -> None:
    text = rule_file(due=due).replace('"CommitmentRecorded"', '"DialogueLaunched"')

    said = refused(tmp_path, text)

    assert said.startswith(f"field '{field}': a rule counts at most 3660 days (ten years); got ")


def test_history_beyond_a_hundred_years_is_refused(tmp_path: Path) -> None:
    result = check(tmp_path, "history_days = 99999999999\n\n" + rule_file())

    assert result.exit_code == 2
    assert result.stderr == (
        f"accord: {tmp_path / 'rules.toml'}: the file: field 'history_days': history counts at most 36600 days "
        "(a hundred years); got 99999999999\n"
    )


PLACEHOLDERS = st.builds(
    lambda name, spec: "{" + name + spec + "}",
    st.sampled_from(["description", "partner", "partner_name", "subject", "x.y", "x[0]", ""]),
    st.text(alphabet=":.!<>^=0123456789sr{} x", max_size=8),
)


@given(st.lists(st.one_of(PLACEHOLDERS, st.text(alphabet="ab {}", max_size=5)), max_size=6).map("".join))
def test_a_template_the_rules_accept_fills_without_error_and_within_bounds(template: str) -> None:
    try:
        rule = Rule.model_validate(
            {
                "name": "under-test",
                "when": "CommitmentRecorded",
                "title": template or "x",
                "owner": "o",
                "due": {"after": "occurred_on", "days": 1},
            }
        )
    except ValidationError:
        return
    values = {name: "v" * 2000 for name in rule.placeholders}

    title = rule.title.format_map(values)

    fields = [name for _, name, _, _ in string.Formatter().parse(rule.title) if name is not None]
    assert len(title) <= len(rule.title) + len(fields) * 2000
