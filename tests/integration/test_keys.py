"""The store's index of submission keys: every event's key is indexed as it
is stored, a store recorded before the index existed is indexed once, and
`audit verify` proves the index equal to the log. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from domain.partnership import Partnership
from tests.helpers import accord, jsonl, raw, stored_count
from tests.integration.test_audit_verify import TAMPERED
from tests.integration.test_snapshots import EVERY, facts, snapshot_rows
from workflows.application.compose import build
from workflows.config.settings import Settings
from workflows.store.keys import INDEXED, Keys, recorded

pytestmark = pytest.mark.integration


def tracking_table(db: str) -> str:
    return "accord_tracking" if db.startswith("postgresql") else "tracking"


def test_a_store_recorded_before_the_index_is_indexed_once_and_still_knows_its_keys(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows = facts("TN", EVERY + 5)
    assert accord(db, "submit", "--file", "-", input=jsonl(rows)).exit_code == 0
    assert snapshot_rows(db), "TN's snapshot holds none of its keys"
    # As a store written before the index: no keys, no mark that they were indexed.
    with raw(db) as connection:
        connection.execute("DELETE FROM accord_keys")
        connection.execute(f"DELETE FROM {tracking_table(db)} WHERE application_name = '{INDEXED}'")
    count = stored_count(db)

    again = accord(db, "submit", "--file", "-", input=jsonl(rows))
    indexing = caplog.messages
    caplog.clear()
    once_more = accord(db, "submit", "--file", "-", input=jsonl(rows))
    after = stored_count(db)
    verified = accord(db, "audit", "verify")

    assert again.exit_code == 0, again.output
    assert indexing == [f"indexing the submission keys of the {count:,} events recorded so far"]
    assert f"already recorded: {len(rows)}" in again.stdout
    assert once_more.exit_code == 0, once_more.output
    assert not caplog.messages
    assert after == count
    assert verified.exit_code == 0, verified.output
    assert "keys: " in verified.stdout and "indexed, one for each fact of the log" in verified.stdout


@pytest.mark.parametrize(
    ("tampering", "found"),
    [
        # The row of MA's batch: the index then misses its five keys.
        (
            "DELETE FROM accord_keys WHERE position = (SELECT MAX(position) FROM accord_keys)",
            "the key index holds 20 keys for 25 facts",
        ),
        # A row copied to a position no event has reached.
        (
            "INSERT INTO accord_keys SELECT originator_id, 1000000, keys FROM accord_keys LIMIT 1",
            "the key index holds 1 row(s) past the end of the log",
        ),
    ],
    ids=["row-taken-out", "row-put-in-past-the-log"],
)
def test_rows_changed_in_the_index_are_found_by_verify(db: str, tampering: str, found: str) -> None:
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("TN", 20))).exit_code == 0
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("MA", 5))).exit_code == 0
    with raw(db) as connection:
        connection.execute(tampering)

    result = accord(db, "audit", "verify")

    assert result.exit_code == TAMPERED
    assert found in result.stderr
    assert "a key missing could be recorded twice" in result.stderr


def test_keys_are_kept_as_digests_keyed_by_the_stores_cipher_key() -> None:
    plain, secret = Keys(None), Keys("c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1mb3ItdGVzdA==")

    assert len(plain.digest("tn-visit-1")) == 16
    assert plain.digest("tn-visit-1") != plain.digest("tn-visit-2")
    assert plain.digest("tn-visit-1") != secret.digest("tn-visit-1")
    assert b"tn-visit-1" not in plain.digest("tn-visit-1")


def test_the_check_of_keys_recorded_before_compares_whole_digests(db: str) -> None:
    """The check looks first for each digest's first half: a digest that
    shares only its first half with one held is not taken for it."""
    assert accord(db, "submit", "--file", "-", input=jsonl(facts("TN", 3))).exit_code == 0
    app = build(Settings(db=db))
    try:
        [row] = app.views.db.query("SELECT originator_id, keys FROM accord_keys")
        held = bytes(row["keys"])
        aggregate = Partnership.id_for("TN")
        first, second = held[:16], held[16:32]
        half_only = first[:8] + bytes(8)
        unknown = bytes(16)

        found = recorded(app.views.db, {aggregate: [first, half_only, second, unknown]})
    finally:
        app.close()

    assert found == {(aggregate, first), (aggregate, second)}
