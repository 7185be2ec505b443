"""Every recorded event is said as a sentence a person would write: names,
not codes or ids; money as money; dates as people write them; one line of
bounded length, whatever texts people gave."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.delivery import Delivery
from domain.dispatch import Dispatch
from domain.rates import ExchangeRates
from domain.signing import SigningKey
from domain.task import FollowUpTask
from domain.vocabulary import VOCABULARY, amendment_classes
from tests.unit.test_vocabulary import recorded_event
from workflows.sentences import LONGEST, record_name, sentence, subject, task_state, unseen_source, why_due

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
AMENDED = {"target": "tn-commit", "changes": {"amount": "EUR 900000", "occurred_on": "2021-05"}, "reason": "typo"}


def own_events(stamp: Any) -> list[Any]:
    """One event of each type Accord records itself."""
    facts = {
        "source": f"{uuid4()}/1",
        "source_type": "VisitHeld",
        "subject": "MA",
        "partner": "MA",
        "rule": "visit-held-follow-up",
        "title": "Follow up the visit to Morocco of 3 March 2021",
        "owner": "desk:MA",
        "due_on": date(2021, 3, 17),
        "basis": "30 days after",
        "thread": "",
    }
    task = FollowUpTask.open(facts, stamp())
    task.assign("desk:TN", stamp())
    task.defer(date(2021, 4, 1), "awaiting the report", stamp())
    task.revise({**facts, "due_on": date(2021, 4, 2), "title": "Follow up"}, "the visit was corrected", stamp())
    task.remind(date(2021, 3, 30), stamp())
    task.escalate(2, stamp())
    task.complete("report sent", stamp())
    cancelled = FollowUpTask.open({**facts, "rule": "other"}, stamp())
    cancelled.cancel("not needed", stamp())
    delivery = Delivery.request("reminder", task.id, 6, "desk:MA", "email", stamp())
    delivery.failed(1, "mailbox full", datetime(2021, 3, 30, 9, 5, tzinfo=UTC), stamp())
    delivery.failed(2, "mailbox full", None, stamp())
    delivery.retry("mailbox emptied", stamp())
    delivery.delivered(3, "250 2.0.0 OK", stamp())
    dispatch = Dispatch.issue("digest", "desk:MA", "2021-03-30", "Digest of desk:MA", {"title": "Digest"}, stamp())
    key = SigningKey.enrol(bytes(range(32)), "Jane Doe", "person", stamp())
    key.revoke("the laptop was lost", stamp())
    rates = {"USD": Decimal("1.1937"), "GBP": Decimal("0.85525"), "JPY": Decimal("132.09"), "CHF": Decimal("1.0925")}
    published = ExchangeRates.publish("ECB", date(2021, 6, 1), "EUR", rates, "eurofxref-hist.csv", stamp())
    made = (task, cancelled, delivery, dispatch, key, published)
    return [event for each in made for event in each.collect_events()]


def states(stamp: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every event type's name and a stored state of it."""
    events = [recorded_event(name, stamp) for name in sorted(VOCABULARY)] + own_events(stamp)
    found = [(type(event).__name__, event.model_dump(mode="json")) for event in events]
    for cls in amendment_classes():
        subject = {cls.SUBJECT: "TN" if cls.SUBJECT == "partner" else "jha-2021-06"}
        found.append((cls.__name__, {**subject, **AMENDED}))
    return found


def event_names() -> set[str]:
    """Every event type's name (Delivered, an English word, is said as one)."""
    names = set(VOCABULARY) | {cls.__name__ for cls in amendment_classes()}
    for aggregate in (FollowUpTask, Delivery, Dispatch, SigningKey, ExchangeRates):
        names |= {cls.__name__ for cls in aggregate.event_classes()}
    return names


def test_every_event_type_is_said_as_a_line_without_ids_class_names_or_fields(stamp: Any) -> None:
    said = states(stamp)
    names = event_names()
    assert {name for name, _ in said} == names

    for name, state in said:
        line = sentence(name, state)
        assert line and "\n" not in line and len(line) <= LONGEST, (name, line)
        assert not UUID.search(line), (name, line)
        assert not [other for other in names - {"Delivered"} if re.search(rf"\b{other}\b", line)], (name, line)
        fields = {field for field in state if field not in ("notes",)}
        assert not [f for f in fields if f"{f}: " in line or f"{f.replace('_', ' ')}: " in line], (name, line)


def test_whatever_people_wrote_a_sentence_stays_one_bounded_line(stamp: Any) -> None:
    long = "a line\nand another " * 200
    for name, state in states(stamp):
        filled = {
            field: long if isinstance(value, str) else [long] * 50 if isinstance(value, list) else value
            for field, value in state.items()
        }

        line = sentence(name, filled)

        assert "\n" not in line and len(line) <= LONGEST, (name, line)


@pytest.mark.parametrize(
    ("name", "state", "said"),
    [
        (
            "FundingCommitted",
            {
                "partner": "TN",
                "funding": "tn-border-2021",
                "instrument": "NDICI-Global Europe",
                "amount": {"amount": "12500000", "currency": "EUR"},
            },
            "Funding of EUR 12,500,000 committed to Tunisia under NDICI-Global Europe (tn-border-2021)",
        ),
        (
            "FundingIncreased",
            {"partner": "TN", "funding": "tn-border-2021", "amount": {"amount": "2000000", "currency": "EUR"}},
            "Funding of EUR 2,000,000 added to the commitment to Tunisia (tn-border-2021)",
        ),
        (
            "VisitHeld",
            {"partner": "MA", "visitors": ["Commissioner Johansson"]},
            "Visit to Morocco held by Commissioner Johansson",
        ),
        (
            "TaskOpened",
            {"owner": "desk:MA", "title": "Follow up the visit to Morocco of 3 March 2021", "due_on": "2021-03-17"},
            "Task opened for desk:MA: Follow up the visit to Morocco of 3 March 2021, due 17 March 2021",
        ),
        ("TaskEscalated", {"level": 2}, "Task escalated to level 2"),
        (
            "StatementReaffirmed",
            {"partner": "TR", "statement": "EU-Turkey Statement", "statement_date": "2016-03-18"},
            "EU-Turkey Statement of 18 March 2016 reaffirmed with Türkiye",
        ),
        (
            "MeetingScheduled",
            {"body": "JHA Council", "held_on": "2021-06", "partners": ["MA", "TN", "LY"]},
            "JHA Council set for June 2021, with Morocco, Tunisia and Libya on the agenda",
        ),
        (
            "FactCorrected",
            {"partner": "TN", **AMENDED},
            "Fact tn-commit on Tunisia corrected (typo): amount now EUR 900,000, date now May 2021",
        ),
        (
            "FactCorrected",
            {"partner": "TN", "target": "tn-arrivals", "changes": {"count": 3000}, "reason": "as counted"},
            "Fact tn-arrivals on Tunisia corrected (as counted): count now 3,000",
        ),
        (
            "FactCorrected",
            {"instrument": "NDICI", "target": "ndici", "changes": {"last_year": 2027}, "reason": "extended"},
            "Fact ndici on instrument NDICI corrected (extended): last year now 2027",
        ),
        (
            "TaskCompleted",
            {"outcome": "moot: MeetingHeld on 2021-06"},
            "Task completed: made moot by a meeting held (June 2021)",
        ),
    ],
)
def test_a_sentence_names_partners_and_writes_money_and_dates_as_people_do(
    name: str, state: dict[str, Any], said: str
) -> None:
    assert sentence(name, state) == said


NAMES = {
    "meeting": "Justice and Home Affairs Council of 7 June 2021",
    "initiative": "EU action plan against migrant smuggling",
    "dialogue": "Migration and security dialogue",
}.get


@pytest.mark.parametrize(
    ("name", "state", "said", "without"),
    [
        (
            "MeetingHeld",
            {"meeting": "jha-2021-06", "outcome": "Conclusions adopted"},
            "Justice and Home Affairs Council of 7 June 2021 held: Conclusions adopted",
            "Meeting jha-2021-06 held: Conclusions adopted",
        ),
        (
            "InitiativeAdvanced",
            {"initiative": "eu-apams", "stage": "adopted"},
            "EU action plan against migrant smuggling adopted",
            "Initiative eu-apams adopted",
        ),
        (
            "DialogueRoundHeld",
            {"partner": "MA", "dialogue": "ma-msd"},
            "Round of Migration and security dialogue with Morocco held",
            "Round of the dialogue ma-msd with Morocco held",
        ),
        (
            "FactRetracted",
            {"meeting": "jha-2021-06", "target": "jha-held", "reason": "entered twice"},
            "Fact jha-held on Justice and Home Affairs Council of 7 June 2021 retracted: entered twice",
            "Fact jha-held on meeting jha-2021-06 retracted: entered twice",
        ),
    ],
)
def test_a_meeting_initiative_or_dialogue_is_named_by_its_title_where_the_caller_knows_it(
    name: str, state: dict[str, Any], said: str, without: str
) -> None:
    assert sentence(name, state, NAMES) == said
    assert sentence(name, state) == without


def test_an_event_is_about_its_partners_by_name_or_the_record_it_starts_by_its_title() -> None:
    meeting = {"meeting": "jha", "body": "JHA Council", "held_on": "2021-06-07", "partners": ["MA", "TN", "LY"]}
    task = {"partner": "MA", "title": "Follow up the visit to Morocco", "owner": "desk:MA", "due_on": "2021-03-17"}

    assert subject("VisitHeld", {"partner": "TR"}) == "Türkiye"
    assert subject("MeetingScheduled", meeting) == "Morocco, Tunisia and Libya"
    assert record_name("MeetingScheduled", meeting) == "JHA Council of 7 June 2021"
    assert subject("TaskOpened", task) == "Follow up the visit to Morocco"
    assert subject("KeyEnrolled", {"holder": "Jane Doe", "role": "person"}) == "Signing key of Jane Doe"
    # Named by the first event of its record, which the caller reads.
    assert subject("MeetingHeld", {"meeting": "jha"}) is None
    assert subject("TaskCompleted", {"outcome": "done"}) is None


def test_money_keeps_every_digit(stamp: Any) -> None:
    event = recorded_event("FundingCommitted", stamp, amount="EUR 12345678901234567.89")

    assert "EUR 12,345,678,901,234,567.89" in sentence("FundingCommitted", event.model_dump(mode="json"))


def test_a_type_this_version_does_not_know_is_said_in_words() -> None:
    assert sentence("VisaFacilitationAgreed", {}) == "A visa facilitation agreed was recorded"
    assert sentence("VisitHeld", {"visitors": []}) == "A visit held was recorded, in a shape this version does not read"


TASK = {"status": "open", "due_on": "2021-03-01", "level": 0, "closed_at": None}


def test_an_overdue_task_says_by_how_many_days_and_when_it_was_due() -> None:
    assert task_state(TASK, date(2021, 3, 13)) == "Overdue by 12 days (due 1 March 2021)"
    assert (
        task_state({**TASK, "level": 2}, date(2021, 3, 2))
        == "Overdue by 1 day (due 1 March 2021), escalated to level 2"
    )
    assert task_state(TASK, date(2021, 2, 26)) == "Open, due in 3 days (1 March 2021)"
    assert task_state(TASK, date(2021, 3, 1)) == "Open, due today (1 March 2021)"
    closed = {**TASK, "status": "done", "closed_at": "2021-03-02T10:00:00+00:00"}
    assert task_state(closed, date(2021, 3, 13)) == "Done on 2 March 2021"


def test_a_source_the_views_do_not_hold_is_said_in_words_not_by_its_id() -> None:
    task = {"source": f"{uuid4()}/3", "source_type": "MeetingScheduled", "subject": "jha-2021-06", "partner": None}

    said = unseen_source(task)

    assert said == "A meeting scheduled on jha-2021-06, which the timeline does not show"
    assert unseen_source({**task, "partner": "TN", "subject": "TN"}).startswith("A meeting scheduled on Tunisia")


def _change(type_name: str, **state: Any) -> dict[str, Any]:
    return {"type": type_name, "timestamp": "2026-12-06T23:30:00+00:00", "actor": "alice", **state}


def test_a_due_date_is_explained_by_the_rule_until_a_deferral_moves_it_and_again_once_a_revision_sets_it() -> None:
    basis = "rule visit-held-follow-up: 30 days after occurred on 2021-05-20"
    opened = _change("TaskOpened", due_on="2021-06-19", basis=basis, actor="accord")
    first = _change("TaskDeferred", due_on="2021-07-01", reason="the minister is away")
    second = _change("TaskDeferred", due_on="2021-08-01", reason="after the summer", actor="bob")
    revised = _change("TaskRevised", due_on="2021-06-22", basis=basis.replace("05-20", "05-23"), reason="corrected")
    brussels = ZoneInfo("Europe/Brussels")

    assert why_due([opened], brussels) == basis
    # The deferral's day is the business day it was made (23:30 UTC is already the 7th in Brussels).
    assert why_due([opened, first], brussels) == (
        "deferred to 1 July 2021 by alice on 7 December 2026: the minister is away; "
        f"the rule had set 19 June 2021 ({basis})"
    )
    assert why_due([opened, first, second], UTC).startswith(
        "deferred to 1 August 2021 by bob on 6 December 2026: after the summer (deferred 2 times); "
    )
    # A correction of the fact sets the date by the rule anew: the deferrals are behind it.
    assert why_due([opened, first, revised], brussels) == basis.replace("05-20", "05-23")
