"""One fact a reader cannot carry never stops the others: the reader keeps
the failure (its position and reason) where `projections status`, `audit
verify` and `accord serve` show it, goes on with the rest of the log, and a
correction of the fact heals it.

The facts here are stored as an earlier version of Accord could have stored
them, bypassing today's checks: a field its class now defaults missing from
the stored state, or a field it requires missing altogether.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from domain.partnership import Partnership
from domain.values import Stamp
from tests.helpers import accord, application, as_json, open_partners, submit_rows, visit
from workflows.rules import default_rules_path

pytestmark = pytest.mark.integration


def store_as_an_earlier_version(
    db: str, fact: dict[str, Any], *, key: str, missing: str | None = None, stored: dict[str, Any] | None = None
) -> None:
    """Record `fact` on its partnership as an earlier version of Accord
    could have stored it: its stored state lacking the field `missing`
    (before that field existed), or with the values `stored` (before
    today's checks of them); through the store's own recorder, chained and
    its key indexed."""
    with application(db) as app:
        partnership = app.repository.get(Partnership.id_for(fact["partner"]))
        event_class = getattr(Partnership, fact.pop("type"))
        partnership.record(event_class, fact, Stamp("an-earlier-version", datetime.now(UTC), key))
        [event] = partnership.collect_events()
        record = app.mapper.to_stored_event(event)
        state = orjson.loads(record.state)
        if missing is not None:
            del state[missing]
        state.update(stored or {})
        record = type(record)(record.originator_id, record.originator_version, record.topic, orjson.dumps(state))
        app.recorder.insert_events([record], keys=[app.events.keys.row(event)])


def launched(partner: str = "TN", **extra: Any) -> dict[str, Any]:
    return {
        "type": "DialogueLaunched",
        "partner": partner,
        "occurred_on": "2021-03-01",
        "dialogue": "migration-dialogue",
        "title": "Migration and security dialogue",
        **extra,
    }


def readers(db: str) -> dict[str, dict[str, Any]]:
    """`projections status` by reader (as far as each has read: status does not catch up)."""
    return {reader["name"]: reader for reader in as_json(accord(db, "projections", "status", "--json"))}


def test_a_fact_the_partnerships_view_cannot_carry_is_named_and_healed_by_a_correction(db: str) -> None:
    open_partners(db, "TN", "MA")
    store_as_an_earlier_version(db, launched(pillars=["protection"]), missing="pillars", key="old-launch")
    assert submit_rows(db, visit("MA", 3)).exit_code == 0

    # Every reading command answers; the facts after it are carried.
    partners = {row["code"]: row for row in as_json(accord(db, "partners", "--json"))}
    assert partners["MA"]["visits"] == 1
    assert partners["TN"]["dialogues"] == 0  # the one fact left out, and said so:
    status = readers(db)
    assert status["partnerships"]["failed"] == 1
    [failure] = status["partnerships"]["failures"]
    assert failure["type"] == "DialogueLaunched"
    assert failure["reason"] == "KeyError: 'pillars'"
    assert status["timeline"]["failed"] == 0 and status["follower"]["failed"] == 0
    shown = accord(db, "projections", "status")
    assert shown.exit_code == 0
    assert f"partnerships could not carry position {failure['position']} (DialogueLaunched): KeyError" in shown.output
    verify = accord(db, "audit", "verify")
    assert verify.exit_code == 3
    assert f"partnerships could not carry position {failure['position']} (DialogueLaunched)" in verify.output

    corrected = accord(
        db,
        "correct",
        "old-launch",
        "--partner",
        "TN",
        "--set",
        'pillars=["protection"]',
        "--reason",
        "stored without it",
    )
    assert corrected.exit_code == 0, corrected.output

    partners = {row["code"]: row for row in as_json(accord(db, "partners", "--json"))}
    assert partners["TN"]["dialogues"] == 1
    assert readers(db)["partnerships"]["failed"] == 0
    assert accord(db, "audit", "verify").exit_code == 0


def test_a_fact_no_reader_can_carry_stops_none_of_them(db: str) -> None:
    open_partners(db, "TN", "MA")
    store_as_an_earlier_version(db, visit("TN", 2), missing="visitors", key="old-visit")
    assert submit_rows(db, visit("MA", 3)).exit_code == 0

    tasks = as_json(accord(db, "tasks", "--json", "--status", "all"))
    assert any(task["partner"] == "MA" and "visit" in task["title"].lower() for task in tasks)
    assert not any(task["partner"] == "TN" and "visit" in task["title"].lower() for task in tasks)
    status = readers(db)
    assert status["follower"]["failed"] == 1
    [failure] = status["follower"]["failures"]
    assert failure["type"] == "VisitHeld" and "visitors" in failure["reason"]
    for command in (
        ["partners"],
        ["partner", "show", "TN"],
        ["audit", "log"],
        ["report", "portfolio"],
        ["report", "partnership", "MA"],
        ["rules", "simulate", str(default_rules_path())],
        ["export", "ics"],
    ):
        assert accord(db, *command).exit_code == 0, command
    exported = accord(db, "export", "events")
    assert exported.exit_code == 0
    assert len(exported.stdout.splitlines()) == 3  # two partnerships opened, the visit to MA
    assert f"left out position {failure['position']}: the stored VisitHeld of " in exported.stderr
    assert "cannot be read as its class now stands: field 'visitors' is missing" in exported.stderr
    # The one partnership that holds it cannot be decided on, and says why.
    report = accord(db, "report", "partnership", "TN")
    assert report.exit_code == 1
    assert "cannot be read as its class now stands: field 'visitors' is missing" in report.output
    assert accord(db, "audit", "verify").exit_code == 3
    # A later tick finds the same and nothing more.
    assert readers(db)["follower"]["failed"] == 1


def test_every_page_of_the_console_says_when_a_fact_was_left_out(db: str) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from workflows.config.settings import Settings
    from workflows.web.app import create

    open_partners(db, "TN")
    store_as_an_earlier_version(db, launched(), missing="pillars", key="old-launch")

    with TestClient(create(Settings(db=db))) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "1 event of the log could not be carried by every reader" in page.text
    assert json.dumps(readers(db)["partnerships"]["failed"]) == "1"


def test_the_console_names_the_event_that_stops_a_partnerships_page_and_shows_the_others(db: str) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from workflows.config.settings import Settings
    from workflows.web.app import create

    open_partners(db, "TN", "MA")
    store_as_an_earlier_version(db, visit("TN", 2), missing="visitors", key="old-visit")

    with TestClient(create(Settings(db=db))) as client:
        stopped, other, portfolio = client.get("/partners/TN"), client.get("/partners/MA"), client.get("/")
    assert stopped.status_code == 503
    assert "cannot be read as its class now stands: field &#39;visitors&#39; is missing" in stopped.text
    assert other.status_code == 200 and portfolio.status_code == 200
    assert "1 event of the log could not be carried by every reader" in portfolio.text
