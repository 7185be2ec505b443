"""Corrections and retractions (`accord correct`, `accord retract`, and
FactCorrected / FactRetracted lines in `submit --file`): every view,
report format, export, task, replay and audit goes by the amended record,
and the log keeps both. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from lxml import etree

from tests.helpers import accord, application, as_json, initialised, stored_count, submit_rows, visit
from workflows.application.compose import build
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

NDICI = "NDICI-Global Europe"


def record(db: str) -> str:
    """Tunisia with one funded action (EUR 1,000,000 committed, 250,000 paid),
    a visit, a commitment due at the end of 2026, and a meeting in June 2026."""
    rows = [
        {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15", "id": "tn-open"},
        {
            "type": "FundingCommitted",
            "partner": "TN",
            "occurred_on": "2021-03-15",
            "funding": "tn-border",
            "instrument": NDICI,
            "amount": "EUR 1000000",
            "title": "Border management",
            "id": "tn-commit",
        },
        {
            "type": "FundingDisbursed",
            "partner": "TN",
            "occurred_on": "2021-06-01",
            "funding": "tn-border",
            "amount": "EUR 250000",
            "id": "tn-paid",
        },
        visit("TN", 20, id="tn-visit"),
        {
            "type": "CommitmentRecorded",
            "partner": "TN",
            "occurred_on": "2021-06-01",
            "commitment": "returns",
            "party": "partner",
            "description": "Readmission procedures agreed",
            "due_on": "2026-12-31",
            "id": "tn-returns",
        },
        {
            "type": "MeetingScheduled",
            "meeting": "jha-2099",
            "occurred_on": "2021-06-01",
            "body": "Justice and Home Affairs Council",
            "held_on": "2099-06",
            "partners": ["TN"],
            "id": "jha",
        },
    ]
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def tn(db: str) -> str:
    return record(db)


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


def funding_line(db: str, fmt: str = "json") -> Any:
    output = ok(accord(db, "report", "funding", "--format", fmt))
    if fmt != "json":
        return output
    [lines] = [table for table in json.loads(output)["tables"] if table["title"].startswith("Funding lines")]
    [line] = lines["rows"]
    return line


def tasks_of(db: str, rule: str) -> list[dict[str, Any]]:
    return [task for task in as_json(accord(db, "tasks", "--json", "--status", "all")) if task["rule"] == rule]


def test_a_corrected_commitment_goes_through_every_report_format_and_the_iati_export(tn: str) -> None:
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 900000", "--reason", "typo"))

    line = funding_line(tn)
    assert (line["committed"], line["disbursed"]) == ("900000", "250000")
    assert "900,000" in funding_line(tn, "md") and "1,000,000" not in funding_line(tn, "md")
    assert "900,000" in funding_line(tn, "html") and "1,000,000" not in funding_line(tn, "html")
    rows = list(csv.DictReader(io.StringIO(funding_line(tn, "csv"))))
    assert any(row.get("committed") == "900000" for row in rows)

    xml = etree.fromstring(ok(accord(tn, "export", "iati")).encode())
    values = {t.find("transaction-type").get("code"): t.find("value").text for t in xml.iter("transaction")}
    assert values == {"2": "900000", "3": "250000"}


def test_a_retracted_disbursement_leaves_the_ledger_and_the_iati_export(tn: str) -> None:
    ok(accord(tn, "retract", "tn-paid", "--partner", "TN", "--reason", "paid to another action"))

    assert funding_line(tn)["disbursed"] == "0"
    xml = etree.fromstring(ok(accord(tn, "export", "iati")).encode())
    assert [t.get("code") for t in xml.iter("transaction-type")] == ["2"]


def test_a_correction_that_would_break_the_record_is_refused_and_stores_nothing(tn: str) -> None:
    before = stored_count(tn)

    below = accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 200000", "--reason", "x")
    retract = accord(tn, "retract", "tn-commit", "--partner", "TN", "--reason", "x")
    first = accord(tn, "retract", "tn-open", "--partner", "TN", "--reason", "x")
    unknown = accord(tn, "correct", "nope", "--partner", "TN", "--set", "notes=x", "--reason", "x")

    assert below.exit_code == retract.exit_code == first.exit_code == unknown.exit_code == 2
    assert "would exceed its commitment of EUR 200,000" in below.output
    assert "funding 'tn-border' with TN is not committed" in retract.output
    assert "can be corrected, not retracted" in first.output
    assert "no fact with key 'nope' is recorded on partnership TN" in unknown.output
    assert stored_count(tn) == before


def test_a_retracted_visit_leaves_every_view_and_its_open_task_is_cancelled_saying_why(tn: str) -> None:
    [task] = tasks_of(tn, "visit-held-follow-up")
    assert task["status"] == "open"

    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "the visit was to Morocco"))

    [task] = tasks_of(tn, "visit-held-follow-up")
    assert task["status"] == "cancelled"
    assert task["outcome"] == "FactRetracted by tester: the visit was to Morocco"
    [partner] = as_json(accord(tn, "partners", "--json"))
    assert partner["visits"] == 0
    timeline = as_json(accord(tn, "partner", "show", "TN", "--json"))
    assert "VisitHeld" not in json.dumps(timeline)


def test_a_corrected_due_date_moves_its_open_task_earlier_or_later(tn: str) -> None:
    [task] = tasks_of(tn, "commitment-recorded-verify")
    due = task["due_on"]

    ok(accord(tn, "correct", "tn-returns", "--partner", "TN", "--set", "due_on=2026-09-30", "--reason", "misread"))

    [moved] = tasks_of(tn, "commitment-recorded-verify")
    assert moved["task_id"] == task["task_id"]
    assert moved["due_on"] < due
    assert moved["status"] == "open"


def test_a_corrected_visit_date_moves_its_task_and_retitles_it(tn: str) -> None:
    [task] = tasks_of(tn, "visit-held-follow-up")
    assert task["title"] == "Follow up on the visit to Tunisia of 20 May 2021: report and next steps"

    ok(accord(tn, "correct", "tn-visit", "--partner", "TN", "--set", "occurred_on=2021-05-22", "--reason", "x"))

    [moved] = tasks_of(tn, "visit-held-follow-up")
    assert moved["title"] == "Follow up on the visit to Tunisia of 22 May 2021: report and next steps"
    assert moved["due_on"] == "2021-06-21"
    assert "2021-05-22" in moved["basis"]


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_a_retraction_and_a_correction_go_through_every_format_of_the_partnership_report(tn: str, fmt: str) -> None:
    before = ok(accord(tn, "report", "partnership", "TN", "--format", fmt))
    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "the visit was to Morocco"))
    ok(accord(tn, "correct", "tn-returns", "--partner", "TN", "--set", "description=Returns agreed", "--reason", "x"))

    after = ok(accord(tn, "report", "partnership", "TN", "--format", fmt))

    assert "2021-05-20" in before and "Readmission procedures agreed" in before
    assert "2021-05-20" not in after  # the visit, its timeline row and its task are gone
    assert "Readmission procedures agreed" not in after and "Returns agreed" in after


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_a_retraction_and_a_correction_go_through_every_format_of_the_portfolio_report(tn: str, fmt: str) -> None:
    before = ok(accord(tn, "report", "portfolio", "--format", fmt))
    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "the visit was to Morocco"))
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 900000", "--reason", "typo"))

    after = ok(accord(tn, "report", "portfolio", "--format", fmt))

    amount = "900000" if fmt in ("json", "csv") else "900,000"
    assert "2021-05-20" in before and amount not in before  # the last visit; the amount as first recorded
    assert "2021-05-20" not in after and amount in after


def test_a_retracted_commitment_leaves_the_calendar_with_its_task(tn: str, tmp_path: Path) -> None:
    def todos() -> list[str]:
        path = tmp_path / "calendar.ics"
        ok(accord(tn, "export", "ics", "-o", str(path)))
        return [str(todo["SUMMARY"]) for todo in icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")]

    assert any("Readmission procedures agreed" in summary for summary in todos())
    ok(accord(tn, "retract", "tn-returns", "--partner", "TN", "--reason", "never agreed"))
    assert not any("Readmission procedures agreed" in summary for summary in todos())


def test_known_at_before_a_correction_shows_the_old_value_as_of_shows_the_new(tn: str) -> None:
    then = datetime.now(UTC)
    time.sleep(0.05)
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 900000", "--reason", "typo"))

    def committed(*args: str) -> str:
        report = as_json(accord(tn, "audit", "replay", *args, "--format", "json"))
        return json.dumps(report["figures"])

    assert '"Funding: committed EUR": "1000000"' in committed("--known-at", then.isoformat())
    assert '"Funding: committed EUR": "900000"' in committed("--known-at", datetime.now(UTC).isoformat())
    assert '"Funding: committed EUR": "900000"' in committed("--as-of", date.today().isoformat())


def test_known_at_before_a_retraction_shows_the_fact_and_its_task(tn: str) -> None:
    as_json(accord(tn, "tasks", "--json"))  # the follower opens the visit's task
    then = datetime.now(UTC)
    time.sleep(0.05)
    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "wrong partner"))
    as_json(accord(tn, "tasks", "--json"))  # the follower cancels it: recorded after the retraction

    def shown(*args: str) -> str:
        return json.dumps(as_json(accord(tn, "audit", "replay", *args, "--partner", "TN", "--format", "json")))

    assert "Follow up on the visit to Tunisia" in shown("--known-at", then.isoformat())
    assert "Follow up on the visit to Tunisia" not in shown("--known-at", datetime.now(UTC).isoformat())
    assert "Follow up on the visit to Tunisia" not in shown("--as-of", date.today().isoformat())


def test_as_of_goes_by_a_date_as_corrected(tn: str) -> None:
    ok(accord(tn, "correct", "tn-paid", "--partner", "TN", "--set", "occurred_on=2022-02-01", "--reason", "date"))

    def disbursed(day: str) -> str:
        report = as_json(accord(tn, "audit", "replay", "--as-of", day, "--format", "json"))
        return str(report["figures"].get("Funding: disbursed EUR"))

    assert disbursed("2021-12-31") == "0"
    assert disbursed("2022-02-01") == "250000"


def test_the_audit_log_shows_the_fact_and_its_correction_and_verify_passes(tn: str) -> None:
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 900000", "--reason", "typo"))
    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "wrong partner"))

    log = as_json(accord(tn, "audit", "log", "--partner", "TN", "--json"))
    by_type = {row["type"]: row for row in log}
    assert "Funding of EUR 1,000,000 committed to Tunisia" in by_type["FundingCommitted"]["summary"]
    assert by_type["FactCorrected"]["summary"] == "Fact tn-commit on Tunisia corrected (typo): amount now EUR 900,000"
    assert by_type["FactRetracted"]["summary"] == "Fact tn-visit on Tunisia retracted: wrong partner"
    assert [row["type"] for row in as_json(accord(tn, "audit", "log", "--type", "FactCorrected", "--json"))] == [
        "FactCorrected"
    ]
    verify = accord(tn, "audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_a_snapshotted_partnership_corrected_far_back_verifies_and_decides_on_the_amended_state(tn: str) -> None:
    # Past a snapshot (every 100 events), then the first commitment corrected.
    assert submit_rows(tn, *(visit("TN", 1 + n % 28, id=f"v{n}") for n in range(120))).exit_code == 0
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 300000", "--reason", "typo"))

    over = {"type": "FundingDisbursed", "partner": "TN", "occurred_on": "2022", "funding": "tn-border"}
    assert submit_rows(tn, {**over, "amount": "EUR 60000"}).exit_code == 2  # 50,000 remain
    assert submit_rows(tn, {**over, "amount": "EUR 50000"}).exit_code == 0
    verify = accord(tn, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "snapshot" in verify.output


def test_a_meeting_corrected_to_another_month_is_exported_as_that_month(tn: str, tmp_path: Path) -> None:
    ok(accord(tn, "correct", "jha", "--meeting", "jha-2099", "--set", "held_on=2099-09", "--reason", "moved"))

    path = tmp_path / "calendar.ics"
    ok(accord(tn, "export", "ics", "-o", str(path)))
    [event] = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (date(2099, 9, 1), date(2099, 10, 1))


def test_a_meeting_corrected_to_name_other_partners_moves_to_their_timelines(tn: str) -> None:
    unopened = accord(tn, "correct", "jha", "--meeting", "jha-2099", "--set", 'partners=["MA"]', "--reason", "x")
    assert unopened.exit_code == 2
    assert "partnership MA is not opened" in unopened.output
    ok(submit_rows(tn, {"type": "PartnershipOpened", "partner": "MA", "occurred_on": "2021-01-15"}))

    ok(accord(tn, "correct", "jha", "--meeting", "jha-2099", "--set", 'partners=["ma"]', "--reason", "wrong agenda"))

    def meetings_in(partner: str) -> list[str]:
        timeline = as_json(accord(tn, "partner", "show", partner, "--json"))
        return [row["subject"] for row in timeline if row["type"] == "MeetingScheduled"]

    assert (meetings_in("TN"), meetings_in("MA")) == ([], ["MA"])


def test_exported_events_carry_the_amendments_and_give_another_store_the_same_record(tn: str, tmp_path: Path) -> None:
    ok(accord(tn, "correct", "tn-commit", "--partner", "TN", "--set", "amount=EUR 900000", "--reason", "typo"))
    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "wrong partner"))
    exported = tmp_path / "record.jsonl"
    ok(accord(tn, "export", "events", "-o", str(exported)))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [line["type"] for line in lines[-2:]] == ["FactCorrected", "FactRetracted"]
    assert lines[-2]["changes"] == {"amount": {"amount": "900000", "currency": "EUR"}}

    copy = initialised(str(tmp_path / "copy.db"))
    ok(accord(copy, "submit", "--file", str(exported)))
    ok(accord(copy, "submit", "--file", str(exported)))  # again: recorded once

    assert funding_line(copy) == funding_line(tn)
    assert as_json(accord(copy, "partners", "--json")) == as_json(accord(tn, "partners", "--json"))
    assert stored_count(copy) == stored_count(tn)


def test_a_file_corrects_a_fact_recorded_earlier_in_the_same_file(db: str) -> None:
    rows = [
        {"type": "PartnershipOpened", "partner": "MA", "occurred_on": "2021-01-15"},
        visit("MA", 3, id="ma-visit"),
        {
            "type": "FactCorrected",
            "partner": "MA",
            "target": "ma-visit",
            "changes": {"place": "Rabat", "visitors": ["Commissioner Várhelyi"]},
            "reason": "copied from the wrong note",
        },
    ]
    ok(submit_rows(db, *rows))

    [row] = [r for r in as_json(accord(db, "audit", "log", "--partner", "MA", "--json")) if r["type"] == "VisitHeld"]
    timeline = json.dumps(as_json(accord(db, "partner", "show", "MA", "--json")), ensure_ascii=False)
    assert "Várhelyi" in timeline and "Rabat" in timeline
    assert "Johansson" in row["summary"]  # the log keeps what was first recorded


def test_the_policy_limits_who_may_correct_and_retract(tn: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[roles]\nregistry = ["rita"]\n\n[permit]\nFactCorrected = ["registry"]\n')

    def correct(actor: str) -> Any:
        return accord(
            tn, "--policy", str(policy), "correct", "tn-visit", "--partner", "TN",
            "--set", "place=Tunis", "--reason", "x", actor=actor,
        )  # fmt: skip

    refused = correct("tom")
    assert refused.exit_code == 2
    assert "tom may not record FactCorrected" in refused.output
    assert correct("rita").exit_code == 0


def test_a_correction_by_position_and_a_malformed_one_say_what_is_wrong(tn: str) -> None:
    as_json(accord(tn, "tasks", "--json"))  # the follower opens the record's tasks
    log = as_json(accord(tn, "audit", "log", "--json"))
    [row] = [r for r in log if r["key"] == "tn-visit"]
    task = next(r["position"] for r in log if r["type"] == "TaskOpened")
    ok(accord(tn, "correct", "--position", str(row["position"]), "--set", "place=Tunis", "--reason", "x"))

    cases = {
        ("correct", "tn-visit", "--set", "place=Sfax", "--reason", "x"): "with KEY, name the fact's record",
        ("correct", "--position", str(task), "--set", "x=1", "--reason", "x"): "only facts people recorded",
        ("correct", "--position", "99999", "--set", "x=1", "--reason", "x"): "nothing is recorded at position",
        ("correct", "tn-visit", "--partner", "TN", "--set", "place=Tunis", "--reason", "y"): "it changes nothing",
        ("correct", "tn-visit", "--partner", "TN", "--set", "visits=2", "--reason", "x"): "has no field 'visits'",
        ("correct", "tn-visit", "--partner", "TN", "--set", "partner=MA", "--reason", "x"): "cannot be corrected",
        ("correct", "tn-visit", "--partner", "TN", "--set", "visitors=[]", "--reason", "x"): "visitors",
        ("correct", "tn-visit", "--partner", "TN", "--set", "occurred_on=2999-01-01", "--reason", "x"): "after",
    }
    for args, said in cases.items():
        result = accord(tn, *args)
        assert result.exit_code == 2, (args, result.output)
        assert said in result.output, (args, result.output)


def test_a_position_beyond_the_log_or_a_value_nested_thousands_deep_is_one_sentence(tn: str) -> None:
    far = accord(tn, "correct", "--position", str(2**63), "--set", "place=Sfax", "--reason", "x")
    deep = accord(tn, "correct", "tn-visit", "--partner", "TN", "--set", "visitors=" + "[" * 5000, "--reason", "x")

    assert far.exit_code == 2
    said = f"Invalid value for '--position': {2**63} is larger than any a store holds (at most 9,223,372,036,854,775"
    assert said in far.output
    assert deep.exit_code == 2
    assert "Invalid value for --set: visitors: not valid JSON (depth limit exceeded: line 1 column 1026" in deep.output
    assert "RecursionError" not in deep.output + far.output


def test_an_amendment_line_names_its_record_by_one_field(db: str) -> None:
    line = {"type": "FactRetracted", "target": "k", "reason": "x"}

    none = submit_rows(db, line)
    two = submit_rows(db, {**line, "partner": "TN", "meeting": "m"})

    assert none.exit_code == two.exit_code == 2
    assert "names the record of the fact it amends by one field of partner, meeting, initiative" in none.output
    assert "not 2" in two.output


def test_an_application_decides_on_a_partnership_amended_since_its_snapshot(tn: str) -> None:
    """A process that loaded the partnership before the correction decides on
    the amended record once it loads it again."""
    app = build(Settings(db=tn))
    try:
        from domain.partnership import Partnership

        before = app.find(Partnership.id_for("TN"))
        ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "x"))
        after = app.find(Partnership.id_for("TN"))
        assert (before.counts.visits, after.counts.visits) == (1, 0)
        assert after.version == before.version + 1
    finally:
        app.close()


def test_the_people_a_form_offers_follow_corrections_and_retractions(tn: str) -> None:
    def people() -> dict[str, int]:
        accord(tn, "partners")  # brings the views up to date
        with application(tn) as app:
            return {row["name"]: row["facts"] for row in app.reader.people.names()}

    named = people()
    assert named and all(count == 1 for count in named.values())

    ok(accord(tn, "correct", "tn-visit", "--partner", "TN", "--set", 'visitors=["Commissioner Várhelyi"]',
              "--reason", "the other commissioner"))  # fmt: skip
    assert people() == {"Commissioner Várhelyi": 1}

    ok(accord(tn, "retract", "tn-visit", "--partner", "TN", "--reason", "no such visit"))
    assert people() == {}
