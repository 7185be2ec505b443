"""The public vocabulary: parsing submissions, their keys, their JSON Schema, and
the exact round trip of every event type through JSON.

Facts are recorded at 2021-06-06 12:00 UTC (see conftest).
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from domain.base import ENVELOPE, record_fact
from domain.errors import FutureDated
from domain.schemas import DATE_PATTERN
from domain.vocabulary import (
    AMENDMENTS,
    FACTS,
    VOCABULARY,
    UnknownEventType,
    aggregates,
    describe,
    json_schema,
    parse,
)

OPENED = {"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15", "pillars": ["protection"]}
LAUNCHED = {
    "type": "DialogueLaunched",
    "partner": "TN",
    "occurred_on": "2021-02",
    "dialogue": "tn-mobility",
    "title": "Mobility dialogue",
    "cadence_days": 90,
}
COMMITTED = {
    "type": "FundingCommitted",
    "partner": "TN",
    "occurred_on": "2021-03-01",
    "funding": "tn-border-1",
    "instrument": "NDICI-Global Europe",
    "amount": {"amount": "1250000.10", "currency": "EUR"},
    "title": "Border management",
}
PROMISED = {
    "type": "CommitmentRecorded",
    "partner": "TN",
    "occurred_on": "2021-04",
    "commitment": "tn-return-1",
    "party": "partner",
    "by": "Ministry of the Interior",
    "description": "Speed up readmission",
    "due_on": "2021-12",
    "source": "Joint statement",
}
DEFINED = {
    "type": "IndicatorDefined",
    "indicator": "portfolio/arrivals-italy",
    "occurred_on": "2021-06",
    "title": "Arrivals in Italy",
    "unit": "number",
    "direction": "down",
    "disaggregations": ["route"],
    "source": "UNHCR",
    "cadence": "monthly",
    "owner": "Desk officer",
    "level": "outcome",
}
SCHEDULED = {
    "type": "MeetingScheduled",
    "meeting": "jha-2021-06",
    "occurred_on": "2021-05",
    "body": "Justice and Home Affairs Council",
    "held_on": "2021-06-10",
    "partners": ["TN", "MA"],
}
ANNOUNCED = {
    "type": "InitiativeAnnounced",
    "initiative": "anti-smuggling",
    "occurred_on": "2021",
    "title": "Action plan against migrant smuggling",
    "stage": "planned",
    "lead": "DG HOME",
    "partners": ["TN"],
}

# One valid submission of every event type in the vocabulary.
SAMPLES = {
    sample["type"]: sample
    for sample in [
        OPENED,
        LAUNCHED,
        COMMITTED,
        PROMISED,
        SCHEDULED,
        ANNOUNCED,
        {
            "type": "VisitPlanned",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "planned_for": "2021-09",
            "visitors": ["Commissioner"],
            "purpose": "Review cooperation",
        },
        {
            "type": "VisitHeld",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "visitors": ["Commissioner", "Minister"],
            "met": ["President"],
            "place": "Tunis",
            "topics": ["returns"],
            "pillars": ["return_readmission", "legal_pathways"],
            "notes": "Warm welcome",
        },
        {"type": "DialogueRoundHeld", "partner": "TN", "occurred_on": "2021-05-20", "dialogue": "tn-mobility"},
        {
            "type": "FundingIncreased",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "funding": "tn-border-1",
            "amount": "EUR 500000",
        },
        {
            "type": "FundingDisbursed",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "funding": "tn-border-1",
            "amount": "EUR 250000.05",
        },
        {
            "type": "FundingDecommitted",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "funding": "tn-border-1",
            "amount": "EUR 100000",
            "reason": "the action was scaled down",
        },
        {"type": "CommitmentFulfilled", "partner": "TN", "occurred_on": "2021-05-20", "commitment": "tn-return-1"},
        {
            "type": "CommitmentLapsed",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "commitment": "tn-return-1",
            "reason": "Missed",
        },
        {
            "type": "StatementReaffirmed",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "statement": "Joint declaration",
            "statement_date": "2014-03",
        },
        {
            "type": "OperationLaunched",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "operation": "Themis",
            "agency": ["Frontex", "Guardia di Finanza"],
            "starts_on": "2021-07-01",
        },
        {"type": "TalentPartnershipLaunched", "partner": "TN", "occurred_on": "2021-05-20", "title": "Talent"},
        {
            "type": "ArrivalsReported",
            "partner": "TN",
            "occurred_on": "2021-05-20",
            "period_start": "2021-01",
            "period_end": "2021-04-30",
            "route": "Central Mediterranean",
            "destination": "Italy",
            "count": 5000,
            "approximation": "at_least",
            "source": "UNHCR",
        },
        {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-05-20", "text": "A note"},
        {"type": "MeetingHeld", "meeting": "jha-2021-06", "occurred_on": "2021-06-06", "outcome": "Conclusions"},
        {"type": "InitiativeAdvanced", "initiative": "anti-smuggling", "occurred_on": "2021-06-01", "stage": "adopted"},
        {
            "type": "FundingEnvelopeSet",
            "instrument": "NDICI-Global Europe",
            "occurred_on": "2021-06",
            "amount": "EUR 7950000000.00",
            "share": "0.10",
            "first_year": 2021,
            "last_year": 2027,
        },
    ]
}

SAMPLES.update(
    {
        "IndicatorDefined": DEFINED,
        "BaselineSet": {
            "type": "BaselineSet",
            "indicator": "portfolio/arrivals-italy",
            "occurred_on": "2021-06",
            "value": "34154",
            "measured_on": "2020",
            "approximation": "about",
        },
        "TargetSet": {
            "type": "TargetSet",
            "indicator": "portfolio/arrivals-italy",
            "occurred_on": "2021-06",
            "period": "2021",
            "value": 25000,
        },
        "ActualReported": {
            "type": "ActualReported",
            "indicator": "portfolio/arrivals-italy",
            "occurred_on": "2021-06-06",
            "period": "2021-01-01/2021-06-06",
            "value": "9,000",
            "breakdown": ["route: from Libya"],
            "approximation": "about",
            "source": "UNHCR",
        },
    }
)

# What must be recorded before each type (the first event of its aggregate, and more).
NEEDS = {
    **{name: [OPENED] for name, model in VOCABULARY.items() if model.event_class.SUBJECT == "partner"},
    "PartnershipOpened": [],
    "DialogueRoundHeld": [OPENED, LAUNCHED],
    "FundingIncreased": [OPENED, COMMITTED],
    "FundingDisbursed": [OPENED, COMMITTED],
    "FundingDecommitted": [OPENED, COMMITTED],
    "CommitmentFulfilled": [OPENED, PROMISED],
    "CommitmentLapsed": [OPENED, PROMISED],
    "MeetingHeld": [SCHEDULED],
    "InitiativeAdvanced": [ANNOUNCED],
    "BaselineSet": [DEFINED],
    "TargetSet": [DEFINED],
    "ActualReported": [DEFINED],
}


def submit(aggregate, data, stamp, validated=False):
    submission = parse(data)
    facts = submission.facts()
    event_class, key = submission.event_class, submission.key
    return record_fact(aggregate, submission.aggregate_class, event_class, facts, stamp(key), validated=validated)


def recorded_event(name, stamp, validated=False, **changes):
    """Record the sample of `name` (after what it needs) and return its event;
    `validated`: as the application records a submission's facts."""
    aggregate = None
    for data in NEEDS.get(name, []):
        aggregate, _ = submit(aggregate, data, stamp, validated)
    aggregate, recorded = submit(aggregate, {**SAMPLES[name], **changes}, stamp, validated)
    assert recorded
    return aggregate.collect_events()[-1]


def test_the_samples_cover_every_event_type_of_the_vocabulary():
    assert set(SAMPLES) == set(VOCABULARY)


def test_the_vocabulary_holds_the_facts_people_submit_and_no_task_events():
    assert len(VOCABULARY) == 26
    assert not {"TaskOpened", "TaskAssigned", "TaskCompleted"} & set(VOCABULARY)


def test_the_vocabulary_names_every_fact_of_each_aggregate_and_where_it_is_defined():
    for aggregate in aggregates():
        facts = [event.__name__ for event in aggregate.fact_classes()]

        assert facts == list(FACTS[get_topic(aggregate)])
        assert all(VOCABULARY.event(name) == (getattr(aggregate, name), aggregate) for name in facts)


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_an_event_built_from_a_submissions_facts_is_the_event_validated(name, stamp):
    validated = recorded_event(name, stamp)
    built = recorded_event(name, stamp, validated=True)

    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set


# --- Round trip ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_every_event_type_round_trips_through_json_exactly(name, stamp):
    event = recorded_event(name, stamp)
    assert type(event).__name__ == name

    dumped = event.model_dump(mode="json")
    restored = type(event).model_validate(dumped)

    assert restored == event
    assert restored.model_dump(mode="json") == dumped
    assert type(event).model_validate_json(event.model_dump_json()) == event
    assert type(event).model_validate(json.loads(json.dumps(dumped))) == event


def test_committed_money_round_trips_to_the_exact_decimal(stamp):
    event = recorded_event("FundingCommitted", stamp)

    dumped = event.model_dump(mode="json")
    restored = type(event).model_validate(dumped)

    assert dumped["amount"] == {"amount": "1250000.10", "currency": "EUR"}
    assert isinstance(restored.amount.amount, Decimal)
    assert str(restored.amount.amount) == "1250000.10"


def test_an_envelope_share_round_trips_to_the_exact_decimal(stamp):
    event = recorded_event("FundingEnvelopeSet", stamp)

    restored = type(event).model_validate(event.model_dump(mode="json"))

    assert str(restored.share) == "0.10"
    assert str(restored.amount.amount) == "7950000000.00"


def test_dates_round_trip_at_the_precision_they_were_given(stamp):
    event = recorded_event("ArrivalsReported", stamp)

    dumped = event.model_dump(mode="json")
    restored = type(event).model_validate(dumped)

    assert (dumped["occurred_on"], dumped["period_start"], dumped["period_end"]) == (
        "2021-05-20",
        "2021-01",
        "2021-04-30",
    )
    assert (restored.period_start.precision, restored.period_end.precision) == ("month", "day")


def test_the_recording_moment_round_trips_as_an_aware_instant(stamp):
    event = recorded_event("VisitHeld", stamp)

    restored = type(event).model_validate(event.model_dump(mode="json"))

    assert restored.timestamp == event.timestamp
    assert restored.timestamp.utcoffset() is not None


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_every_fact_dated_after_the_recording_moment_is_refused(name, stamp):
    with pytest.raises(FutureDated):
        recorded_event(name, stamp, occurred_on="2021-06-08")


# --- Parsing -------------------------------------------------------------------


def test_a_submission_is_parsed_into_its_event_type():
    submission = parse(SAMPLES["VisitHeld"])

    assert type(submission) is VOCABULARY["VisitHeld"]
    assert submission.subject == "TN"
    assert submission.facts()["visitors"] == ("Commissioner", "Minister")
    assert "type" not in submission.facts()
    assert "id" not in submission.facts()


def test_a_submission_of_an_unknown_type_is_refused_with_the_known_types():
    with pytest.raises(
        UnknownEventType, match="unknown event type 'VisitDone'; known types: ActualReported, ArrivalsReported"
    ):
        parse({"type": "VisitDone", "partner": "TN"})


@pytest.mark.parametrize("data", [{"partner": "TN"}, {"type": None}])
def test_a_submission_without_a_type_is_refused(data):
    with pytest.raises(UnknownEventType, match="field 'type' is missing"):
        parse(data)


def test_a_submission_whose_type_is_not_text_is_refused():
    with pytest.raises(UnknownEventType, match="unknown event type 5"):
        parse({"type": 5})


def test_each_problem_of_a_submission_is_described_in_a_sentence_naming_its_field():
    data = {"type": "VisitHeld", "occurred_on": "2021-02-30", "visitors": ["Commissioner"], "colour": "blue"}

    with pytest.raises(ValidationError) as caught:
        parse(data)

    assert sorted(describe(caught.value)) == [
        "field 'colour' is not part of this event type",
        "field 'occurred_on': not a calendar date: 2021-02-30",
        "field 'partner' is missing",
    ]


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"partner": "XX"}, "field 'partner': unknown partner 'XX': not an ISO 3166-1 alpha-2 country code"),
        ({"amount": "EUR 0"}, "field 'amount': amount must be positive, got 0"),
        ({"amount": "ZZZ 5"}, "field 'amount.currency': unknown currency 'ZZZ': not an ISO 4217 code"),
        ({"pillars": ["nope"]}, "field 'pillars.0': Input should be"),
        ({"occurred_on": "June 2021"}, "field 'occurred_on': a date reads YYYY-MM-DD"),
    ],
)
def test_a_described_problem_says_what_is_wrong_with_the_field(changes, sentence):
    with pytest.raises(ValidationError) as caught:
        parse({**COMMITTED, **changes})

    [described] = describe(caught.value)
    assert described.startswith(sentence)


# --- Submission keys -------------------------------------------------------------


def test_a_submission_key_is_the_given_id():
    assert parse({**OPENED, "id": "tn-open"}).key == "tn-open"


def test_a_submission_without_an_id_is_keyed_by_a_digest_of_its_content():
    key = parse(OPENED).key

    assert key.startswith("sha256:")
    assert key == parse(dict(reversed(OPENED.items()))).key


@pytest.mark.parametrize(
    "same",
    [
        {**OPENED, "partner": "tn"},
        {**OPENED, "partner": " TN "},
        {**OPENED, "occurred_on": date(2021, 1, 15)},
        {**OPENED, "notes": ""},
    ],
    ids=["lower-case-partner", "padded-partner", "date-object", "default-written-out"],
)
def test_the_same_content_written_differently_gives_the_same_key(same):
    assert parse(same).key == parse(OPENED).key


def test_money_written_as_text_or_as_fields_gives_the_same_key():
    as_text = {**COMMITTED, "amount": "EUR 1,250,000.10"}

    assert parse(as_text).key == parse(COMMITTED).key


@pytest.mark.parametrize(
    "other",
    [{**OPENED, "partner": "MA"}, {**OPENED, "occurred_on": "2021-01"}, {**OPENED, "pillars": []}],
    ids=["partner", "date-precision", "pillars"],
)
def test_different_content_gives_a_different_key(other):
    assert parse(other).key != parse(OPENED).key


def test_a_given_id_does_not_change_the_digest_of_the_content():
    assert parse({**OPENED, "id": "x"}).key != parse(OPENED).key
    assert parse({**OPENED, "id": "x"}).model_copy(update={"id": None}).key == parse(OPENED).key


# --- JSON Schema -------------------------------------------------------------------


def refs(node):
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_the_schema_of_the_vocabulary_lists_every_event_type():
    schema = json_schema()

    facts = [f"#/$defs/{name}" for name in sorted(VOCABULARY)]
    assert [one["$ref"] for one in schema["oneOf"]][: len(facts)] == facts
    assert set(VOCABULARY) <= set(schema["$defs"])
    for name in VOCABULARY:
        assert schema["$defs"][name]["properties"]["type"]["const"] == name


def test_the_schema_places_an_amendment_by_the_one_field_naming_its_record():
    schema = json_schema()

    for name in AMENDMENTS:
        for subject in ("partner", "meeting", "initiative", "instrument"):
            variant = schema["$defs"][f"{name}_{subject}"]
            assert variant["properties"]["type"]["const"] == name
            assert subject in variant["required"]
            assert variant["additionalProperties"] is False


def test_every_reference_in_the_schema_of_the_vocabulary_resolves():
    schema = json_schema()

    for ref in refs(schema):
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_the_schema_of_a_visit_requires_its_partner_date_and_visitors():
    schema = json_schema("VisitHeld")

    assert {"partner", "occurred_on", "visitors"} <= set(schema["required"])
    assert "notes" not in schema["required"]
    assert schema["properties"]["occurred_on"]["$ref"] == "#/$defs/EventDate"
    assert schema["$defs"]["EventDate"]["pattern"] == DATE_PATTERN


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_a_submission_schema_leaves_out_the_envelope_accord_adds(name):
    properties = json_schema(name)["properties"]

    assert not ENVELOPE & set(properties)
    assert {"type", "id", "occurred_on"} <= set(properties)


def test_the_schema_of_an_unknown_type_is_refused():
    with pytest.raises(UnknownEventType):
        json_schema("VisitDone")


def test_an_events_own_checks_across_fields_refuse_the_submission() -> None:
    arrivals = {
        "type": "ArrivalsReported",
        "partner": "TN",
        "occurred_on": "2021-06",
        "period_start": "2021-05",
        "period_end": "2021-01",
        "route": "Central Mediterranean",
        "count": 5,
        "source": "UNHCR",
    }

    with pytest.raises(ValidationError, match="period_end 2021-01 is before period_start 2021-05"):
        parse(arrivals)
