"""A store written by an earlier version of Accord still replays to the
same reports: stored events are upcast to their classes' current shape as
they are read (tests/fixtures/README.md says what the fixture holds)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.partnership import Partnership
from tests.helpers import accord
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.config.settings import Settings
from workflows.reports import render
from workflows.reports.funding import funding_report
from workflows.reports.partnership import partnership_report, portfolio_report

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = date(2021, 8, 1)


@pytest.fixture
def old_store(tmp_path: Path) -> str:
    """A copy of the store version 1 wrote (the fixture itself is never touched)."""
    db = tmp_path / "store-v1.db"
    shutil.copy(FIXTURES / "store-v1.db", db)
    return str(db)


@pytest.fixture
def app(old_store: str) -> Iterator[Accord]:
    application = build(Settings(db=old_store))
    try:
        yield application
    finally:
        application.close()


def reports(app: Accord) -> dict[str, Any]:
    made = {
        "portfolio": portfolio_report(app, TODAY),
        "funding": funding_report(app, TODAY),
        **{f"partnership {code}": partnership_report(app, code, today=TODAY) for code in ("RS", "LY", "MA", "TR")},
    }
    return {name: same_day_by_key(json.loads(render(report, "json"))) for name, report in made.items()}


def same_day_by_key(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its timeline's facts of one day in the order of their
    keys: version 1 put the shared facts (meetings) of one day in no defined
    order; the timeline view puts them in the order they were recorded."""
    for table in report["tables"]:
        if table["title"] == "Timeline":
            table["rows"].sort(key=lambda row: (row["occurred_on"], row["key"]))
    return report


# Columns that say the facts of a row in a sentence, made as they are read
# (workflows.sentences): reworded since version 1 ("key: value" then), and
# compared with the facts they say by the row's other columns.
SAID = {"summary"}


def without_sentences(report: dict[str, Any]) -> dict[str, Any]:
    for table in report["tables"]:
        for column in SAID & set(table["columns"]):
            table["columns"].remove(column)
            for row in table["rows"]:
                row.pop(column, None)
    return report


EXPECTED = {
    name: without_sentences(same_day_by_key(report))
    for name, report in json.loads((FIXTURES / "store-v1-reports.json").read_text()).items()
}


def test_an_old_event_is_read_in_its_current_shape(app: Accord) -> None:
    operations = list(app.events_of_types([Partnership.OperationLaunched]))

    assert {event.operation: event.agency for event in operations} == {
        "Frontex joint operation at the Serbia-Bulgaria border": ("Frontex",),
        "Joint patrols off Tripoli": ("Frontex",),
        "Border management training": (),
    }


# Columns added to the reports since version 1, and what they hold for a
# store of version 1: it recorded no decommitment.
ADDED = {"decommitted": "0"}


# Sentences reworded since version 1: (as now, as then).
REWORDED = [
    (
        "shares are percentages here and fractions in JSON and CSV (25% is 0.25).",
        "ratios are fractions (0.25 is 25%).",
    )
]


def as_version_1_had_them(made: dict[str, Any]) -> dict[str, Any]:
    """The reports with the columns added since version 1 taken out, each
    checked to hold what it must for an old store; what was reworded put
    back; and the portfolio's task cards counted as version 1 did (the
    partnerships' tasks only: they now count every open task, meetings' too,
    as the tasks chart does)."""
    cards = made["portfolio"]["figures"]
    [rows] = [table["rows"] for table in made["portfolio"]["tables"]]
    for card, column in (("Open tasks", "open_tasks"), ("Overdue tasks", "overdue_tasks")):
        partnerships = sum(row[column] for row in rows)
        assert cards[card] >= partnerships
        cards[card] = partnerships
    for report in made.values():
        for now, then in REWORDED:
            report["subtitle"] = report["subtitle"].replace(now, then)
        for table in report["tables"]:
            for column, value in ADDED.items():
                if column in table["columns"]:
                    table["columns"].remove(column)
                    assert {row.pop(column) for row in table["rows"]} <= {value}
        without_sentences(report)
    return made


def test_the_old_store_gives_the_same_reports_from_its_projections_as_kept(app: Accord) -> None:
    app.refresh()

    assert as_version_1_had_them(reports(app)) == EXPECTED


def test_the_old_store_gives_the_same_reports_when_every_projection_is_rebuilt(app: Accord) -> None:
    app.views.rebuild(app.views.names)

    assert as_version_1_had_them(reports(app)) == EXPECTED


def test_the_old_store_still_verifies_and_takes_new_events_in_the_current_shape(old_store: str) -> None:
    new = {
        "type": "OperationLaunched",
        "partner": "TN",
        "occurred_on": "2021-07-01",
        "operation": "Joint surveillance",
        "agency": ["Frontex", "Guardia di Finanza"],
        "starts_on": "2021-08",
    }
    submitted = accord(old_store, "submit", "--file", "-", input=json.dumps(new) + "\n")
    verified = accord(old_store, "audit", "verify")

    assert submitted.exit_code == 0, submitted.output
    assert verified.exit_code == 0, verified.output
    assert "by Frontex and Guardia di Finanza" in accord(old_store, "partner", "show", "TN", "--wide").stdout
