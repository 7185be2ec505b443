"""The hostile-input suite (`pytest -m hostile`), what enters: text one
character over its field's bound, holding a character no output can carry
(or, in a one-line field, a line break), or a list one item too long, in
every text field of every event type and amendment, and in every field a
correction changes, is refused in a sentence naming the line and the
field, and nothing is stored. Hypothesis draws the values; each example is
one file of a line a field, so every field is judged at each. On SQLite and
PostgreSQL. What is accepted is pushed through every output by
test_hostile.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.text import ITEMS
from domain.vocabulary import AMENDMENTS
from tests.helpers import stored_count, submit_rows
from tests.hostile_record import ALLOWED, BREAKS, CI, HOSTILE, MEETING, REFUSED, SKELETON, TextField, text_fields

pytestmark = [pytest.mark.integration, pytest.mark.hostile]


@st.composite
def refused(draw: st.DrawFn, field: TextField) -> tuple[Any, str]:
    """A value a text field refuses (one character over its bound, a
    character it cannot carry, one item too many), and the start of the
    sentence that names the field."""
    place = f"{field.name}.0" if field.listed else field.name
    how = draw(st.sampled_from(["long", "refused", "many"] if field.listed else ["long", "refused"]))
    if how == "many":
        return ["x"] * (ITEMS + 1), f"field '{field.name}': at most {ITEMS} items; this has {ITEMS + 1}"
    if how == "long":
        bad = "x" * (field.limit + 1)
        said = f"field '{place}': has {field.limit + 1:,} characters: at most {field.limit:,} are taken"
    else:
        character = draw(st.sampled_from(REFUSED + (BREAKS if field.one_line else [])))
        bad = draw(st.text(ALLOWED, max_size=5)) + character + draw(st.text(ALLOWED, max_size=5))
        said = f"field '{place}': holds "
    return ([bad] if field.listed else bad), said


# An amendment on each kind of record, naming it by its subject field.
SUBJECTS = {
    "partner": "TN",
    "meeting": MEETING,
    "initiative": "i1",
    "instrument": "NDICI",
    "indicator": "portfolio/arrivals",
}
AMENDING = [
    {"type": kind, subject: place, "target": "k0", "reason": "r"}
    | ({"changes": {"notes": ""}} if kind == "FactCorrected" else {})
    for subject, place in SUBJECTS.items()
    for kind in AMENDMENTS
]


@st.composite
def refused_lines(draw: st.DrawFn) -> list[tuple[dict[str, Any], str]]:
    """A line a text field of every type and amendment, each refused; with
    the sentence naming its field."""
    lines = []
    for row in [*SKELETON, *AMENDING]:
        subject = next((name for name in SUBJECTS if name in row), None)
        for field in text_fields(row["type"], subject):
            bad, said = draw(refused(field))
            lines.append(({**row, field.name: bad}, f"{row['type']}: {said}"))
    return lines


@settings(**HOSTILE, max_examples=20 if CI else 30)
@given(lines=refused_lines())
def test_text_over_its_bound_or_holding_what_no_output_carries_is_refused_naming_each_field(
    db: str, lines: list[tuple[dict[str, Any], str]]
) -> None:
    refused_whole(db, lines)


def refused_whole(db: str, lines: list[tuple[dict[str, Any], str]]) -> None:
    """The lines submitted as one file: refused whole, each line's problem
    named by its number and field, nothing stored."""
    before = stored_count(db)

    result = submit_rows(db, *(line for line, _ in lines))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    said = [line.removeprefix("accord: ") for line in result.stderr.splitlines()]
    for number, (_, sentence) in enumerate(lines, start=1):
        assert any(out.startswith(f"line {number}: {sentence}") for out in said), (number, sentence, said[:3])
    assert stored_count(db) == before


def plain(row: dict[str, Any], number: int) -> dict[str, Any]:
    """A fact of the record with plain text in its required text fields, under the key k<number>."""
    text = {field.name: ["x"] if field.listed else "x" for field in text_fields(row["type"]) if field.required}
    return {**row, **text, "id": f"k{number}"}


@st.composite
def refused_corrections(draw: st.DrawFn) -> list[tuple[dict[str, Any], str]]:
    """A correction of every text field of every fact, each to a value the
    field refuses; with the sentence naming the fact and its field."""
    lines = []
    for number, row in enumerate(SKELETON):
        subject = next(name for name in SUBJECTS if name in plain(row, number))
        for field in text_fields(row["type"]):
            if field.name in ("id", subject):
                continue
            bad, said = draw(refused(field))
            line = {"type": "FactCorrected", subject: plain(row, number)[subject], "target": f"k{number}"}
            lines.append(
                (
                    {**line, "changes": {field.name: bad}, "reason": "r"},
                    f"correcting fact 'k{number}' ({row['type']}): {said}",
                )
            )
    return lines


@pytest.fixture
def plain_record(db: str) -> str:
    """The record of every type, its text plain."""
    recorded = submit_rows(db, *(plain(row, number) for number, row in enumerate(SKELETON)))
    assert recorded.exit_code == 0, recorded.output
    return db


@settings(**HOSTILE, max_examples=10 if CI else 15)
@given(lines=refused_corrections())
def test_a_correction_to_text_a_field_refuses_is_refused_naming_the_fact_and_the_field(
    plain_record: str, lines: list[tuple[dict[str, Any], str]]
) -> None:
    refused_whole(plain_record, lines)
