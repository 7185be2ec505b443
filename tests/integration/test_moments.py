"""The log's moments never go back: records decided before another writer
stored a later moment are stamped with that moment when they are stored,
and `audit verify` holds the log to it, from where its writers kept the
moments in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.vocabulary import parse
from tests.helpers import accord, as_json, opened, raw, visit
from workflows.application.clock import Clock
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.store.moments import TABLE

pytestmark = pytest.mark.integration

NOTE = ("PartnershipNoteAdded", "--partner", "TN", "--occurred-on", "2021-02-01")


def writer(db: str, source: Callable[[], datetime]) -> Any:
    return build(Settings(db=db), clock=Clock(UTC, source))


def real() -> datetime:
    return datetime.now(UTC)


def moments_of(db: str) -> list[datetime]:
    """Each record's moment, in the log's order."""
    app = build(Settings(db=db))
    try:
        return [app.mapper.to_domain_event(record).timestamp for record in app.notifications()]
    finally:
        app.close()


@pytest.fixture
def recorded(db: str) -> Iterator[str]:
    """A store holding one partnership, recorded now."""
    app = writer(db, real)
    try:
        app.submit([parse(opened("TN"))], "desk")
    finally:
        app.close()
    yield db


@pytest.mark.parametrize("behind", [timedelta(milliseconds=1), timedelta(hours=1)])
def test_records_decided_before_the_latest_moment_stored_are_stamped_with_it(
    recorded: str, behind: timedelta, caplog: pytest.LogCaptureFixture
) -> None:
    [latest] = moments_of(recorded)
    # A writer that decided before the last record was stored (or whose clock is behind the others').
    app = writer(recorded, lambda: latest - behind)
    try:
        receipt = app.submit([parse(visit("TN", 3)), parse(visit("TN", 4))], "desk")
    finally:
        app.close()

    assert len(receipt.recorded) == 2
    assert moments_of(recorded)[:3] == [latest, latest, latest]
    warned = "is this host's clock behind the others'?" in caplog.text
    assert warned == (behind > timedelta(minutes=5))
    verdict = as_json(accord(recorded, "audit", "verify", "--json"))
    assert verdict["sound"], verdict


def test_records_decided_after_the_latest_moment_keep_their_own(recorded: str) -> None:
    [latest] = moments_of(recorded)
    app = writer(recorded, lambda: latest + timedelta(seconds=1))
    try:
        app.submit([parse(visit("TN", 3))], "desk")
    finally:
        app.close()

    assert moments_of(recorded)[:2] == [latest, latest + timedelta(seconds=1)]


def test_snapshots_of_aggregates_decided_on_moments_stamped_again_are_not_kept(recorded: str) -> None:
    from tests.integration.test_snapshots import EVERY, facts, snapshot_rows

    [latest] = moments_of(recorded)
    app = writer(recorded, lambda: latest - timedelta(seconds=1))
    try:
        app.submit([parse(row) for row in facts("TN", EVERY + 1, start=0)[1:]], "desk")
    finally:
        app.close()

    assert snapshot_rows(recorded) == []
    assert as_json(accord(recorded, "audit", "verify", "--json"))["sound"]


def test_verify_holds_a_new_store_to_moments_that_go_forward_from_its_first_record(recorded: str) -> None:
    verdict = as_json(accord(recorded, "audit", "verify", "--json"))

    assert verdict["sound"]
    assert verdict["domain"]["moments_in_order_from"] == 1


def test_a_store_recorded_before_the_moments_were_kept_in_order_is_held_to_them_from_its_next_record(
    recorded: str,
) -> None:
    with raw(recorded) as connection:
        connection.execute(f"DROP TABLE {TABLE}")
    before = accord(recorded, "audit", "verify")
    assert before.exit_code == 0, before.output
    assert "moments: recorded before Accord kept them in order, held to go back by no more than 5 minutes" in (
        before.stdout
    )

    # The next write keeps them (its table made again, as a newer Accord makes it).
    build(Settings(db=recorded), init=True).close()
    assert accord(recorded, "submit", *NOTE, "--text", "now").exit_code == 0
    after = as_json(accord(recorded, "audit", "verify", "--json"))

    assert after["sound"], after
    assert after["domain"]["moments_in_order_from"] == 2
