"""What the record accepts, every reader carries: text is bounded and clean
where it enters, in one sentence naming the field when it is not, and text
Accord derives from accepted facts (a task's title) is made to fit, never
refused after the fact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.text import LINE
from tests.helpers import accord, as_json, open_partners, stored_count, submit_rows
from tests.integration.test_poisoned_facts import store_as_an_earlier_version

pytestmark = pytest.mark.integration

READERS = (
    ["tasks"],
    ["partners"],
    ["partner", "show", "TN"],
    ["audit", "log"],
    ["report", "portfolio"],
    ["report", "partnership", "TN", "--format", "csv"],
    ["projections", "status"],
    ["export", "ics"],
    ["scheduler", "tick", "--at", "2021-12-01T09:00:00Z"],
    ["audit", "verify"],
)


def note(text: str) -> dict[str, str]:
    return {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-02-01", "text": text}


def commitment(description: str) -> dict[str, str]:
    return {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-02-01",
        "commitment": "c1",
        "party": "eu",
        "description": description,
        "due_on": "2021-12-01",
    }


def every_reader_answers(db: str) -> None:
    for command in READERS:
        result = accord(db, *command)
        assert result.exit_code == 0, (command, result.output)


def test_a_commitment_described_in_2000_characters_opens_a_task_whose_title_fits(db: str) -> None:
    open_partners(db, "TN")
    description = "Readmission of nationals. " * 76 + "x" * 24  # 2,000 characters, the bound

    assert submit_rows(db, commitment(description)).exit_code == 0

    every_reader_answers(db)
    [task] = [task for task in as_json(accord(db, "tasks", "--json")) if task["rule"].startswith("commitment")]
    assert len(task["title"]) == LINE
    assert task["title"].endswith("…")
    assert task["title"].startswith("Verify the commitment by the EU (Tunisia): Readmission of nationals.")


def test_a_description_beyond_its_bound_is_refused_naming_the_field(db: str) -> None:
    open_partners(db, "TN")
    before = stored_count(db)

    result = submit_rows(db, commitment("x" * 2001))

    assert result.exit_code == 2
    said = "line 1: CommitmentRecorded: field 'description': has 2,001 characters: at most 2,000 are taken"
    assert said in result.output
    assert stored_count(db) == before


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("before\u0000after", "holds a NUL character (U+0000) at character 7"),
        ("title \u001b]0;pwned\u0007", "holds an escape character (U+001B) at character 7"),
        ("line\r\nbreak", "holds a carriage return (U+000D; a line break is a line feed alone) at character 5"),
        ("next \u0085 line", "holds a control character (U+0085) at character 6"),
        ("not \ufffe a char", "holds the noncharacter U+FFFE at character 5"),
        ("erase \u001b[2K", "holds an escape character (U+001B) at character 7"),
    ],
    ids=["nul", "osc-title", "carriage-return", "c1-next-line", "noncharacter", "erase-line"],
)
def test_a_character_no_output_can_carry_is_refused_in_a_sentence_naming_the_field(
    db: str, text: str, said: str
) -> None:
    open_partners(db, "TN")
    before = stored_count(db)

    result = submit_rows(db, note(text))

    assert result.exit_code == 2
    assert f"line 1: PartnershipNoteAdded: field 'text': {said}, which no output can carry" in result.output
    assert stored_count(db) == before


def test_a_lone_surrogate_is_refused_in_a_sentence(db: str) -> None:
    open_partners(db, "TN")
    # Python's JSON writer escapes it: the line holds "\ud800" as JSON text,
    # which the JSON reader refuses before any field is read.
    line = json.dumps(note("half \ud800 a pair"))

    result = accord(db, "submit", "--file", "-", input=line + "\n")

    assert result.exit_code == 2
    assert "line 1: not valid JSON (no low surrogate in string" in result.output


def test_a_line_break_in_a_one_line_field_is_refused_but_kept_in_free_text(db: str) -> None:
    open_partners(db, "TN")
    visit = {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-01", "visitors": ["Commissioner\nNote: x"]}

    refused = submit_rows(db, visit)
    kept = submit_rows(db, note("first line\n\tsecond line"))

    assert refused.exit_code == 2
    assert "line 1: VisitHeld: field 'visitors.0': holds a line break at character 13: it is one line" in refused.output
    assert kept.exit_code == 0, kept.output


def test_an_option_is_refused_as_the_file_line_is(db: str) -> None:
    open_partners(db, "TN")

    result = accord(
        db, "submit", "PartnershipNoteAdded", "--partner", "TN", "--occurred-on", "2021-02-01", "--text", "a\x1bb"
    )

    assert result.exit_code == 2
    assert "escape character (U+001B)" in result.output


def test_a_count_beyond_its_bound_is_refused_in_a_sentence(db: str) -> None:
    open_partners(db, "TN")
    line = (
        '{"type": "ArrivalsReported", "partner": "TN", "occurred_on": "2021-06", "period_start": "2021-05", '
        '"period_end": "2021-05", "route": "Central Mediterranean", "source": "UNHCR", '
        '"count": 99999999999999999999}\n'
    )

    result = accord(db, "submit", "--file", "-", input=line)

    assert result.exit_code == 2
    assert "line 1: ArrivalsReported: field 'count': " in result.output
    assert "Traceback" not in result.output


def test_an_actor_holding_a_control_character_is_refused(db: str) -> None:
    open_partners(db, "TN")

    result = submit_rows(db, note("a note"), actor="desk\x1b[2Kofficer")

    assert result.exit_code == 2
    assert (
        "the actor's name (who records it) holds an escape character (U+001B) at character 5, "
        "which no output can carry" in result.output
    )


def test_a_note_holding_nul_recorded_before_the_checks_is_read_by_every_reader(db: str) -> None:
    open_partners(db, "TN")
    store_as_an_earlier_version(db, note("before after"), key="old-note", stored={"text": "before\x00after"})

    every_reader_answers(db)
    timeline = as_json(accord(db, "partner", "show", "TN", "--json"))
    assert any("before" in row["summary"] and "after" in row["summary"] for row in timeline)


LONG_FUNDER = ("Directorate-General for International Partnerships " * 39)[:1979]

PUBLISHED = f"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="EUR">
  <iati-identifier>XI-TEST-1-LONG-NAMES</iati-identifier>
  <reporting-org ref="XI-TEST-1" type="10"><narrative>Publisher</narrative></reporting-org>
  <title><narrative>Border management
   and protection
   of migrants in Tunisia</narrative></title>
  <participating-org role="1" type="10"><narrative>{LONG_FUNDER}</narrative></participating-org>
  <recipient-country code="TN"/>
  <transaction>
   <transaction-type code="2"/><transaction-date iso-date="2021-03-01"/><value>300000</value>
  </transaction>
 </iati-activity>
</iati-activities>
"""


def test_an_iati_funder_named_in_1979_characters_is_imported_and_every_reader_answers(db: str, tmp_path: Path) -> None:
    assert len(LONG_FUNDER) == 1979
    open_partners(db, "TN")
    path = tmp_path / "long.xml"
    path.write_text(PUBLISHED)

    imported = accord(db, "import", "iati", str(path))

    assert imported.exit_code == 0, imported.output
    every_reader_answers(db)
    [line] = [row for row in as_json(accord(db, "audit", "log", "--type", "FundingCommitted", "--json"))]
    assert " for Border management and protection of migrants in Tunisia" in line["summary"]
    exported = accord(db, "export", "events")
    facts = [json.loads(line) for line in exported.stdout.splitlines() if '"FundingCommitted"' in line]
    assert len(facts[0]["instrument"]) == LINE and facts[0]["instrument"].endswith("…")
