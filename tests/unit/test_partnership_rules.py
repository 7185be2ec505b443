"""The rules a partnership keeps, and what each recorded fact does to it.

Facts are recorded at 2021-06-06 12:00 UTC (see conftest) unless a test says otherwise.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.base import record_fact
from domain.errors import (
    AlreadyStarted,
    AmountNotPositive,
    CommitmentAlreadyClosed,
    CommitmentAlreadyRecorded,
    CommitmentNotRecorded,
    CurrencyMismatch,
    DecommitmentExceedsRemaining,
    DialogueAlreadyLaunched,
    DialogueNotLaunched,
    DisbursementExceedsCommitment,
    FundingAlreadyCommitted,
    FundingNotCommitted,
    FutureDated,
    PartnershipNotOpened,
    PrecedesCommitment,
    RoundPrecedesLaunch,
    UnknownPartner,
)
from domain.partnership import Partnership, PartnershipFact
from domain.values import EventDate, Pillar

P = Partnership


def open_partnership(stamp, partner="TN", on="2021-01-15", **facts):
    partnership, recorded = record_fact(
        None, P, P.PartnershipOpened, {"partner": partner, "occurred_on": on, **facts}, stamp
    )
    assert recorded
    return partnership


def record(partnership, event_class, stamp, **facts):
    """Record one fact on the TN partnership, dated 2021-05-20 unless given."""
    aggregate, recorded = record_fact(
        partnership, P, event_class, {"partner": "TN", "occurred_on": "2021-05-20", **facts}, stamp
    )
    assert aggregate is partnership
    return recorded


@pytest.fixture
def tunisia(stamp):
    partnership = open_partnership(stamp())
    partnership.collect_events()
    return partnership


@pytest.fixture
def funded(tunisia, stamp):
    """TN with EUR 1,000,000 committed under the reference 'tn-border-1'."""
    record(tunisia, P.FundingCommitted, stamp(), funding="tn-border-1", instrument="NDICI", amount="EUR 1000000")
    tunisia.collect_events()
    return tunisia


@pytest.fixture
def promised(tunisia, stamp):
    """TN with an open commitment 'tn-return-1'."""
    record(tunisia, P.CommitmentRecorded, stamp(), commitment="tn-return-1", party="partner", description="Readmit")
    tunisia.collect_events()
    return tunisia


# --- Opening --------------------------------------------------------------


def test_opening_a_partnership_starts_it_under_the_partner_code(stamp):
    partnership = open_partnership(stamp("open-tn"), partner="tn", pillars=["protection"])

    [event] = partnership.collect_events()
    assert isinstance(event, P.PartnershipOpened)
    assert (event.partner, event.key, event.actor) == ("TN", "open-tn", "analyst")
    assert partnership.id == P.id_for("TN") == P.id_for("tn")
    assert partnership.partner == "TN"
    assert partnership.name == "Tunisia"
    assert partnership.opened_on == EventDate(2021, 1, 15)
    assert partnership.pillars == {Pillar.PROTECTION}
    assert partnership.version == 1
    assert partnership.submissions == {"open-tn"}


def test_opening_a_partnership_with_a_code_that_names_no_country_is_refused(stamp):
    with pytest.raises(ValidationError) as caught:
        open_partnership(stamp(), partner="XX")

    assert isinstance(caught.value.errors()[0]["ctx"]["error"], UnknownPartner)


def test_opening_a_partnership_twice_under_a_new_key_raises_already_started(tunisia, stamp):
    with pytest.raises(AlreadyStarted, match="partnership TN is already opened"):
        record_fact(tunisia, P, P.PartnershipOpened, {"partner": "TN", "occurred_on": "2021-02-01"}, stamp())

    assert tunisia.collect_events() == []
    assert tunisia.opened_on == EventDate(2021, 1, 15)


def test_opening_a_partnership_again_under_the_same_key_records_nothing(stamp):
    partnership = open_partnership(stamp("open-tn"))

    again, recorded = record_fact(
        partnership, P, P.PartnershipOpened, {"partner": "TN", "occurred_on": "2021-01-15"}, stamp("open-tn")
    )

    assert again is partnership
    assert recorded is False
    assert len(partnership.collect_events()) == 1


NOT_OPENING = sorted(
    (value for value in P.event_classes() if issubclass(value, PartnershipFact) and value is not P.PartnershipOpened),
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("event_class", NOT_OPENING, ids=lambda cls: cls.__name__)
def test_nothing_is_recorded_on_a_partnership_not_opened(event_class, stamp):
    with pytest.raises(PartnershipNotOpened, match="partnership TN is not opened: record PartnershipOpened"):
        record_fact(None, P, event_class, {"partner": "TN", "occurred_on": "2021-05-20"}, stamp())


# --- Dates ----------------------------------------------------------------


def test_a_visit_dated_two_days_after_the_recording_moment_is_refused(tunisia, stamp):
    with pytest.raises(FutureDated, match="occurred_on 2021-06-08 is after the moment it is recorded"):
        record(tunisia, P.VisitHeld, stamp(), occurred_on="2021-06-08", visitors=["Commissioner"])

    assert tunisia.collect_events() == []
    assert tunisia.counts.visits == 0
    assert tunisia.last_visit is None


def test_a_visit_held_on_the_day_it_is_recorded_is_allowed(tunisia, stamp):
    assert record(tunisia, P.VisitHeld, stamp(), occurred_on="2021-06-06", visitors=["Commissioner"])

    assert tunisia.last_visit == EventDate(2021, 6, 6)


def test_a_fact_dated_on_the_day_it_already_is_somewhere_on_earth_is_allowed(tunisia, stamp):
    # At 12:00 UTC it is already 02:00 on 7 June in UTC+14.
    assert record(tunisia, P.VisitHeld, stamp(), occurred_on="2021-06-07", visitors=["Commissioner"])


def test_a_fact_dated_on_a_day_that_has_begun_nowhere_is_refused(tunisia, stamp):
    # At 09:59 UTC it is 23:59 on 6 June in UTC+14: 7 June has begun nowhere.
    early = stamp(at=datetime(2021, 6, 6, 9, 59, tzinfo=UTC))

    with pytest.raises(FutureDated):
        record(tunisia, P.VisitHeld, early, occurred_on="2021-06-07", visitors=["Commissioner"])


def test_the_recording_moment_is_read_as_an_instant_whatever_its_time_zone(tunisia, stamp):
    # Midnight on 6 June in UTC-10 is 10:00 UTC, when 7 June begins in UTC+14.
    midnight_in_hawaii = stamp(at=datetime(2021, 6, 6, tzinfo=timezone(timedelta(hours=-10))))

    assert record(tunisia, P.VisitHeld, midnight_in_hawaii, occurred_on="2021-06-07", visitors=["Commissioner"])


def test_a_refusal_for_a_future_date_shows_the_recording_moment_in_utc(tunisia, stamp):
    two_in_the_afternoon_in_paris = stamp(at=datetime(2021, 6, 6, 14, tzinfo=timezone(timedelta(hours=2))))

    with pytest.raises(FutureDated, match=r"\(2021-06-06 12:00 UTC\)"):
        record(tunisia, P.VisitHeld, two_in_the_afternoon_in_paris, occurred_on="2021-06-08", visitors=["Commissioner"])


def test_a_dialogue_round_dated_after_the_recording_moment_is_refused(tunisia, stamp):
    record(tunisia, P.DialogueLaunched, stamp(), dialogue="tn-mobility", title="Mobility dialogue")

    with pytest.raises(FutureDated):
        record(tunisia, P.DialogueRoundHeld, stamp(), dialogue="tn-mobility", occurred_on="2021-06-08")

    assert tunisia.dialogues["tn-mobility"].rounds == 0


def test_opening_a_partnership_dated_after_the_recording_moment_is_refused(stamp):
    with pytest.raises(FutureDated):
        open_partnership(stamp(), on="2021-06-08")


@pytest.mark.parametrize("occurred_on", ["2021-06", "2021", "2021-06-01"])
def test_a_date_whose_first_day_has_come_is_allowed_at_any_precision(tunisia, stamp, occurred_on):
    assert record(tunisia, P.PartnershipNoteAdded, stamp(), occurred_on=occurred_on, text="Noted")


@pytest.mark.parametrize("occurred_on", ["2021-07", "2022", "2021-06-08"])
def test_a_date_whose_first_day_is_still_to_come_is_refused_at_any_precision(tunisia, stamp, occurred_on):
    with pytest.raises(FutureDated, match=f"occurred_on {occurred_on} is after"):
        record(tunisia, P.PartnershipNoteAdded, stamp(), occurred_on=occurred_on, text="Noted")


def test_a_visit_may_be_planned_for_a_future_date(tunisia, stamp):
    assert record(tunisia, P.VisitPlanned, stamp(), occurred_on="2021-06-06", planned_for="2021-09")

    assert tunisia.planned_visits == [EventDate(2021, 9)]


# --- Funding -----------------------------------------------------------------


@pytest.mark.parametrize("amount", ["EUR 0", "EUR 0.00", "EUR -250000", {"amount": "-1", "currency": "EUR"}])
def test_funding_of_an_amount_that_is_not_positive_is_refused(tunisia, stamp, amount):
    with pytest.raises(ValidationError) as caught:
        record(tunisia, P.FundingCommitted, stamp(), funding="tn-1", instrument="NDICI", amount=amount)

    [problem] = caught.value.errors()
    assert problem["loc"] == ("amount",)
    assert isinstance(problem["ctx"]["error"], AmountNotPositive)
    assert tunisia.funding == {}


@pytest.mark.parametrize("amount", ["EUR 0", "EUR -5"])
def test_a_disbursement_of_an_amount_that_is_not_positive_is_refused(funded, stamp, amount):
    with pytest.raises(ValidationError, match="amount must be positive"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount=amount)


def test_funding_committed_is_kept_as_an_exact_decimal(tunisia, stamp):
    record(tunisia, P.FundingCommitted, stamp(), funding="tn-1", instrument="NDICI", amount="EUR 1250000.10")

    line = tunisia.funding["tn-1"]
    assert (line.currency, str(line.committed)) == ("EUR", "1250000.10")
    assert line.remaining == Decimal("1250000.10")
    assert line.committed_on == EventDate(2021, 5, 20)


def test_committing_the_same_funding_reference_twice_is_refused(funded, stamp):
    with pytest.raises(FundingAlreadyCommitted, match="funding 'tn-border-1' with TN is already committed"):
        record(funded, P.FundingCommitted, stamp(), funding="tn-border-1", instrument="AMIF", amount="EUR 5")

    assert funded.funding["tn-border-1"].instrument == "NDICI"


def test_a_disbursement_within_its_commitment_is_recorded(funded, stamp):
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 250000")

    [event] = funded.collect_events()
    assert isinstance(event, P.FundingDisbursed)
    assert funded.funding["tn-border-1"].disbursed == Decimal(250000)
    assert funded.funding["tn-border-1"].remaining == Decimal(750000)


def test_a_disbursement_exactly_equal_to_its_commitment_is_allowed(funded, stamp):
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 1000000.00")

    assert funded.funding["tn-border-1"].remaining == 0


def test_a_disbursement_beyond_its_commitment_is_refused(funded, stamp):
    with pytest.raises(DisbursementExceedsCommitment, match="would exceed its commitment of EUR 1,000,000"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 1000000.01")

    assert funded.collect_events() == []
    assert funded.funding["tn-border-1"].disbursed == 0


def test_disbursements_are_counted_together_against_their_commitment(funded, stamp):
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 600000")
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 300000")

    with pytest.raises(DisbursementExceedsCommitment, match="EUR 100,000 remain"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 100000.01")

    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 100000")
    assert funded.funding["tn-border-1"].remaining == 0
    with pytest.raises(DisbursementExceedsCommitment):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 0.01")
    assert len(funded.collect_events()) == 3


def test_disbursements_in_cents_add_up_exactly(tunisia, stamp):
    record(tunisia, P.FundingCommitted, stamp(), funding="tn-1", instrument="NDICI", amount="EUR 0.30")
    for _ in range(3):
        assert record(tunisia, P.FundingDisbursed, stamp(), funding="tn-1", amount="EUR 0.10")

    assert tunisia.funding["tn-1"].remaining == 0
    with pytest.raises(DisbursementExceedsCommitment):
        record(tunisia, P.FundingDisbursed, stamp(), funding="tn-1", amount="EUR 0.01")


def test_a_disbursement_in_another_currency_than_its_commitment_is_refused(funded, stamp):
    with pytest.raises(CurrencyMismatch, match="funding 'tn-border-1' is committed in EUR, not USD"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="USD 100")

    assert funded.funding["tn-border-1"].disbursed == 0


def test_a_disbursement_dated_before_its_commitment_is_refused(funded, stamp):
    with pytest.raises(
        PrecedesCommitment,
        match="a disbursement on funding 'tn-border-1' dated 2021-05-19 would precede its commitment on 2021-05-20",
    ):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 100", occurred_on="2021-05-19")

    assert funded.funding["tn-border-1"].disbursed == 0


def test_a_disbursement_known_to_the_month_of_its_commitment_is_recorded(funded, stamp):
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 100", occurred_on="2021-05")


# --- Decommitments ----------------------------------------------------------


def test_a_decommitment_reduces_what_remains_to_be_paid(funded, stamp):
    assert record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 400000", reason="scaled")

    line = funded.funding["tn-border-1"]
    assert (line.committed, line.decommitted, line.remaining) == (Decimal(1000000), Decimal(400000), Decimal(600000))
    with pytest.raises(DisbursementExceedsCommitment, match="its commitment of EUR 600,000"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 600000.01")


def test_a_commitment_is_never_decommitted_below_what_was_disbursed(funded, stamp):
    record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 900000")

    with pytest.raises(DecommitmentExceedsRemaining) as refused:
        record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 100000.01")

    assert str(refused.value) == (
        "decommitting EUR 100,000.01 on funding 'tn-border-1' would take off more than remains of its commitment "
        "of EUR 1,000,000 (EUR 900,000 disbursed, EUR 100,000 remain)"
    )

    assert record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 100000")
    assert funded.funding["tn-border-1"].remaining == 0


def test_a_decommitment_beyond_a_line_nothing_was_paid_on_names_its_true_figures(funded, stamp):
    record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 233")

    with pytest.raises(DecommitmentExceedsRemaining) as refused:
        record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 999767.01")

    assert str(refused.value) == (
        "decommitting EUR 999,767.01 on funding 'tn-border-1' would take off more than remains of its commitment "
        "of EUR 999,767 (EUR 233 decommitted, nothing disbursed, EUR 999,767 remain)"
    )


@pytest.mark.parametrize(
    ("facts", "error"),
    [
        ({"funding": "tn-other", "amount": "EUR 1"}, FundingNotCommitted),
        ({"funding": "tn-border-1", "amount": "USD 1"}, CurrencyMismatch),
        ({"funding": "tn-border-1", "amount": "EUR 1", "occurred_on": "2021-04"}, PrecedesCommitment),
    ],
)
def test_a_decommitment_draws_on_a_commitment_in_its_currency_and_after_it(funded, stamp, facts, error):
    with pytest.raises(error):
        record(funded, P.FundingDecommitted, stamp(), **facts)

    assert funded.funding["tn-border-1"].decommitted == 0


def test_a_disbursement_on_funding_never_committed_is_refused(funded, stamp):
    with pytest.raises(FundingNotCommitted, match="funding 'tn-other' with TN is not committed"):
        record(funded, P.FundingDisbursed, stamp(), funding="tn-other", amount="EUR 100")


def test_funding_committed_to_one_partner_cannot_be_disbursed_by_another(funded, stamp):
    morocco = open_partnership(stamp(), partner="MA")

    with pytest.raises(FundingNotCommitted):
        record_fact(
            morocco,
            P,
            P.FundingDisbursed,
            {"partner": "MA", "occurred_on": "2021-05-20", "funding": "tn-border-1", "amount": "EUR 1"},
            stamp(),
        )


# --- Increases (tranches, top-ups) -------------------------------------------


def test_an_increase_adds_to_what_its_line_may_pay_out(funded, stamp):
    assert record(funded, P.FundingIncreased, stamp(), funding="tn-border-1", amount="EUR 500000.50")
    assert record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 1200000")

    line = funded.funding["tn-border-1"]
    assert (line.committed, line.disbursed, line.remaining) == (
        Decimal("1500000.50"),
        Decimal(1200000),
        Decimal("300000.50"),
    )
    with pytest.raises(DisbursementExceedsCommitment) as refused:
        record(funded, P.FundingDisbursed, stamp(), funding="tn-border-1", amount="EUR 300000.51")
    assert str(refused.value) == (
        "disbursing EUR 300,000.51 on funding 'tn-border-1' would exceed its commitment of EUR 1,500,000.50 "
        "(EUR 1,200,000 disbursed, EUR 300,000.50 remain)"
    )


def test_a_decommitment_may_take_back_what_an_increase_added(funded, stamp):
    record(funded, P.FundingIncreased, stamp(), funding="tn-border-1", amount="EUR 250000")

    assert record(funded, P.FundingDecommitted, stamp(), funding="tn-border-1", amount="EUR 1250000")
    assert funded.funding["tn-border-1"].remaining == 0


@pytest.mark.parametrize(
    ("facts", "error", "said"),
    [
        (
            {"funding": "tn-other", "amount": "EUR 1"},
            FundingNotCommitted,
            "funding 'tn-other' with TN is not committed",
        ),
        (
            {"funding": "tn-border-1", "amount": "USD 1"},
            CurrencyMismatch,
            "funding 'tn-border-1' is committed in EUR, not USD",
        ),
        (
            {"funding": "tn-border-1", "amount": "EUR 1", "occurred_on": "2021-04"},
            PrecedesCommitment,
            "an increase on funding 'tn-border-1' dated 2021-04 would precede its commitment on 2021-05-20",
        ),
    ],
)
def test_an_increase_is_refused_on_a_line_not_committed_in_its_currency_or_before(funded, stamp, facts, error, said):
    with pytest.raises(error) as refused:
        record(funded, P.FundingIncreased, stamp(), **facts)

    assert str(refused.value) == said
    assert funded.funding["tn-border-1"].committed == Decimal(1000000)
    assert funded.collect_events() == []


@pytest.mark.parametrize("amount", ["EUR 0", "EUR -5"])
def test_an_increase_of_an_amount_that_is_not_positive_is_refused(funded, stamp, amount):
    with pytest.raises(ValidationError, match="amount must be positive"):
        record(funded, P.FundingIncreased, stamp(), funding="tn-border-1", amount=amount)


# --- Dialogues ---------------------------------------------------------------


def test_a_dialogue_round_needs_a_launched_dialogue(tunisia, stamp):
    with pytest.raises(DialogueNotLaunched, match="dialogue 'tn-mobility' with TN is not launched"):
        record(tunisia, P.DialogueRoundHeld, stamp(), dialogue="tn-mobility")

    assert tunisia.counts.rounds == 0


def test_a_dialogue_round_dated_before_the_launch_is_refused(tunisia, stamp):
    record(tunisia, P.DialogueLaunched, stamp(), dialogue="tn-mobility", title="Mobility dialogue")

    with pytest.raises(
        RoundPrecedesLaunch,
        match="a round of dialogue 'tn-mobility' dated 2021-04 would precede its launch on 2021-05-20",
    ):
        record(tunisia, P.DialogueRoundHeld, stamp(), dialogue="tn-mobility", occurred_on="2021-04")

    assert record(tunisia, P.DialogueRoundHeld, stamp(), dialogue="tn-mobility", occurred_on="2021-05")
    assert tunisia.counts.rounds == 1


def test_launching_the_same_dialogue_twice_is_refused(tunisia, stamp):
    record(tunisia, P.DialogueLaunched, stamp(), dialogue="tn-mobility", title="Mobility dialogue")

    with pytest.raises(DialogueAlreadyLaunched, match="dialogue 'tn-mobility' with TN is already launched"):
        record(tunisia, P.DialogueLaunched, stamp(), dialogue="tn-mobility", title="Mobility dialogue, again")

    assert tunisia.dialogues["tn-mobility"].title == "Mobility dialogue"


def test_rounds_of_a_launched_dialogue_are_counted(tunisia, stamp):
    record(
        tunisia,
        P.DialogueLaunched,
        stamp(),
        occurred_on="2021-02",
        dialogue="tn-mobility",
        title="Mobility",
        cadence_days=90,
    )
    record(tunisia, P.DialogueRoundHeld, stamp(), occurred_on="2021-03-10", dialogue="tn-mobility")
    record(tunisia, P.DialogueRoundHeld, stamp(), occurred_on="2021-05-20", dialogue="tn-mobility", outcome="Agreed")

    dialogue = tunisia.dialogues["tn-mobility"]
    assert (dialogue.launched_on, dialogue.cadence_days) == (EventDate(2021, 2), 90)
    assert (dialogue.rounds, dialogue.last_round_on) == (2, EventDate(2021, 5, 20))
    assert tunisia.counts.rounds == 2


def test_a_dialogue_cadence_is_at_least_one_day(tunisia, stamp):
    with pytest.raises(ValidationError, match="cadence_days"):
        record(tunisia, P.DialogueLaunched, stamp(), dialogue="tn-mobility", title="Mobility", cadence_days=0)


# --- Commitments -------------------------------------------------------------


def test_recording_the_same_commitment_reference_twice_is_refused(promised, stamp):
    with pytest.raises(CommitmentAlreadyRecorded, match="commitment 'tn-return-1' with TN is already recorded"):
        record(promised, P.CommitmentRecorded, stamp(), commitment="tn-return-1", party="eu", description="Fund")

    assert promised.commitments["tn-return-1"].description == "Readmit"


@pytest.mark.parametrize("event_class", [P.CommitmentFulfilled, P.CommitmentLapsed], ids=lambda cls: cls.__name__)
def test_only_a_recorded_commitment_can_be_fulfilled_or_lapse(promised, stamp, event_class):
    with pytest.raises(CommitmentNotRecorded, match="commitment 'tn-other' with TN is not recorded"):
        record(promised, event_class, stamp(), commitment="tn-other")


def test_a_fulfilled_commitment_is_closed(promised, stamp):
    assert record(promised, P.CommitmentFulfilled, stamp(), commitment="tn-return-1")

    assert promised.commitments["tn-return-1"].status == "fulfilled"


def test_a_lapsed_commitment_is_closed(promised, stamp):
    assert record(promised, P.CommitmentLapsed, stamp(), commitment="tn-return-1", reason="Deadline passed")

    assert promised.commitments["tn-return-1"].status == "lapsed"


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        (P.CommitmentFulfilled, P.CommitmentFulfilled, "fulfilled"),
        (P.CommitmentFulfilled, P.CommitmentLapsed, "fulfilled"),
        (P.CommitmentLapsed, P.CommitmentLapsed, "lapsed"),
        (P.CommitmentLapsed, P.CommitmentFulfilled, "lapsed"),
    ],
    ids=["fulfilled-twice", "fulfilled-then-lapsed", "lapsed-twice", "lapsed-then-fulfilled"],
)
def test_a_commitment_is_fulfilled_or_lapses_only_once(promised, stamp, first, then, status):
    record(promised, first, stamp(), commitment="tn-return-1")

    with pytest.raises(CommitmentAlreadyClosed, match=f"commitment 'tn-return-1' with TN is already {status}"):
        record(promised, then, stamp(), commitment="tn-return-1")

    assert promised.commitments["tn-return-1"].status == status


# --- Submission keys -----------------------------------------------------------


def test_the_same_key_twice_records_one_event(tunisia, stamp):
    assert record(tunisia, P.VisitHeld, stamp("visit-1"), visitors=["Commissioner"]) is True
    assert record(tunisia, P.VisitHeld, stamp("visit-1"), visitors=["Commissioner"]) is False

    assert len(tunisia.collect_events()) == 1
    assert tunisia.counts.visits == 1


def test_a_key_already_recorded_records_nothing_whatever_the_fact(tunisia, stamp):
    record(tunisia, P.VisitHeld, stamp("k"), visitors=["Commissioner"])

    assert record(tunisia, P.PartnershipNoteAdded, stamp("k"), text="Another fact") is False
    assert tunisia.counts.notes == 0


def test_a_repeated_key_is_not_checked_against_the_rules_again(funded, stamp):
    record(funded, P.FundingDisbursed, stamp("pay-1"), funding="tn-border-1", amount="EUR 1000000")

    assert record(funded, P.FundingDisbursed, stamp("pay-1"), funding="tn-border-1", amount="EUR 1000000") is False
    assert funded.funding["tn-border-1"].remaining == 0


def test_a_refused_fact_does_not_use_up_its_key(funded, stamp):
    with pytest.raises(DisbursementExceedsCommitment):
        record(funded, P.FundingDisbursed, stamp("pay-1"), funding="tn-border-1", amount="EUR 2000000")

    assert "pay-1" not in funded.submissions
    assert record(funded, P.FundingDisbursed, stamp("pay-1"), funding="tn-border-1", amount="EUR 200000")


# --- What facts do to the partnership ------------------------------------------


def test_each_event_records_its_position_and_its_stamp(tunisia, stamp):
    record(tunisia, P.VisitHeld, stamp("v1", actor="bob"), visitors=["Commissioner"])
    record(tunisia, P.PartnershipNoteAdded, stamp("n1"), text="Noted")

    visit, note = tunisia.collect_events()
    assert (visit.originator_id, visit.originator_version, visit.actor, visit.key) == (tunisia.id, 2, "bob", "v1")
    assert (note.originator_version, note.key) == (3, "n1")
    assert visit.timestamp == datetime(2021, 6, 6, 12, tzinfo=UTC)
    assert tunisia.version == 3
    assert tunisia.submissions >= {"v1", "n1"}


def test_pillars_served_accumulate_and_the_latest_activity_is_kept(tunisia, stamp):
    record(tunisia, P.PartnershipNoteAdded, stamp(), occurred_on="2021-05-20", text="a", pillars=["protection"])
    record(tunisia, P.PartnershipNoteAdded, stamp(), occurred_on="2021-03", text="b", pillars=["legal_pathways"])

    assert tunisia.pillars == {Pillar.PROTECTION, Pillar.LEGAL_PATHWAYS}
    assert tunisia.last_activity == EventDate(2021, 5, 20)


def test_the_last_visit_is_the_latest_one_whatever_the_order_recorded(tunisia, stamp):
    record(tunisia, P.VisitHeld, stamp(), occurred_on="2021-05-20", visitors=["Commissioner"])
    record(tunisia, P.VisitHeld, stamp(), occurred_on="2021-04", visitors=["Director-General"])

    assert tunisia.last_visit == EventDate(2021, 5, 20)
    assert tunisia.counts.visits == 2


def test_a_visit_names_at_least_one_visitor(tunisia, stamp):
    with pytest.raises(ValidationError, match="visitors"):
        record(tunisia, P.VisitHeld, stamp(), visitors=[])


def test_statements_reaffirmed_are_listed_once_each(tunisia, stamp):
    record(tunisia, P.StatementReaffirmed, stamp(), statement="Joint declaration", statement_date="2016")
    record(tunisia, P.StatementReaffirmed, stamp(), statement="Joint declaration")

    assert tunisia.counts.statements == ["Joint declaration"]


def test_operations_talent_partnerships_reports_and_notes_are_counted(tunisia, stamp):
    record(tunisia, P.OperationLaunched, stamp(), operation="Themis", agency=("Frontex",), starts_on="2021-07")
    record(tunisia, P.TalentPartnershipLaunched, stamp(), title="Talent Partnership with Tunisia")
    record(
        tunisia,
        P.ArrivalsReported,
        stamp(),
        period_start="2021-01",
        period_end="2021-05",
        route="Central Mediterranean",
        count=12000,
        approximation="about",
        source="UNHCR",
    )
    record(tunisia, P.PartnershipNoteAdded, stamp(), text="Noted")

    counts = tunisia.counts
    assert (counts.operations, counts.reports, counts.notes) == (1, 1, 1)
    assert counts.talent_partnerships == ["Talent Partnership with Tunisia"]


def test_an_arrivals_figure_is_never_negative(tunisia, stamp):
    with pytest.raises(ValidationError, match="count"):
        record(
            tunisia,
            P.ArrivalsReported,
            stamp(),
            period_start="2021-01",
            period_end="2021-05",
            route="Central Mediterranean",
            count=-1,
            source="UNHCR",
        )


def test_an_arrivals_period_that_ends_before_it_starts_is_refused(tunisia, stamp):
    with pytest.raises(ValidationError, match="period_end 2021-01 is before period_start 2021-05"):
        record(
            tunisia,
            P.ArrivalsReported,
            stamp(),
            period_start="2021-05",
            period_end="2021-01",
            route="Central Mediterranean",
            count=10,
            source="UNHCR",
        )


def test_a_fact_on_one_partner_cannot_be_recorded_on_another(tunisia, stamp):
    facts = {"partner": "MA", "occurred_on": "2021-05-20", "visitors": ["Commissioner Johansson"]}

    with pytest.raises(ValueError, match="a fact on MA cannot be recorded on partnership"):
        record_fact(tunisia, Partnership, P.VisitHeld, facts, stamp())
