"""The demo, and the commands that read: partners, a partner's timeline, the
audit log, the schema and the help of each event type."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.values import EventDate
from domain.vocabulary import AMENDMENTS, VOCABULARY
from tests.helpers import accord, as_json, stored_facts, submit_rows
from workflows.cli.admin import demo_data

pytestmark = pytest.mark.integration

DEMO_PARTNERS = {"TN", "MA", "MR", "TR", "RS", "LY", "AL", "BA"}
DEMO_EVENTS = sum(1 for line in demo_data().read_text().splitlines() if line.strip() and not line.startswith("#"))


def names(rows: list[dict[str, str]], partner: str) -> bool:
    return all(partner in row["subject"].split(",") for row in rows)


# 4. The demo


def test_demo_on_an_empty_store_records_the_note_and_lists_its_partnerships(db: str) -> None:
    result = accord(db, "demo")
    assert result.exit_code == 0, result.output
    assert f"recorded {DEMO_EVENTS} event(s): " in result.stdout
    assert "Partnerships" in result.stdout
    assert stored_facts(db) == DEMO_EVENTS
    codes = {row["code"] for row in as_json(accord(db, "partners", "--json"))}
    assert codes >= DEMO_PARTNERS


def test_demo_run_again_records_nothing_new(demo_db: str) -> None:
    again = accord(demo_db, "demo")
    assert again.exit_code == 0, again.output
    assert f"recorded 0 event(s)\nalready recorded: {DEMO_EVENTS} (stored nothing for them)\n" in again.stdout
    assert stored_facts(demo_db) == DEMO_EVENTS


def test_partners_on_an_empty_store_says_nothing_is_recorded_yet(db: str) -> None:
    result = accord(db, "partners")
    assert result.exit_code == 0
    assert result.stdout == "nothing recorded yet\n"
    assert as_json(accord(db, "partners", "--json")) == []


# 5. A partner's timeline


def test_partner_show_tr_includes_the_statement_and_the_jha_council_in_date_order(demo_db: str) -> None:
    rows = as_json(accord(demo_db, "partner", "show", "tr", "--json"))
    types = [row["type"] for row in rows]
    assert "StatementReaffirmed" in types
    meetings = [row for row in rows if row["type"] == "MeetingScheduled"]
    assert any("Justice and Home Affairs Council" in row["summary"] for row in meetings)
    assert names(rows, "TR")
    dates = [EventDate.parse(row["occurred_on"]).earliest for row in rows]
    assert dates == sorted(dates)
    # For people: types in words, no column of codes and references.
    table = accord(demo_db, "partner", "show", "tr", "--wide").stdout
    assert "statement reaffirmed" in table and "meeting scheduled" in table
    assert "StatementReaffirmed" not in table and "MeetingScheduled" not in table and "subject" not in table


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("XX", "accord: unknown partner 'XX': not an ISO 3166-1 alpha-2 country code\n"),
        ("EG", "accord: partnership EG is not opened: record PartnershipOpened for it first\n"),
    ],
)
def test_partner_show_of_a_partnership_not_opened_exits_2(demo_db: str, code: str, says: str) -> None:
    result = accord(demo_db, "partner", "show", code)
    assert result.exit_code == 2
    assert result.stderr == says
    assert stored_facts(demo_db) == DEMO_EVENTS


@pytest.mark.parametrize("typed", ["Tunisia", "tunisia", "TN"])
def test_a_partnership_report_takes_the_partners_name_where_its_code_is_asked(demo_db: str, typed: str) -> None:
    result = accord(demo_db, "report", "partnership", typed, "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Partnership with Tunisia (TN)"


def test_an_unknown_partner_name_is_refused_naming_the_closest_partners(demo_db: str) -> None:
    result = accord(demo_db, "tasks", "--partner", "Marocco")

    assert result.exit_code == 2
    assert (
        "accord: unknown partner 'Marocco': neither an ISO 3166-1 alpha-2 code nor a country's name; " in result.stderr
    )
    assert "MA (Morocco)" in result.stderr


# 6. The audit log


def test_audit_log_rows_say_where_when_who_what_and_on_whom(demo_db: str) -> None:
    rows = as_json(accord(demo_db, "audit", "log", "--json"))
    # The facts people submitted, and what Accord recorded itself: the tasks they opened.
    assert len([row for row in rows if row["actor"] == "tester"]) == DEMO_EVENTS
    assert {row["type"] for row in rows if row["actor"] == "accord"} <= {"TaskOpened", "TaskCompleted"}
    assert all(row.keys() >= {"position", "recorded_at", "actor", "type", "subject", "summary"} for row in rows)
    assert {row["actor"] for row in rows} == {"tester", "accord"}
    positions = [row["position"] for row in rows]
    assert positions == sorted(set(positions))
    assert all(datetime.fromisoformat(row["recorded_at"]).utcoffset() is not None for row in rows)


def table_row(table: str, position: int) -> list[str]:
    """The cells of a table's row at a position, its wrapped lines joined."""
    rows: list[list[str]] = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("│").split("│")] if line.startswith("│") else []
        if cells and cells[0]:
            rows.append(cells)
        elif cells and rows:
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
    return next(row for row in rows if row[0] == str(position))


def test_audit_log_table_says_when_in_the_business_zone_the_type_in_words_and_the_subject_by_name(
    demo_db: str,
) -> None:
    table = accord(demo_db, "audit", "log", "--wide").stdout
    rows = {row["position"]: row for row in as_json(accord(demo_db, "audit", "log", "--json"))}
    first, meeting, held = (
        next(row for row in rows.values() if row["type"] == name and cond(row))
        for name, cond in [
            ("PartnershipOpened", lambda row: row["subject"] == "MA"),
            ("MeetingScheduled", lambda row: row["subject"] == "MA,TN,MR,LY"),
            ("MeetingHeld", lambda row: row["subject"] == "counter-smuggling-conference-2020"),
        ]
    )
    task = next(row for row in rows.values() if row["type"] == "TaskCompleted")
    moment = datetime.fromisoformat(first["recorded_at"]).astimezone(ZoneInfo("Europe/Brussels"))

    assert table_row(table, first["position"])[1:5] == [
        f"{moment:%Y-%m-%d %H:%M:%S} Europe/Brussels",
        "tester",
        "partnership opened",
        "Morocco",
    ]
    assert table_row(table, meeting["position"])[3:5] == [
        "meeting scheduled",
        "Morocco, Tunisia, Mauritania and Libya",
    ]
    assert table_row(table, held["position"])[3:] == [
        "meeting held",
        "Counter-smuggling conference hosted by Italy with North African countries of July 2020",
        "Counter-smuggling conference hosted by Italy with North African countries of July 2020 held: "
        "Results the EU action plan against migrant smuggling will build upon",
    ]
    assert table_row(table, task["position"])[3:5] == [
        "task completed",
        "Prepare the briefing for the Counter-smuggling conference hosted by Italy with…",
    ]


def test_audit_log_names_a_dialogue_by_its_title_in_its_sentence_and_json_keeps_the_partners_code(
    demo_db: str,
) -> None:
    launched = {"partner": "TN", "dialogue": "tn-msd", "title": "Migration and security dialogue"}
    assert (
        submit_rows(
            demo_db,
            {"type": "DialogueLaunched", "occurred_on": "2021-06-01", **launched},
            {"type": "DialogueRoundHeld", "partner": "TN", "dialogue": "tn-msd", "occurred_on": "2021-06-20"},
        ).exit_code
        == 0
    )

    table = accord(demo_db, "audit", "log", "--type", "DialogueRoundHeld", "--wide").stdout
    [row] = as_json(accord(demo_db, "audit", "log", "--type", "DialogueRoundHeld", "--json"))

    assert table_row(table, row["position"])[3:] == [
        "dialogue round held",
        "Tunisia",
        "Round of Migration and security dialogue with Tunisia held",
    ]
    assert (row["subject"], row["summary"]) == ("TN", "Round of Migration and security dialogue with Tunisia held")


def test_audit_log_filters_by_partner_and_by_type(demo_db: str) -> None:
    by_partner = as_json(accord(demo_db, "audit", "log", "--partner", "tn", "--json"))
    # Later events of a meeting naming TN (MeetingHeld) belong to TN's record
    # too, as do the later events of TN's tasks.
    assert names([row for row in by_partner if row["type"] not in ("MeetingHeld", "TaskCompleted")], "TN")
    assert {"TaskOpened"} <= {row["type"] for row in by_partner}
    assert {"PartnershipOpened", "VisitHeld", "MeetingScheduled", "MeetingHeld"} <= {row["type"] for row in by_partner}
    visits = as_json(accord(demo_db, "audit", "log", "--type", "VisitHeld", "--json"))
    assert len(visits) == 7 and {row["type"] for row in visits} == {"VisitHeld"}
    both = as_json(accord(demo_db, "audit", "log", "--partner", "TN", "--type", "VisitHeld", "--json"))
    assert [row["occurred_on"] for row in both] == ["2020-08", "2021-05"]


def test_an_empty_window_of_the_audit_log_says_it_is_of_recording_time_and_what_the_log_holds(demo_db: str) -> None:
    result = accord(demo_db, "audit", "log", "--since", "2021-06-01", "--until", "2021-06-30T00:00Z")

    assert result.exit_code == 0
    assert result.stdout.startswith(
        "nothing was recorded between 2021-06-01 00:00:00 Europe/Brussels and 2021-06-30 00:00:00 UTC "
        "(recording time; the log holds records from "
    )
    assert str(datetime.now().year) in result.stdout


def test_an_empty_audit_log_of_a_type_and_partner_names_them(demo_db: str) -> None:
    result = accord(demo_db, "audit", "log", "--type", "DialogueLaunched", "--partner", "rs")

    assert result.stdout.startswith(
        "no DialogueLaunched event on or naming RS was recorded (the log holds records from"
    )


def test_audit_log_of_an_unknown_type_exits_2(demo_db: str) -> None:
    result = accord(demo_db, "audit", "log", "--type", "VisitHappened")
    assert result.exit_code == 2
    assert result.stderr.startswith("accord: unknown event type 'VisitHappened'")


# 7. The schema (needs no store)


def test_schema_prints_json_listing_every_event_type(tmp_path: Path) -> None:
    result = accord(str(tmp_path / "unused.db"), "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(VOCABULARY) <= set(schema["$defs"])
    # Corrections and retractions: one each per kind of record they amend.
    amendments = [
        f"{name}_{subject}"
        for name in AMENDMENTS
        for subject in ("partner", "meeting", "initiative", "instrument", "indicator")
    ]
    assert sorted(ref["$ref"] for ref in schema["oneOf"]) == [
        f"#/$defs/{name}" for name in sorted([*VOCABULARY, *amendments])
    ]
    assert not (tmp_path / "unused.db").exists()


def test_schema_of_one_type_lists_its_required_fields(tmp_path: Path) -> None:
    result = accord(str(tmp_path / "unused.db"), "schema", "VisitHeld")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(schema["required"]) == {"type", "partner", "occurred_on", "visitors"}
    assert schema["properties"]["visitors"]["description"] == "Who visited"


def test_schema_of_an_unknown_type_exits_2(tmp_path: Path) -> None:
    result = accord(str(tmp_path / "unused.db"), "schema", "Nope")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "accord: unknown event type 'Nope'; known types: ActualReported, ArrivalsReported, "
    )
    assert result.stdout == ""


# 8. Help


def test_submit_help_of_an_event_type_describes_each_field(tmp_path: Path) -> None:
    result = accord(str(tmp_path / "unused.db"), "submit", "VisitHeld", "--help")
    assert result.exit_code == 0
    help_text = " ".join(result.stdout.split())
    for description in [
        "--partner TEXT ISO 3166-1 alpha-2 code of the partner country, e.g. TN [required]",
        "Who visited (repeat the option for several) [required]",
        "Whom they met",
        "Where",
    ]:
        assert description in help_text
    assert "accord submit VisitHeld --occurred-on 2021-05-20 --partner TN --visitors ..." in help_text


def test_submit_help_of_an_event_type_says_what_the_event_records(tmp_path: Path) -> None:
    help_text = " ".join(accord(str(tmp_path / "unused.db"), "submit", "VisitHeld", "--help").stdout.split())
    listing = accord(str(tmp_path / "unused.db"), "submit", "--help").stdout
    assert "A visit to the partner took place." in help_text
    assert "A visit to the partner took place." in listing
