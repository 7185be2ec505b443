"""A snapshot's state is JSON typed by the aggregate's State, and upcast by
the aggregate's `upcast_vN_vN+1` like an event's."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.base import Aggregate, Snapshot

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
    assert (ledger.version, ledger.total, ledger.currency, ledger.submissions) == (3, Decimal("1.50"), "EUR", {"k1"})
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
