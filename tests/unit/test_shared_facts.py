"""Facts shared by several partners: meetings, initiatives and instrument envelopes.

Facts are recorded at 2021-06-06 12:00 UTC (see conftest) unless a test says otherwise.
"""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.base import record_fact
from domain.errors import AlreadyStarted, AmountNotPositive, DomainError, FutureDated, StageNotLater
from domain.initiative import Initiative, Instrument, Stage
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.values import EventDate

SCHEDULED = {
    "meeting": "jha-2021-06",
    "occurred_on": "2021-05",
    "body": "Justice and Home Affairs Council",
    "held_on": "2021-06-10",
    "partners": ["tn", "MA"],
}
ANNOUNCED = {
    "initiative": "anti-smuggling-2021",
    "occurred_on": "2021-05-20",
    "title": "Action plan against migrant smuggling",
    "stage": "proposed",
    "partners": ["TN"],
}
ENVELOPE = {
    "instrument": "NDICI-Global Europe",
    "occurred_on": "2021-06",
    "amount": "EUR 7950000000",
    "share": "0.10",
    "first_year": 2021,
    "last_year": 2027,
}


@pytest.fixture
def meeting(stamp):
    aggregate, _ = record_fact(None, Meeting, Meeting.MeetingScheduled, SCHEDULED, stamp())
    aggregate.collect_events()
    return aggregate


@pytest.fixture
def initiative(stamp):
    aggregate, _ = record_fact(None, Initiative, Initiative.InitiativeAnnounced, ANNOUNCED, stamp())
    aggregate.collect_events()
    return aggregate


# --- Meetings ----------------------------------------------------------------


def test_scheduling_a_meeting_starts_it_with_the_partners_on_its_agenda(stamp):
    meeting, recorded = record_fact(None, Meeting, Meeting.MeetingScheduled, SCHEDULED, stamp())

    assert recorded
    [event] = meeting.collect_events()
    assert isinstance(event, Meeting.MeetingScheduled)
    assert meeting.id == Meeting.id_for("JHA-2021-06")
    assert meeting.partners == ("TN", "MA")
    assert meeting.held_on == EventDate(2021, 6, 10)
    assert meeting.held is False


def test_a_meeting_may_be_scheduled_for_a_future_day(meeting):
    assert meeting.held_on.earliest.isoformat() == "2021-06-10"


def test_a_meeting_scheduled_with_an_unknown_partner_is_refused(stamp):
    with pytest.raises(ValidationError, match="unknown partner 'XX'"):
        record_fact(None, Meeting, Meeting.MeetingScheduled, {**SCHEDULED, "partners": ["XX"]}, stamp())


def test_scheduling_a_meeting_twice_raises_already_started(meeting, stamp):
    with pytest.raises(AlreadyStarted, match="meeting jha-2021-06 is already scheduled"):
        record_fact(meeting, Meeting, Meeting.MeetingScheduled, SCHEDULED, stamp())


def test_a_meeting_not_scheduled_cannot_be_held(stamp):
    with pytest.raises(DomainError, match="meeting jha-2021-06 is not scheduled"):
        record_fact(
            None, Meeting, Meeting.MeetingHeld, {"meeting": "jha-2021-06", "occurred_on": "2021-06-06"}, stamp()
        )


def test_holding_a_scheduled_meeting_marks_it_held(meeting, stamp):
    _, recorded = record_fact(
        meeting, Meeting, Meeting.MeetingHeld, {"meeting": "jha-2021-06", "occurred_on": "2021-06-06"}, stamp()
    )

    assert recorded
    assert meeting.held is True
    [event] = meeting.collect_events()
    assert isinstance(event, Meeting.MeetingHeld)


def test_a_meeting_held_after_the_recording_moment_is_refused(meeting, stamp):
    with pytest.raises(FutureDated):
        record_fact(
            meeting, Meeting, Meeting.MeetingHeld, {"meeting": "jha-2021-06", "occurred_on": "2021-06-10"}, stamp()
        )

    assert meeting.held is False


def test_a_meeting_scheduled_with_a_future_occurred_on_is_refused(stamp):
    with pytest.raises(FutureDated):
        record_fact(None, Meeting, Meeting.MeetingScheduled, {**SCHEDULED, "occurred_on": "2021-07"}, stamp())


# --- Initiatives -------------------------------------------------------------


def test_announcing_an_initiative_starts_it_at_its_stage(initiative):
    assert initiative.stage is Stage.PROPOSED
    assert initiative.partners == ("TN",)
    assert initiative.title == "Action plan against migrant smuggling"


def test_announcing_an_initiative_twice_raises_already_started(initiative, stamp):
    with pytest.raises(AlreadyStarted, match="initiative anti-smuggling-2021 is already announced"):
        record_fact(initiative, Initiative, Initiative.InitiativeAnnounced, ANNOUNCED, stamp())


def test_an_initiative_not_announced_cannot_advance(stamp):
    facts = {"initiative": "anti-smuggling-2021", "occurred_on": "2021-06-01", "stage": "adopted"}

    with pytest.raises(DomainError, match="initiative anti-smuggling-2021 is not announced"):
        record_fact(None, Initiative, Initiative.InitiativeAdvanced, facts, stamp())


def test_an_advancing_initiative_takes_its_new_stage(initiative, stamp):
    facts = {"initiative": "anti-smuggling-2021", "occurred_on": "2021-06-01", "stage": "adopted"}

    _, recorded = record_fact(initiative, Initiative, Initiative.InitiativeAdvanced, facts, stamp())

    assert recorded
    assert initiative.stage is Stage.ADOPTED


def test_an_initiative_stage_is_one_of_the_known_stages(stamp):
    with pytest.raises(ValidationError, match="stage"):
        record_fact(None, Initiative, Initiative.InitiativeAnnounced, {**ANNOUNCED, "stage": "rumoured"}, stamp())


def test_an_initiative_announced_after_the_recording_moment_is_refused(stamp):
    with pytest.raises(FutureDated):
        record_fact(
            None, Initiative, Initiative.InitiativeAnnounced, {**ANNOUNCED, "occurred_on": "2021-06-08"}, stamp()
        )


# --- Instrument envelopes ------------------------------------------------------


def test_setting_an_envelope_starts_the_instrument(stamp):
    instrument, recorded = record_fact(None, Instrument, Instrument.FundingEnvelopeSet, ENVELOPE, stamp())

    assert recorded
    assert instrument.id == Instrument.id_for("  ndici-global   EUROPE ")
    assert str(instrument.amount.amount) == "7950000000"
    assert instrument.share == Decimal("0.10")
    assert instrument.years == (2021, 2027)


def test_setting_an_envelope_twice_raises_already_started(stamp):
    instrument, _ = record_fact(None, Instrument, Instrument.FundingEnvelopeSet, ENVELOPE, stamp())

    with pytest.raises(AlreadyStarted, match="instrument NDICI-Global Europe is already given an envelope"):
        record_fact(instrument, Instrument, Instrument.FundingEnvelopeSet, ENVELOPE, stamp())


@pytest.mark.parametrize("amount", ["EUR 0", "EUR -1"])
def test_an_envelope_of_an_amount_that_is_not_positive_is_refused(stamp, amount):
    with pytest.raises(ValidationError) as caught:
        record_fact(None, Instrument, Instrument.FundingEnvelopeSet, {**ENVELOPE, "amount": amount}, stamp())

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], AmountNotPositive)


@pytest.mark.parametrize("share", ["0", "-0.1", "1.01"])
def test_an_envelope_share_is_more_than_nothing_and_at_most_the_whole(stamp, share):
    with pytest.raises(ValidationError, match="share"):
        record_fact(None, Instrument, Instrument.FundingEnvelopeSet, {**ENVELOPE, "share": share}, stamp())


def test_an_envelope_may_take_the_whole_instrument(stamp):
    instrument, _ = record_fact(None, Instrument, Instrument.FundingEnvelopeSet, {**ENVELOPE, "share": "1"}, stamp())

    assert instrument.share == 1


def test_an_envelope_set_after_the_recording_moment_is_refused(stamp):
    with pytest.raises(FutureDated):
        record_fact(None, Instrument, Instrument.FundingEnvelopeSet, {**ENVELOPE, "occurred_on": "2022"}, stamp())


def test_aggregates_of_different_kinds_never_share_an_id():
    assert len({kind.id_for("TN") for kind in (Partnership, Meeting, Initiative, Instrument)}) == 4


@pytest.mark.parametrize("stage", ["planned", "proposed"])
def test_an_initiative_never_moves_back_or_stays_at_its_stage(initiative, stamp, stage):
    facts = {"initiative": "anti-smuggling-2021", "occurred_on": "2021-06-01", "stage": stage}

    with pytest.raises(StageNotLater, match=f"is already proposed; it cannot move back to {stage}"):
        record_fact(initiative, Initiative, Initiative.InitiativeAdvanced, facts, stamp())


def test_an_envelope_whose_period_ends_before_it_starts_is_refused(stamp):
    with pytest.raises(ValidationError, match="last_year 2020 is before first_year 2021"):
        record_fact(None, Instrument, Instrument.FundingEnvelopeSet, {**ENVELOPE, "last_year": 2020}, stamp())
