"""Judging events the log holds (domain.judging): by the rules that decide
what is recorded, and by those the recording path keeps by construction.
No store: the events are made as Accord makes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.base import Recorded, _envelope
from domain.errors import (
    AlreadyStarted,
    CorrectionBreaksRecord,
    DisbursementExceedsCommitment,
    KeyRecordedTwice,
    NotItsAggregate,
    PartnershipNotOpened,
    VersionOutOfOrder,
)
from domain.judging import admitted, aggregate_of
from domain.partnership import Partnership
from domain.task import FollowUpTask
from domain.values import Stamp

AT = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)


def event(event_class: type[Recorded], version: int, key: str, partner: str = "TN", **facts: Any) -> Any:
    envelope = _envelope(Partnership.id_for(partner), version, Stamp("desk", AT, key))
    if event_class is Partnership.PartnershipOpened:
        envelope["originator_topic"] = "domain.partnership:Partnership"
    return event_class(**envelope, partner=partner, **facts)


def opened() -> Any:
    return event(Partnership.PartnershipOpened, 1, "open", occurred_on="2020-09")


def committed(version: int = 2) -> Any:
    return event(
        Partnership.FundingCommitted,
        version,
        "commit",
        occurred_on="2021-06",
        funding="f",
        instrument="NDICI",
        amount="EUR 100",
    )


def paid(version: int, amount: str, key: str = "paid") -> Any:
    return event(Partnership.FundingDisbursed, version, key, occurred_on="2021-06", funding="f", amount=amount)


def folded(*events: Any) -> Any:
    aggregate = None
    for each in events:
        aggregate = admitted(aggregate, each, lambda: [])
    return aggregate


def test_events_the_domain_would_record_are_admitted_and_applied() -> None:
    partnership = folded(opened(), committed(), paid(3, "EUR 60"))

    assert partnership.funding["f"].remaining == 40
    assert partnership.version == 3


def test_a_disbursement_beyond_its_commitment_is_refused_with_the_domains_sentence() -> None:
    with pytest.raises(DisbursementExceedsCommitment, match="would exceed its commitment of EUR 100"):
        folded(opened(), committed(), paid(3, "EUR 500"))


def test_an_aggregate_begins_with_its_first_event_once() -> None:
    with pytest.raises(PartnershipNotOpened, match="partnership TN is not opened"):
        folded(committed(version=1))
    with pytest.raises(AlreadyStarted, match="partnership TN is already opened"):
        folded(opened(), event(Partnership.PartnershipOpened, 2, "again", occurred_on="2020-09"))


def test_versions_follow_one_another() -> None:
    with pytest.raises(VersionOutOfOrder, match="version 4 of partnership TN follows its version 2"):
        folded(opened(), committed(), paid(4, "EUR 1"))


def test_a_key_is_recorded_once_on_its_aggregate() -> None:
    with pytest.raises(KeyRecordedTwice, match="key 'commit' is already recorded on partnership TN"):
        folded(opened(), committed(), paid(3, "EUR 1", key="commit"))


def test_a_fact_stands_on_the_aggregate_its_subject_names() -> None:
    stray = paid(3, "EUR 1").model_copy(update={"originator_id": Partnership.id_for("MA")})

    with pytest.raises(NotItsAggregate, match="a fact on TN cannot be recorded on partnership"):
        admitted(folded(opened(), committed()), stray, lambda: [])


def test_a_correction_is_judged_on_the_whole_history() -> None:
    history = [opened(), committed(), paid(3, "EUR 60")]
    correction = event(
        Partnership.FactCorrected, 4, "fix", target="commit", changes={"amount": "EUR 50"}, reason="typo"
    )

    with pytest.raises(CorrectionBreaksRecord, match="would break the record: disbursing EUR 60"):
        admitted(folded(*history), correction, lambda: history)


def test_an_event_names_the_aggregate_it_is_declared_in() -> None:
    assert aggregate_of(Partnership.FactCorrected) is Partnership
    assert aggregate_of(FollowUpTask.TaskCompleted) is FollowUpTask


def test_findings_past_the_limit_are_counted_and_a_long_sentence_is_cut() -> None:
    from workflows.judge import LIMIT, Judgement

    judgement = Judgement()
    judgement.found(1, "x" * 1_000_000)
    for position in range(2, LIMIT + 6):
        judgement.found(position, "refused")

    assert len(judgement.findings) == LIMIT
    assert judgement.unnamed == 5
    assert len(judgement.findings[0].problem) == 2_000
    assert str(judgement.findings[1]) == "position 2: refused"


def test_an_aggregate_begun_under_an_id_its_first_event_does_not_derive_is_refused() -> None:
    from uuid import uuid4

    from eventsourcing.utils import get_topic

    facts = {
        "source": "a/1",
        "source_type": "VisitHeld",
        "subject": "TN",
        "rule": "visit",
        "title": "Report",
        "owner": "desk:TN",
        "due_on": "2021-08-01",
    }
    stamp = Stamp("accord", AT, "visit@a/1")
    opened_task = FollowUpTask.TaskOpened(**_envelope(uuid4(), 1, stamp, topic=get_topic(FollowUpTask)), **facts)
    honest = FollowUpTask.open(facts, stamp).collect_events()[0]

    with pytest.raises(NotItsAggregate, match="TaskOpened begins task visit@a/1, whose id is not"):
        admitted(None, opened_task, lambda: [])
    assert admitted(None, honest, lambda: []).owner == "desk:TN"
