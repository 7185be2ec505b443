"""Snapshots: a partnership that passes a multiple of SNAPSHOT_EVERY events
is kept as a snapshot (only its latest), loading it reads the snapshot and
the events after, and `audit verify` proves every snapshot equal to its
aggregate replayed from the log. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from domain.base import Snapshot
from domain.partnership import Partnership
from domain.vocabulary import parse
from tests.helpers import accord, jsonl, raw
from tests.integration.test_audit_verify import TAMPERED
from workflows.application.compose import build
from workflows.application.loading import SNAPSHOT_EVERY
from workflows.config.settings import Settings

pytestmark = pytest.mark.integration

EVERY = SNAPSHOT_EVERY[Partnership]


def facts(partner: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    """A varied history: funding committed and disbursed, a dialogue and its
    rounds, commitments, notes; everything a partnership's state holds."""
    rows: list[dict[str, Any]] = []
    for n in range(start, start + count):
        day = f"2021-{1 + n % 12:02d}-{1 + n % 28:02d}"
        base = {"partner": partner, "occurred_on": day, "id": f"{partner}-{n}", "pillars": ["return_readmission"]}
        kind = n % 5
        if n == 0:
            rows.append({**base, "type": "PartnershipOpened", "occurred_on": "2015-06"})
        elif n == 1:
            # Launched before the first of the year's rounds.
            launched = {**base, "occurred_on": "2020-12"}
            rows.append({**launched, "type": "DialogueLaunched", "dialogue": "d", "title": "High-level dialogue"})
        elif kind == 0:
            rows.append(
                {**base, "type": "FundingCommitted", "funding": f"f{n}", "instrument": "NDICI", "amount": "EUR 1000.50"}
            )
        elif kind == 1:
            # Paid on the day of its commitment, the row before.
            paid = {**base, "occurred_on": f"2021-{1 + (n - 1) % 12:02d}-{1 + (n - 1) % 28:02d}"}
            rows.append({**paid, "type": "FundingDisbursed", "funding": f"f{n - 1}", "amount": "EUR 0.25"})
        elif kind == 2:
            rows.append({**base, "type": "DialogueRoundHeld", "dialogue": "d"})
        elif kind == 3:
            rows.append(
                {
                    **base,
                    "type": "CommitmentRecorded",
                    "commitment": f"c{n}",
                    "party": "partner",
                    "description": "Readmit",
                    "due_on": "2022",
                }
            )
        else:
            rows.append({**base, "type": "VisitPlanned", "planned_for": "2022-03" if n % 2 else None})
    return rows


def submit(db: str, rows: list[dict[str, Any]]) -> None:
    result = accord(db, "submit", "--file", "-", input=jsonl(rows))
    assert result.exit_code == 0, result.output


def kept(aggregate: Any) -> dict[str, Any]:
    """What a snapshot keeps of an aggregate: all but its keys (the store indexes them)."""
    return {name: value for name, value in vars(aggregate).items() if name != "submissions"}


def snapshot_rows(db: str) -> list[tuple[Any, ...]]:
    table = "accord_snapshots" if db.startswith("postgresql") else "stored_snapshots"
    with raw(db) as connection:
        return [tuple(row) for row in connection.execute(f"SELECT originator_id, originator_version FROM {table}")]


def test_a_partnership_past_the_interval_keeps_only_its_latest_snapshot(db: str) -> None:
    submit(db, facts("TN", EVERY + 10))
    submit(db, facts("TN", EVERY, start=EVERY + 10))
    submit(db, facts("MA", EVERY - 1))

    rows = snapshot_rows(db)

    # TN passed 100 and 200 (kept at the end of each batch, the older dropped);
    # MA has not reached the interval.
    assert [version for _, version in rows] == [2 * EVERY + 10]
    app = build(Settings(db=db))
    try:
        for code in ("TN", "MA"):
            partnership_id = Partnership.id_for(code)
            loaded = app.find(partnership_id)
            replayed = app.from_log(partnership_id, loaded.version)
            assert kept(loaded) == kept(replayed)
            # Loaded from its snapshot (TN), it knows the keys recorded since:
            # the store's key index holds the rest.
            assert (loaded.submissions < replayed.submissions) == (code == "TN")
        assert app.partnership("TN").funding and app.partnership("TN").commitments
    finally:
        app.close()


def test_a_submission_decides_on_the_snapshot_and_the_events_after(db: str) -> None:
    submit(db, facts("TN", EVERY + 1))

    # A key recorded before the snapshot is still known, and a rule on state
    # the snapshot holds (the dialogue launched) still holds.
    again = accord(db, "submit", "--file", "-", input=jsonl(facts("TN", 3)))
    round_without_dialogue = accord(
        db, "submit", "DialogueRoundHeld", "--partner", "TN", "--occurred-on", "2021-05", "--dialogue", "nope"
    )

    assert "already recorded: 3" in again.output
    assert round_without_dialogue.exit_code == 2
    assert "dialogue 'nope' with TN is not launched" in round_without_dialogue.output


def test_a_snapshot_changed_in_the_database_fails_verify_and_a_rebuild_drops_it(db: str) -> None:
    submit(db, facts("TN", EVERY + 5))
    app = build(Settings(db=db))
    try:
        assert app.snapshots is not None
        [snapshot] = app.snapshots.get(Partnership.id_for("TN"), desc=True, limit=1)
        forged = snapshot.model_copy(update={"state": {**snapshot.state, "dialogues": {}}})
        table = app.snapshots_table
        stored = app.mapper.to_stored_event(forged)  # type: ignore[arg-type]
        with app.views.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE {table} SET state = ? WHERE originator_id = ?",
                (stored.state, app.views.db.originator(snapshot.originator_id)),
            )
    finally:
        app.close()

    tampered = accord(db, "audit", "verify")
    rebuilt = accord(db, "projections", "rebuild")
    after = accord(db, "audit", "verify")

    assert tampered.exit_code == TAMPERED
    assert f"at version {EVERY + 5} does not match its own digest" in tampered.stderr
    assert "dropped 1 snapshot(s)" in rebuilt.output
    assert after.exit_code == 0, after.output
    assert snapshot_rows(db) == []


def test_verify_counts_the_snapshots_it_proved(db: str) -> None:
    submit(db, facts("TN", EVERY) + facts("MA", EVERY))

    result = accord(db, "audit", "verify")

    assert result.exit_code == 0, result.output
    assert "snapshots: 2 equal to their aggregates replayed from the log" in result.stdout


def test_an_encrypted_store_keeps_its_snapshots_encrypted(tmp_path: Any) -> None:
    from eventsourcing.cipher import AESCipher

    db = str(tmp_path / "secret.db")
    key = AESCipher.create_key(num_bytes=32)
    app = build(Settings(db=db, cipher_key=key), init=True)
    try:
        app.submit([parse(row) for row in facts("TN", EVERY)], "tester")
    finally:
        app.close()

    with raw(db) as connection:
        [(state,)] = connection.execute("SELECT state FROM stored_snapshots").fetchall()
    assert b"NDICI" not in state and b"TN-" not in state
    app = build(Settings(db=db, cipher_key=key))
    try:
        assert app.partnership("TN").version == EVERY
    finally:
        app.close()


def test_a_postgres_store_set_up_before_snapshots_gets_their_table(db: str) -> None:
    if not db.startswith("postgresql"):
        pytest.skip("SQLite makes its tables on every start")
    with raw(db) as connection:
        connection.execute("DROP TABLE accord_snapshots")

    submit(db, facts("TN", EVERY))

    assert len(snapshot_rows(db)) == 1


def test_a_snapshot_comes_back_exactly(tmp_path: Any) -> None:
    app = build(Settings(db=str(tmp_path / "accord.db")), init=True)
    try:
        app.submit([parse(row) for row in facts("TN", 40)], "tester")
        partnership = app.partnership("TN")
    finally:
        app.close()

    restored = Snapshot.take(partnership).mutate(None)

    assert kept(restored) == kept(partnership)
    assert restored.submissions == set()
    assert isinstance(restored, Partnership)
