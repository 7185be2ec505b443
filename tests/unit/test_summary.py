"""An event's one-line summary is the same whether it is made from the
event or from its state as stored, which is what views read."""

from __future__ import annotations

import pytest

from domain.vocabulary import VOCABULARY
from tests.unit.test_vocabulary import recorded_event
from workflows.projections.summary import stored_summary, summary

EXCLUDED = {"originator_id", "originator_version"}


def stored(event):
    return event.model_dump(mode="json", exclude=EXCLUDED)


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_every_event_types_summary_is_the_same_from_its_stored_state(name, stamp):
    event = recorded_event(name, stamp)

    assert stored_summary(type(event), stored(event)) == summary(event)


@pytest.mark.parametrize(
    ("amount", "says"),
    [("EUR 1250000.10", "EUR 1,250,000.10"), ("EUR 12345678901234567.89", "EUR 12,345,678,901,234,567.89")],
)
def test_money_reads_as_money_does_with_every_digit(amount, says, stamp):
    event = recorded_event("FundingCommitted", stamp, amount=amount)

    assert f"amount: {says}" in summary(event)
    assert stored_summary(type(event), stored(event)) == summary(event)


def test_a_long_summary_is_cut_the_same_way_from_both(stamp):
    event = recorded_event("PartnershipNoteAdded", stamp, text="word " * 100)

    assert len(summary(event)) == 160 and summary(event).endswith("...")
    assert stored_summary(type(event), stored(event)) == summary(event)


def test_a_fact_with_nothing_but_notes_is_summarised_by_its_notes(stamp):
    event = recorded_event("PartnershipOpened", stamp, notes="Under the New Pact")

    assert stored_summary(type(event), stored(event)) == summary(event) == "Under the New Pact"
