"""Corrections and retractions decided on an aggregate's whole history:
the record folded again with them, every rule checked anew.

Facts are recorded at 2021-06-06 12:00 UTC (see conftest) unless a test says otherwise.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.amendments import amend, effective, fold
from domain.base import record_fact
from domain.errors import CorrectionBreaksRecord, CorrectionInvalid, FactAlreadyRetracted, FactNotRecorded
from domain.initiative import Instrument
from domain.meeting import Meeting
from domain.partnership import Partnership

P = Partnership
LATER = datetime(2021, 7, 1, 9, tzinfo=UTC)


class Record:
    """One partnership's history, as the log would hold it."""

    def __init__(self, stamp: Any) -> None:
        self.stamp = stamp
        self.history: list[Any] = []
        self.aggregate: Any = None

    def fact(self, event_class: Any, key: str, **facts: Any) -> "Record":
        values = {"partner": "TN", "occurred_on": "2021-05-20", **facts}
        self.aggregate, recorded = record_fact(self.aggregate, P, event_class, values, self.stamp(key))
        assert recorded
        self.history += self.aggregate.collect_events()
        return self

    def amend(self, event_class: Any, target: str, *, at: datetime = LATER, **facts: Any) -> Any:
        values = {"partner": "TN", "target": target, "reason": "recorded in error", **facts}
        self.aggregate = amend(P, self.history, event_class, values, self.stamp(at=at))
        self.history += self.aggregate.collect_events()
        return self.aggregate


@pytest.fixture
def funded(stamp: Any) -> Record:
    return (
        Record(stamp)
        .fact(P.PartnershipOpened, "open", occurred_on="2021-01-15")
        .fact(P.FundingCommitted, "commit", funding="f", instrument="NDICI", amount="EUR 1000000")
        .fact(P.FundingDisbursed, "paid", funding="f", amount="EUR 400000", occurred_on="2021-06-01")
        .fact(P.VisitHeld, "visit", visitors=["Commissioner Johansson"])
    )


def test_a_corrected_record_is_the_record_as_it_should_have_been_recorded(funded: Record, stamp: Any) -> None:
    corrected = funded.amend(P.FactCorrected, "commit", changes={"amount": "EUR 900000"})

    right = (
        Record(stamp)
        .fact(P.PartnershipOpened, "open", occurred_on="2021-01-15")
        .fact(P.FundingCommitted, "commit", funding="f", instrument="NDICI", amount="EUR 900000")
        .fact(P.FundingDisbursed, "paid", funding="f", amount="EUR 400000", occurred_on="2021-06-01")
        .fact(P.VisitHeld, "visit", visitors=["Commissioner Johansson"])
    )
    assert corrected.funding == right.aggregate.funding
    assert corrected.funding["f"].remaining == Decimal("500000")
    assert corrected.version == 5
    assert corrected.modified_on == LATER
    assert fold(funded.history).funding == corrected.funding


def test_a_commitment_cannot_be_corrected_below_what_was_paid_out(funded: Record) -> None:
    with pytest.raises(CorrectionBreaksRecord, match="would exceed its commitment of EUR 300,000"):
        funded.amend(P.FactCorrected, "commit", changes={"amount": "EUR 300000"})


def test_an_increase_paid_on_cannot_be_corrected_below_what_was_paid_nor_retracted(stamp: Any) -> None:
    topped_up = (
        Record(stamp)
        .fact(P.PartnershipOpened, "open", occurred_on="2021-01-15")
        .fact(P.FundingCommitted, "commit", funding="f", instrument="NDICI", amount="EUR 100")
        .fact(P.FundingIncreased, "more", funding="f", amount="EUR 50")
        .fact(P.FundingDisbursed, "paid", funding="f", amount="EUR 120", occurred_on="2021-06-01")
    )

    with pytest.raises(CorrectionBreaksRecord) as lowered:
        topped_up.amend(P.FactCorrected, "more", changes={"amount": "EUR 10"})
    with pytest.raises(CorrectionBreaksRecord, match="would exceed its commitment of EUR 100 "):
        topped_up.amend(P.FactRetracted, "more")
    corrected = topped_up.amend(P.FactCorrected, "more", changes={"amount": "EUR 70"})

    assert str(lowered.value).endswith(
        "disbursing EUR 120 on funding 'f' would exceed its commitment of EUR 110 (nothing disbursed, EUR 110 remain)"
    )
    assert (corrected.funding["f"].committed, corrected.funding["f"].remaining) == (Decimal(170), Decimal(50))


def test_a_payment_cannot_be_corrected_to_before_its_commitment(funded: Record) -> None:
    with pytest.raises(CorrectionBreaksRecord, match="would precede its commitment"):
        funded.amend(P.FactCorrected, "paid", changes={"occurred_on": "2021-01"})


def test_a_commitment_paid_on_cannot_be_retracted_but_its_payment_can(funded: Record) -> None:
    with pytest.raises(CorrectionBreaksRecord, match="funding 'f' with TN is not committed"):
        funded.amend(P.FactRetracted, "commit")

    after = funded.amend(P.FactRetracted, "paid")
    assert after.funding["f"].disbursed == 0
    with pytest.raises(FactAlreadyRetracted):
        funded.amend(P.FactCorrected, "paid", changes={"amount": "EUR 1"})


def test_a_dialogue_launch_with_rounds_cannot_be_retracted_nor_dated_after_them(stamp: Any) -> None:
    talks = (
        Record(stamp)
        .fact(P.PartnershipOpened, "open", occurred_on="2021-01-15")
        .fact(P.DialogueLaunched, "launch", dialogue="d", title="Migration dialogue", occurred_on="2021-02")
        .fact(P.DialogueRoundHeld, "round", dialogue="d", occurred_on="2021-04-01")
    )
    with pytest.raises(CorrectionBreaksRecord, match="is not launched"):
        talks.amend(P.FactRetracted, "launch")
    with pytest.raises(CorrectionBreaksRecord, match="would precede its launch"):
        talks.amend(P.FactCorrected, "launch", changes={"occurred_on": "2021-05"})


def test_the_first_fact_is_corrected_not_retracted(funded: Record) -> None:
    with pytest.raises(CorrectionBreaksRecord, match="can be corrected, not retracted"):
        funded.amend(P.FactRetracted, "open")
    assert funded.amend(P.FactCorrected, "open", changes={"pillars": ["protection"]}).pillars == {"protection"}


def test_a_date_is_judged_future_against_the_correction_not_the_first_recording(funded: Record) -> None:
    # Recorded on 6 June; corrected on 1 July to 25 June: a date that had passed by then.
    assert funded.amend(P.FactCorrected, "visit", changes={"occurred_on": "2021-06-25"}).last_visit is not None
    with pytest.raises(CorrectionBreaksRecord, match="after the moment it is recorded"):
        funded.amend(P.FactCorrected, "visit", changes={"occurred_on": "2021-07-25"})


def test_later_corrections_of_a_fact_add_up_field_by_field(funded: Record) -> None:
    funded.amend(P.FactCorrected, "visit", changes={"place": "Tunis", "visitors": ["A"]})
    funded.amend(P.FactCorrected, "visit", changes={"visitors": ["B"]}, at=LATER + timedelta(days=1))

    [visit] = [fact for fact in effective(funded.history) if fact.key == "visit"]
    assert (visit.place, visit.visitors) == ("Tunis", ("B",))
    assert visit.timestamp == funded.history[3].timestamp  # still the fact recorded on 6 June


def test_a_retracted_fact_leaves_the_effective_history(funded: Record) -> None:
    funded.amend(P.FactRetracted, "visit")

    assert [fact.key for fact in effective(funded.history)] == ["open", "commit", "paid"]
    assert funded.aggregate.counts.visits == 0
    assert funded.aggregate.submissions >= {"visit"}  # its key stays recorded


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"partner": "MA"}, "its partner cannot be corrected"),
        ({"visits": 2}, "VisitHeld has no field 'visits'"),
        ({"visitors": []}, "field 'visitors'"),
        ({"visitors": ["Commissioner Johansson"]}, "it changes nothing"),
        ({"occurred_on": "2021-13"}, "field 'occurred_on'"),
    ],
)
def test_a_correction_names_fields_of_its_fact_with_values_they_accept(funded: Record, changes: Any, said: str):
    with pytest.raises(CorrectionInvalid, match=said):
        funded.amend(P.FactCorrected, "visit", changes=changes)


def test_an_amendment_names_a_fact_not_another_amendment(funded: Record) -> None:
    funded.amend(P.FactCorrected, "visit", changes={"place": "Tunis"})
    amendment_key = funded.history[-1].key

    with pytest.raises(FactNotRecorded, match=f"no fact with key '{amendment_key}' is recorded on partnership TN"):
        funded.amend(P.FactRetracted, amendment_key)


def test_meetings_and_instruments_take_amendments_by_their_own_subject(stamp: Any) -> None:
    meeting, _ = record_fact(
        None,
        Meeting,
        Meeting.MeetingScheduled,
        {"meeting": "jha", "occurred_on": "2021-05", "body": "JHA Council", "held_on": "2021-06", "partners": ["TN"]},
        stamp("jha"),
    )
    moved = amend(
        Meeting,
        meeting.collect_events(),
        Meeting.FactCorrected,
        {
            "meeting": "jha",
            "target": "jha",
            "changes": {"held_on": "2021-06-07", "partners": ["TN", "MA"]},
            "reason": "x",
        },
        stamp(at=LATER),
    )
    assert (str(moved.held_on), moved.partners) == ("2021-06-07", ("TN", "MA"))

    envelope, _ = record_fact(
        None,
        Instrument,
        Instrument.FundingEnvelopeSet,
        {
            "instrument": "NDICI",
            "occurred_on": "2021",
            "amount": "EUR 8000000000",
            "first_year": 2021,
            "last_year": 2027,
        },
        stamp("env"),
    )
    with pytest.raises(CorrectionInvalid, match="last_year 2020 is before first_year 2021"):
        amend(
            Instrument,
            envelope.collect_events(),
            Instrument.FactCorrected,
            {"instrument": "NDICI", "target": "env", "changes": {"last_year": 2020}, "reason": "x"},
            stamp(at=LATER),
        )
