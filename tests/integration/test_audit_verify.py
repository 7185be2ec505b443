"""The tamper-evident log: `audit verify` re-computes the chain of digests and
compares every projection with a fresh replay; `audit seal` prints the head
to publish. Each tampering is done behind Accord's back, with the database's
own driver, as an intruder or a careless administrator would. Each test runs
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.helpers import accord, open_partners, raw, stored_count, submit_rows, visit

pytestmark = pytest.mark.integration

TAMPERED = 3
COLUMNS = "originator_id, originator_version, topic, state"


def position_column(db: str) -> str:
    return "notification_id" if db.startswith("postgresql") else "rowid"


def sql(db: str, statement: str) -> str:
    """Placeholders and the events table's name as each database has them."""
    if db.startswith("postgresql"):
        return statement.replace("?", "%s").replace("stored_events", "accord_events")
    return statement


def record(db: str, position: int) -> tuple[Any, ...]:
    with raw(db) as connection:
        row = connection.execute(
            sql(db, f"SELECT {COLUMNS} FROM stored_events WHERE {position_column(db)} = ?"),
            (position,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def verify(db: str, *args: str) -> Any:
    return accord(db, "audit", "verify", *args)


def test_an_untouched_demo_store_verifies_chain_and_projections(demo_db: str) -> None:
    result = verify(demo_db)

    assert result.exit_code == 0, result.output
    assert re.search(r"chain: \d+ records verify; head at position \d+, digest [0-9a-f]{64}", result.stdout)
    for name in ("tasks", "partnerships", "funding", "meetings", "timeline", "deliveries"):
        assert f"projection {name}: equal to a fresh replay" in result.stdout
    # What each check took, for a store whose verify runs long.
    assert re.search(
        r"took [\d.]+ s: chain [\d.]+ s, domain [\d.]+ s, projections [\d.]+ s, snapshots [\d.]+ s, keys [\d.]+ s",
        result.stdout,
    )
    # The passes over every record, each in records per second.
    assert re.search(r"records per second: chain [\d,]+, domain [\d,]+", result.stdout)


def test_a_changed_record_is_found_and_its_position_named(demo_db: str) -> None:
    state = record(demo_db, 5)[3]
    with raw(demo_db) as connection:
        connection.execute(
            sql(demo_db, f"UPDATE stored_events SET state = ? WHERE {position_column(demo_db)} = ?"),
            (bytes(state).replace(b"2020", b"2019"), 5),
        )

    result = verify(demo_db)

    assert result.exit_code == TAMPERED
    assert "the chain breaks at position 5: the record differs from the one chained here" in result.stderr
    assert "the 4 records before it verify" in result.stderr


def test_a_deleted_record_is_found_and_its_position_named(demo_db: str) -> None:
    with raw(demo_db) as connection:
        connection.execute(sql(demo_db, f"DELETE FROM stored_events WHERE {position_column(demo_db)} = ?"), (7,))

    result = verify(demo_db)

    assert result.exit_code == TAMPERED
    assert "the chain breaks at position 7: the record chained here is missing: deleted" in result.stderr


def test_two_swapped_records_are_found_at_the_first_of_them(demo_db: str) -> None:
    first, second = record(demo_db, 3), record(demo_db, 9)
    spare = uuid.uuid4() if demo_db.startswith("postgresql") else uuid.uuid4().hex
    update = sql(
        demo_db,
        "UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
        f"WHERE {position_column(demo_db)} = ?",
    )
    with raw(demo_db) as connection:
        # Each record's content moves to the other's position (through a
        # spare identity, as the table keys records by aggregate and version).
        connection.execute(update, (spare, *first[1:], 3))
        connection.execute(update, (*first, 9))
        connection.execute(update, (*second, 3))

    result = verify(demo_db)

    assert result.exit_code == TAMPERED
    assert "the chain breaks at position 3: the record differs from the one chained here" in result.stderr


def test_a_record_inserted_around_accord_is_found(demo_db: str) -> None:
    seal = accord(demo_db, "audit", "seal").stdout
    head = int(seal.split()[1])
    originator, version, topic, state = record(demo_db, 2)
    with raw(demo_db) as connection:
        connection.execute(
            sql(
                demo_db,
                f"INSERT INTO stored_events ({position_column(demo_db)}, originator_id, originator_version, topic, "
                "state) VALUES (?, ?, ?, ?, ?)",
            ),
            (head + 1, originator, version + 1000, topic, state),
        )

    result = verify(demo_db)

    assert result.exit_code == TAMPERED
    assert f"the chain breaks at position {head + 1}: a record the chain does not cover" in result.stderr


def test_a_projection_changed_behind_accords_back_is_found(demo_db: str) -> None:
    with raw(demo_db) as connection:
        [table] = connection.execute("SELECT generation FROM accord_views WHERE name = 'tasks'").fetchone()
        connection.execute(f"UPDATE view_tasks_{table} SET owner = 'intruder' WHERE partner = 'TN'")

    result = verify(demo_db)

    assert result.exit_code == TAMPERED
    assert "projection tasks differs from a fresh replay:" in result.stderr
    assert "intruder" in result.stderr
    assert "projection funding: equal to a fresh replay" in result.stdout


def test_a_sealed_head_is_proved_while_the_log_only_grows(demo_db: str) -> None:
    sealed = accord(demo_db, "audit", "seal", "--json")
    assert sealed.exit_code == 0, sealed.output
    head = json.loads(sealed.stdout)
    assert re.fullmatch(r"[0-9a-f]{64}", head["digest"])

    assert submit_rows(demo_db, visit("TN", 21)).exit_code == 0
    result = verify(demo_db, "--head", head["digest"], "--no-views")

    assert result.exit_code == 0, result.output
    assert f"the log extends the sealed head {head['digest']}" in result.stdout
    assert "projection" not in result.stdout


def test_a_head_the_chain_does_not_hold_is_refused(demo_db: str) -> None:
    result = verify(demo_db, "--head", "ab" * 32, "--no-views")

    assert result.exit_code == TAMPERED
    assert "is not in the chain: the log no longer extends it" in result.stderr


def test_records_stored_before_the_chain_existed_are_chained_by_the_next_write(db: str) -> None:
    open_partners(db, "TN", "MA")
    with raw(db) as connection:
        connection.execute("DELETE FROM accord_chain")
    assert submit_rows(db, visit("TN", 3)).exit_code == 0

    result = verify(db, "--no-views")

    assert result.exit_code == 0, result.output
    assert f"chain: {stored_count(db)} records verify" in result.stdout
