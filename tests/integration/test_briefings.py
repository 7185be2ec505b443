"""Meeting briefings as a reader meets them: the demo's JHA Council with the
eight partners on its agenda, their latest facts and open items, a meeting
held, a meeting never scheduled, and the view behind it rebuilt. Each test
runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from domain.errors import DomainError
from tests.helpers import accord, application, opened, submit_rows, visit
from workflows.application.service import Accord
from workflows.projections.tasks.queries import TaskFilter
from workflows.reports import Report, Table, render
from workflows.reports.briefing import LATEST, briefing_report

pytestmark = pytest.mark.integration

JHA = "jha-council-2021-06-07"
AGENDA = ["MA", "TN", "MR", "TR", "RS", "LY", "AL", "BA"]
TODAY = date(2021, 6, 1)

Row = dict[str, Any]


@pytest.fixture
def app(demo_db: str) -> Iterator[Accord]:
    with application(demo_db) as app:
        yield app


def briefing(app: Accord, meeting: str = JHA) -> Report:
    app.refresh()
    return briefing_report(app, meeting, today=TODAY)


def table(report: Report, title: str) -> Table:
    [found] = [t for t in report.tables if t.title.endswith(title)]
    return found


def open_items(report: Report, partner: str, item: str) -> list[Row]:
    return [row for row in table(report, "Open items").rows if (row["partner"], row["item"]) == (partner, item)]


def submitted(db: str, *rows: Row) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


def view_rows(app: Accord) -> tuple[list[Row], list[Row]]:
    """The meetings view's rows, and the timeline's the briefings read."""
    meetings, timeline = app.views.table("meetings"), app.views.table("timeline")
    rows = app.views.db.query(f"SELECT * FROM {meetings} ORDER BY meeting")
    return rows, app.views.db.query(f"SELECT * FROM {timeline} ORDER BY partner, position")


# The demo's JHA Council


def test_the_briefing_is_titled_by_body_and_date_and_names_every_partner_on_the_agenda(app: Accord) -> None:
    report = briefing(app)

    assert report.title == "Briefing: Justice and Home Affairs Council, 2021-06-07"
    assert report.subtitle.startswith("External efforts with partners (meeting jha-council-2021-06-07")
    assert report.figures["when"] == "2021-06-07"
    assert report.figures["partners on the agenda"][3] == "Türkiye (TR)"
    assert [t.title.rsplit("(", 1)[1][:2] for t in report.tables[:-1]] == AGENDA
    assert report.tables[-1].title == "Open items"


def test_the_briefing_counts_the_days_until_the_meeting(app: Accord) -> None:
    assert briefing(app).figures["days until the meeting"] == 6
    assert briefing_report(app, JHA, today=date(2021, 6, 7)).figures["days until the meeting"] == 0


def test_a_past_meetings_briefing_says_how_long_ago_it_was_held_and_shows_only_the_facts_up_to_it(
    demo_db: str, app: Accord
) -> None:
    submitted(demo_db, visit("TR", 1) | {"occurred_on": "2021-07-15", "id": "tr-visit-july"})
    app.refresh()

    report = briefing_report(app, JHA, today=date(2021, 8, 1))

    assert report.figures["days since the meeting"] == 55
    assert "days until the meeting" not in report.figures
    facts = table(report, "(TR): latest facts by 2021-06-07").rows
    assert {row["occurred_on"] for row in facts} == {"2021-05-07"}
    later = briefing_report(app, "european-council-2021-06-24", today=date(2021, 8, 1))
    assert "2021-07-15" not in {row["occurred_on"] for row in table(later, "(TR): latest facts by 2021-06-24").rows}


def test_turkeys_latest_facts_are_the_visit_of_7_may_and_what_it_reaffirmed_and_recorded(app: Accord) -> None:
    facts = table(briefing(app), "(TR): latest facts").rows

    assert len(facts) == LATEST
    assert {row["occurred_on"] for row in facts} == {"2021-05-07"}
    assert [row["type"] for row in facts] == [*["CommitmentRecorded"] * 3, "StatementReaffirmed", "VisitHeld"]
    assert facts[3]["summary"] == "EU-Turkey Statement of 18 March 2016 reaffirmed with Türkiye"
    assert facts[4]["summary"].startswith("Visit to Türkiye held by Commissioner Johansson, on EU-Turkey Statement")


def test_turkeys_open_commitments_and_open_tasks_are_on_the_briefing(app: Accord) -> None:
    report = briefing(app)
    expected_tasks = [row["task_id"][:8] for row in app.reader.tasks.tasks(TaskFilter(TODAY, partner="TR"))]

    commitments = open_items(report, "TR", "commitment")
    assert {row["ref"]: row["who"] for row in commitments} == {
        "tr-resume-returns": "partner",
        "tr-prevent-departures": "partner",
        "eu-support-refugees-in-turkey": "eu",
    }
    assert commitments[0]["what"] == "Resume return operations from the Greek islands"
    assert [row["ref"] for row in open_items(report, "TR", "task")] == expected_tasks
    assert len(expected_tasks) >= 3


def test_the_meetings_own_briefing_task_leads_the_open_items(app: Accord) -> None:
    first = table(briefing(app), "Open items").rows[0]

    assert (first["partner"], first["item"], first["due_on"], first["overdue"]) == ("", "task", "2021-05-31", "yes")
    assert first["what"] == "Prepare the briefing for the Justice and Home Affairs Council of 7 June 2021"


def test_a_commitment_fulfilled_leaves_the_open_items(demo_db: str, app: Accord) -> None:
    submitted(
        demo_db,
        {"type": "CommitmentFulfilled", "partner": "TR", "occurred_on": "2021-06-01"}
        | {"commitment": "tr-resume-returns"},
    )

    refs = {row["ref"] for row in open_items(briefing(app), "TR", "commitment")}

    assert refs == {"tr-prevent-departures", "eu-support-refugees-in-turkey"}


def test_a_meeting_held_is_marked_held_with_its_outcome(demo_db: str, app: Accord) -> None:
    assert briefing(app).figures["held"] == "not yet"
    submitted(demo_db, {"type": "MeetingHeld", "meeting": JHA, "occurred_on": "2021-06-07", "outcome": "Agreed"})

    figures = briefing(app).figures

    assert (figures["held"], figures["outcome"]) == ("yes", "Agreed")


def test_a_meeting_whose_date_has_passed_reads_as_past_not_as_unheld(app: Accord) -> None:
    app.refresh()
    figures = briefing_report(app, JHA, today=date(2026, 12, 7)).figures

    assert figures["days since the meeting"] == (date(2026, 12, 7) - date(2021, 6, 7)).days
    assert figures["held"] == "its date has passed; not recorded as held (record MeetingHeld with its outcome)"


def test_a_meeting_ref_is_found_whatever_its_case(app: Accord) -> None:
    assert briefing(app, " JHA-Council-2021-06-07").figures["meeting"] == JHA


def test_a_meeting_never_scheduled_is_refused(app: Accord) -> None:
    with pytest.raises(DomainError) as raised:
        briefing(app, "jha-council-2031")

    assert str(raised.value) == "meeting jha-council-2031 is not scheduled"


# The view behind it


def test_a_partner_keeps_only_its_latest_facts_whatever_order_they_arrive_in(db: str) -> None:
    meeting = {"type": "MeetingScheduled", "meeting": "m", "occurred_on": "2021-05-01", "body": "B"}
    submitted(db, opened("TN"), visit("TN", 3), visit("TN", 7), meeting | {"held_on": "2021-06", "partners": ["TN"]})
    with application(db) as app:
        briefing(app, "m")
        submitted(db, *(visit("TN", day) for day in (1, 6, 2, 5, 4)))

        report = briefing(app, "m")

        assert [row["occurred_on"] for row in table(report, "(TN): latest facts").rows] == [
            "2021-05-07",
            "2021-05-06",
            "2021-05-05",
            "2021-05-04",
            "2021-05-03",
        ]
        assert (report.figures["when"], report.figures["days until the meeting"]) == ("2021-06", 0)


def test_rebuilding_the_view_gives_back_the_same_rows_and_briefing(demo_db: str, app: Accord) -> None:
    submitted(demo_db, {"type": "MeetingHeld", "meeting": JHA, "occurred_on": "2021-06-07"})
    report = briefing(app)
    before = view_rows(app)

    statuses = app.views.rebuild(["meetings", "timeline"])

    assert [status.table for status in statuses] == ["view_meetings_2", "view_timeline_2"]
    assert view_rows(app) == before
    assert briefing(app) == report


# What people read


def test_the_briefing_renders_as_markdown_json_and_csv(app: Accord) -> None:
    report = briefing(app)

    markdown = render(report, "md")
    assert markdown.startswith("# Briefing: Justice and Home Affairs Council, 2021-06-07\n")
    assert "## Türkiye (TR): latest facts\n" in markdown
    assert "| TR | commitment | tr-resume-returns | Resume return operations from the Greek islands |" in markdown
    as_json = json.loads(render(report, "json"))
    assert as_json["figures"]["partners on the agenda"][3] == "Türkiye (TR)"
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert {row["table"] for row in rows} == {t.title for t in report.tables}
    assert {row["ref"] for row in rows if row["partner"] == "TR" and row["item"] == "commitment"} == {
        "tr-resume-returns",
        "tr-prevent-departures",
        "eu-support-refugees-in-turkey",
    }


def test_accord_report_briefing_prints_the_briefing_or_refuses_an_unknown_meeting(demo_db: str) -> None:
    printed = accord(demo_db, "report", "briefing", JHA, "--format", "json")
    refused = accord(demo_db, "report", "briefing", "no-such-meeting")

    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout)["title"] == "Briefing: Justice and Home Affairs Council, 2021-06-07"
    assert refused.exit_code == 2
    assert refused.stderr == "accord: meeting no-such-meeting is not scheduled\n"
