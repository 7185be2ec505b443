"""A snapshot's state is JSON typed by the aggregate's State, and upcast by
the aggregate's `upcast_vN_vN+1` like an event's."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.base import Aggregate, Snapshot
from domain.partnership import Partnership
from domain.values import EventDate, Stamp

MOMENT = datetime(2021, 6, 6, 12, tzinfo=UTC)


class Ledger(Aggregate):
    """An aggregate whose state changed shape: version 2 keeps a currency."""

    class_version = 2

    class State(Aggregate.State):
        total: Decimal
        currency: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["currency"] = "EUR"


def test_an_older_snapshot_is_upcast_and_typed() -> None:
    written_by_v1 = {
        "_created_on": MOMENT.isoformat(),
        "_modified_on": MOMENT.isoformat(),
        "submissions": ["k1"],
        "total": "1.50",
    }
    snapshot = Snapshot(
        originator_id=uuid4(), originator_version=3, timestamp=MOMENT, topic=get_topic(Ledger), state=written_by_v1
    )

    ledger = snapshot.mutate(None)

    assert isinstance(ledger, Ledger)
    assert (ledger.version, ledger.total, ledger.currency) == (3, Decimal("1.50"), "EUR")
    # The keys it kept are the store's key index's now.
    assert ledger.submissions == set()
    assert ledger.modified_on == MOMENT


def test_a_snapshot_taken_now_records_the_class_version_and_comes_back() -> None:
    ledger = Snapshot(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=MOMENT,
        topic=get_topic(Ledger),
        state={"_created_on": MOMENT, "_modified_on": MOMENT, "submissions": [], "total": "2", "currency": "USD"},
    ).mutate(None)

    taken = Snapshot.take(ledger)

    assert taken.state["class_version"] == 2
    assert taken.state["total"] == "2"
    assert vars(taken.mutate(None)) == vars(ledger)


def test_a_partnership_snapshot_of_version_1_comes_back_with_plain_funding_lines() -> None:
    stamp = Stamp("desk", MOMENT, "k1")
    tunisia = Partnership.start(
        Partnership.PartnershipOpened, "TN", {"partner": "TN", "occurred_on": EventDate(2021, 5, 1)}, stamp
    )
    funding = {"partner": "TN", "occurred_on": EventDate(2021, 5, 20), "funding": "tn-1", "instrument": "NDICI"}
    tunisia.record(Partnership.FundingCommitted, {**funding, "amount": "EUR 1250000.10"}, Stamp("desk", MOMENT, "k2"))
    now = Snapshot.take(tunisia)
    # Version 1 kept the committed amount as Money, and wrote no class version.
    written_by_v1 = {key: value for key, value in now.state.items() if key != "class_version"}
    written_by_v1["funding"] = {
        "tn-1": {
            "instrument": "NDICI",
            "committed": {"amount": "1250000.10", "currency": "EUR"},
            "committed_on": "2021-05-20",
            "disbursed": "0",
        }
    }

    restored = now.model_copy(update={"state": written_by_v1}).mutate(None)

    assert now.state["class_version"] == 2
    assert "submissions" not in now.state
    assert restored.funding == tunisia.funding
    assert restored.funding["tn-1"].remaining == Decimal("1250000.10")
