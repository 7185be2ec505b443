"""Formats other systems read stay well-formed whatever the record holds:
the IATI export never writes a character XML 1.0 forbids (each becomes
U+FFFD), checks its own file against the IATI 2.03 schema before it exits
0, and Accord's own import reads it back; the iCalendar export escapes text
as RFC 5545 says, removes control characters and folds its lines, so the
icalendar package reads every value back. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest
from lxml import etree

from tests.helpers import accord, as_json, initialised, open_partners
from tests.hostile import record_unchecked

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).parent.parent / "reference" / "iati-2.03" / "iati-activities-schema.xsd"
FUNDED = {
    "type": "FundingCommitted",
    "partner": "TN",
    "occurred_on": "2021-03-01",
    "funding": "tn-jobs",
    "instrument": "NDICI",
    "amount": "EUR 1000000",
    "title": "jobs",
}
# What XML takes once escaped, and what it cannot hold at all.
MARKUP = "tab\there, line\nbreak & <b>bold</b> \"quoted\" 'single' ]]> <![CDATA[x]]> &amp;"
FORBIDDEN = "esc\x1b vt\x0b ff\x0c bell\x07 nonchar\ufffe\uffff end"


def validated(path: Path) -> etree._ElementTree:
    document = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(document), schema.error_log
    return document


def titles(document: etree._ElementTree) -> list[str]:
    return [activity.findtext("title/narrative") for activity in document.iter("iati-activity")]


def test_control_characters_in_a_funding_title_never_reach_the_iati_xml(db: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    record_unchecked(db, FUNDED, title=FORBIDDEN, id="key\x1bwith\x0bcontrols")
    path = tmp_path / "iati.xml"

    result = accord(db, "export", "iati", "-o", str(path))

    assert result.exit_code == 0, result.output
    assert titles(validated(path)) == ["esc\ufffd vt\ufffd ff\ufffd bell\ufffd nonchar\ufffd\ufffd end"]
    other = initialised(str(tmp_path / "other.db"))
    open_partners(other, "TN")
    imported = accord(other, "import", "iati", str(path))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == "recorded FundingCommitted on TN (key key\ufffdwith\ufffdcontrols)\n"


def test_markup_and_very_long_text_in_a_funding_title_round_trip_through_iati_xml(db: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    title = MARKUP + " " + "w" * 5000
    record_unchecked(db, FUNDED, title=title)  # longer than a title is today: recorded before the bound
    path = tmp_path / "iati.xml"

    assert accord(db, "export", "iati", "-o", str(path)).exit_code == 0

    assert titles(validated(path)) == [title]


def test_an_iati_export_that_fails_its_own_check_exits_1_naming_what_failed(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Accord as it was, writing what the record holds as it is: its check
    # now stops the file.
    from workflows.interchange import iati

    monkeypatch.setattr(iati, "_writable", lambda root: None)
    open_partners(db, "TN")
    record_unchecked(db, FUNDED, title=FORBIDDEN)
    path = tmp_path / "iati.xml"

    result = accord(db, "export", "iati", "-o", str(path))

    assert result.exit_code == 1
    assert result.stderr == (
        "accord: the IATI export is not well-formed XML (PCDATA invalid Char value 27, line 9, column 21); "
        "nothing was written\n"
    )
    assert not path.exists()


def calendar(db: str, tmp_path: Path) -> icalendar.Calendar:
    path = tmp_path / "deadlines.ics"
    result = accord(db, "export", "ics", "-o", str(path))
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    assert b"\x1b" not in raw and b"\x0b" not in raw and b"\r\r" not in raw
    return icalendar.Calendar.from_ical(raw)


def test_icalendar_text_is_escaped_stripped_of_controls_and_folded(db: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    said = "a\\b;c,d\nNote: e\rf\tg " + "é" * 300
    commitment = {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-02-01",
        "commitment": "c1",
        "party": "eu",
        "description": "x",
    }
    record_unchecked(db, commitment, description=said + " \x1bend\x0b")
    meeting = {
        "type": "MeetingScheduled",
        "meeting": "m1",
        "occurred_on": "2021-01-05",
        "body": "Council; of, ministers\\",
        "held_on": "2031-06-07",
        "partners": ["TN"],
    }
    record_unchecked(db, meeting, title="on\nmigration")  # a title of one line today

    parsed = calendar(db, tmp_path)

    tasks = {row["task_id"]: row for row in as_json(accord(db, "tasks", "--json"))}
    [todo] = [todo for todo in parsed.walk("VTODO") if "Note" in str(todo["SUMMARY"])]
    title = tasks[str(todo["X-ACCORD-TASK"])]["title"]
    assert str(todo["SUMMARY"]) == title.replace("\r", "\n").replace("\x1b", "").replace("\x0b", "\n")
    # The task's title, made from the description (domain.text.fit): one line.
    made = "Agree a date for, then verify, the commitment by the EU (Tunisia): a\\b;c,d Note: e f g é"
    assert str(todo["SUMMARY"]).startswith(made)
    [event] = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Council; of, ministers\\: on\nmigration"
