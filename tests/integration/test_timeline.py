"""The timeline view: each partner's facts and the shared facts naming it,
as the log holds them, whatever batches they arrive in; a rebuild equal to
catch-up; a partnership not opened refused. Each test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from domain.base import Fact, Founding
from domain.errors import PartnershipNotOpened, UnknownPartner
from domain.values import event_date
from tests.helpers import accord, application, as_json, opened, submit_rows, visit
from workflows.application.service import Accord
from workflows.audit.log import event_row
from workflows.audit.naming import Naming
from workflows.projections import base
from workflows.projections.replayed import compare
from workflows.sentences import sentence

pytestmark = pytest.mark.integration

DEMO_PARTNERS = ["AL", "BA", "LY", "MA", "MR", "RS", "TN", "TR"]

Row = dict[str, Any]


def submitted(db: str, *rows: Row) -> None:
    result = submit_rows(db, *rows)
    assert result.exit_code == 0, result.output


def from_the_log(app: Accord, code: str) -> list[Row]:
    """The partner's timeline made from the log itself, as the audit log
    writes its rows: the facts on the partnership and those on a meeting
    or initiative whose founding fact names the partner."""
    facts = [(n.id, app.mapper.to_domain_event(n)) for n in app.notifications()]
    facts = [(position, event) for position, event in facts if isinstance(event, Fact)]
    naming = {e.originator_id for _, e in facts if isinstance(e, Founding) and code in getattr(e, "partners", ())}
    mine = [(p, e) for p, e in facts if getattr(e, "partner", None) == code or e.originator_id in naming]
    mine.sort(key=lambda fact: (fact[1].occurred_on.earliest, fact[0]))
    naming = Naming(app)
    return [event_row(event, naming=naming) for _, event in mine]


def meeting(ref: str, *partners: str, **fields: Any) -> Row:
    return {"type": "MeetingScheduled", "meeting": ref, "occurred_on": "2021-05-01", "body": "JHA Council"} | {
        "held_on": "2021-06",
        "partners": list(partners),
        **fields,
    }


def test_every_demo_partners_timeline_is_what_the_log_holds(demo_db: str) -> None:
    with application(demo_db) as app:
        for code in DEMO_PARTNERS:
            assert app.reader.timeline.of(code) == from_the_log(app, code), code


def test_the_views_sentences_are_those_of_the_validated_events(demo_db: str) -> None:
    with application(demo_db) as app:
        db = app.views.db
        records = db.records(1, db.head(), sorted({n.topic for n in app.notifications()}), 100_000)

        assert len(records) > 50
        assert all(
            sentence(r.type.__name__, r.state) == sentence(r.type.__name__, r.event().model_dump(mode="json"))
            for r in records
        )


def test_a_shared_fact_recorded_later_reaches_every_partner_its_meeting_names(db: str) -> None:
    submitted(db, opened("TN"), opened("MA"), meeting("jha", "TN", "MA"))
    with application(db) as app:
        submitted(db, {"type": "MeetingHeld", "meeting": "jha", "occurred_on": "2021-06-07", "outcome": "Agreed"})
        app.refresh()

        for code in ("TN", "MA"):
            [held] = [row for row in app.reader.timeline.of(code) if row["type"] == "MeetingHeld"]
            assert (held["subject"], held["summary"]) == ("jha", "JHA Council of June 2021 held: Agreed")
            assert app.reader.timeline.of(code) == from_the_log(app, code)


def test_a_dialogues_round_recorded_later_is_said_by_the_dialogues_title(db: str) -> None:
    launched = {"type": "DialogueLaunched", "partner": "TN", "dialogue": "msd", "occurred_on": "2021-05-01"}
    submitted(db, opened("TN"), {**launched, "id": "msd-launch", "title": "Migration and security dialogue"})
    with application(db) as app:
        app.refresh()
        submitted(db, {"type": "DialogueRoundHeld", "partner": "TN", "dialogue": "msd", "occurred_on": "2021-06-01"})
        app.refresh()

        [held] = [row for row in app.reader.timeline.of("TN") if row["type"] == "DialogueRoundHeld"]
        assert held["summary"] == "Round of Migration and security dialogue with Tunisia held"
        assert app.reader.timeline.of("TN") == from_the_log(app, "TN")

        retitled = {"title": "Security dialogue"}
        submitted(
            db,
            {
                "type": "FactCorrected",
                "partner": "TN",
                "target": "msd-launch",
                "changes": retitled,
                "reason": "renamed",
            },
        )
        app.refresh()

        [held] = [row for row in app.reader.timeline.of("TN") if row["type"] == "DialogueRoundHeld"]
        assert held["summary"] == "Round of Security dialogue with Tunisia held"


def test_a_meeting_of_the_eu_as_a_whole_is_on_no_partners_timeline(db: str) -> None:
    submitted(db, opened("TN"), meeting("euco"), {"type": "MeetingHeld", "meeting": "euco", "occurred_on": "2021-06"})
    with application(db) as app:
        assert [row["type"] for row in app.reader.timeline.of("TN")] == ["PartnershipOpened"]


def test_a_partner_named_twice_gets_the_fact_once(db: str) -> None:
    submitted(db, opened("TN"), meeting("jha", "TN", "tn"))
    with application(db) as app:
        assert [row["type"] for row in app.reader.timeline.of("TN")] == ["PartnershipOpened", "MeetingScheduled"]


def test_facts_are_in_the_order_they_happened_whatever_the_order_recorded(db: str) -> None:
    submitted(db, opened("TN"), visit("TN", 9), visit("TN", 2), meeting("jha", "TN", occurred_on="2021-05-05"))
    with application(db) as app:
        days = [row["occurred_on"] for row in app.reader.timeline.of("tn ")]

    assert days == ["2020-09-23", "2021-05-02", "2021-05-05", "2021-05-09"]


def test_small_batches_give_the_view_a_rebuild_gives(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The founding fact and the later facts of a meeting fall in different
    batches of one catch-up; the view still names its partners, and equals a
    fresh replay of the log."""
    monkeypatch.setattr(base, "BATCH", 2)
    submitted(db, opened("TN"), opened("MA"), visit("TN", 3), meeting("jha", "TN", "MA"), visit("MA", 4))
    submitted(db, {"type": "MeetingHeld", "meeting": "jha", "occurred_on": "2021-06-07"}, visit("TN", 8))
    with application(db) as app:
        caught_up = {code: app.reader.timeline.of(code) for code in ("TN", "MA")}

        assert compare(app.views, names=["timeline"]).problems == {"timeline": []}
        app.views.rebuild(["timeline"])

        assert {code: app.reader.timeline.of(code) for code in ("TN", "MA")} == caught_up
        assert caught_up["MA"] == from_the_log(app, "MA")
        assert [row["type"] for row in caught_up["TN"]][-2:] == ["VisitHeld", "MeetingHeld"]


def test_the_portfolio_charts_facts_come_from_the_view_by_date(demo_db: str) -> None:
    with application(demo_db) as app:
        facts = app.reader.timeline.facts(["TN", "TR"], ["VisitHeld"])

    assert [(row["partner"], row["occurred_on"]) for row in facts] == [
        ("TN", "2020-08"),
        ("TN", "2021-05"),
        ("TR", "2021-05-07"),
    ]
    assert sorted(facts, key=lambda row: event_date(row["occurred_on"]).earliest) == facts


@pytest.mark.parametrize(
    ("code", "error", "says"),
    [
        ("EG", PartnershipNotOpened, "partnership EG is not opened: record PartnershipOpened for it first"),
        ("XX", UnknownPartner, "unknown partner 'XX': not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_a_partnership_not_opened_has_no_timeline(demo_db: str, code: str, error: type, says: str) -> None:
    with application(demo_db) as app, pytest.raises(error) as raised:
        app.reader.timeline.of(code)

    assert str(raised.value) == says


def test_partner_show_reads_the_view_as_json(demo_db: str) -> None:
    result = accord(demo_db, "partner", "show", "TR", "--json")

    assert result.exit_code == 0, result.output
    with application(demo_db) as app:
        assert as_json(result) == app.reader.timeline.of("TR")
