"""Snapshots are used only where the chained log proves them: each carries
the chain's digest at the event of its version and a digest over itself; a
load that finds the chain holding another, or the snapshot not matching its
digest, ignores it with a warning and folds the aggregate from its events.
A forged snapshot (a commitment raised to 900m, written straight to the
table) lets no submission through, does not survive a rebuild, and is named
by `audit verify`. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from domain.base import Snapshot
from domain.partnership import Partnership
from domain.vocabulary import parse
from tests.conftest import POSTGRES_URL
from tests.helpers import accord, jsonl, raw
from tests.helpers import keyed as run
from tests.integration.test_append_only import guarded, store  # noqa: F401 (fixtures)
from tests.integration.test_audit_verify import TAMPERED
from tests.integration.test_snapshots import EVERY, facts, snapshot_rows, submit
from workflows.application.compose import build
from workflows.application.service import Accord
from workflows.cli import main
from workflows.config.settings import Settings
from workflows.signing.keys import read_key
from workflows.store.snapshots import digest_of

pytestmark = pytest.mark.integration

TN = Partnership.id_for("TN")
# In facts(): f5 is committed EUR 1,000.50, and EUR 0.25 of it disbursed.
DISBURSE_500M = ["FundingDisbursed", "--partner", "TN", "--occurred-on", "2021-07", "--funding", "f5"]


@contextmanager
def opened(db: str, **settings: Any) -> Iterator[Accord]:
    app = build(Settings(db=db, **settings))
    try:
        yield app
    finally:
        app.close()


def latest_snapshot(app: Accord) -> Snapshot:
    assert app.snapshots is not None
    [snapshot] = app.snapshots.get(TN, desc=True, limit=1)
    assert isinstance(snapshot, Snapshot)
    return snapshot


def raised(snapshot: Snapshot) -> Snapshot:
    """The snapshot with funding f5's commitment raised to EUR 900,000,000."""
    funding = dict(snapshot.state["funding"])
    funding["f5"] = {**funding["f5"], "committed": "900000000"}
    return snapshot.model_copy(update={"state": {**snapshot.state, "funding": funding}})


def write_over(app: Accord, forged: Snapshot, state: bytes | None = None) -> None:
    """Put a snapshot's row in place of the stored one, as someone with the
    database's credentials would."""
    stored = app.mapper.to_stored_event(forged)  # type: ignore[arg-type]
    with app.views.db.transaction() as cursor:
        cursor.execute(
            f"UPDATE {app.snapshots_table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (stored.state if state is None else state, app.views.db.originator(TN), forged.originator_version),
        )


def disburse_500m(db: str, env: dict[str, str] | None = None) -> Result:
    args = ["--db", db, "--actor", "tester", "submit", *DISBURSE_500M, "--amount", "EUR 500000000"]
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def funding(db: str) -> tuple[list[str], list[str]]:
    """TN's funding committed and disbursed, as its report (the views) shows them."""
    result = accord(db, "report", "partnership", "TN", "--format", "json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["figures"]
    return figures["Funding committed"], figures["Funding disbursed"]


def test_a_genuine_snapshot_is_used_and_only_the_events_after_it_are_folded(db: str) -> None:
    submit(db, facts("TN", EVERY))
    submit(db, facts("TN", 3, start=EVERY))

    with opened(db) as app:
        partnership, folded = app.load(TN)

    assert partnership.version == EVERY + 3
    assert folded == 3
    assert [version for _, version in snapshot_rows(db)] == [EVERY]


@pytest.mark.parametrize("digest", ["kept", "of another snapshot"])
def test_a_forged_snapshot_lets_no_disbursement_through_and_does_not_survive_a_rebuild(
    db: str, digest: str, caplog: pytest.LogCaptureFixture
) -> None:
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        genuine = latest_snapshot(app)
        forged = raised(genuine)
        if digest == "of another snapshot":
            # Its digest worked out again, but the chain's digest it names
            # taken from an earlier position: the chain holds another there.
            forged = forged.model_copy(update={"position": 1, "chained": "0" * 64})
            forged = forged.model_copy(update={"digest": digest_of(forged)})
        write_over(app, forged)

    with caplog.at_level(logging.WARNING, logger="accord"):
        refused = disburse_500m(db)
    verified = accord(db, "audit", "verify")
    rebuilt = accord(db, "projections", "rebuild")
    after = accord(db, "audit", "verify")

    assert refused.exit_code == 2, refused.output
    assert "would exceed its commitment" in refused.output
    assert f"the snapshot of {TN} at version {EVERY}" in caplog.text
    assert "ignored, the aggregate folded from its events" in caplog.text
    assert verified.exit_code == TAMPERED
    assert f"the snapshot of {TN} at version {EVERY} " in verified.stderr
    wrong = "does not match its own digest" if digest == "kept" else "which the chain does not hold for that version"
    assert wrong in verified.stderr
    assert "dropped 1 snapshot(s)" in rebuilt.output
    # What the events hold: 19 commitments of EUR 1,000.50, 19 payments of EUR 0.25.
    assert funding(db) == (["EUR 19009.50"], ["EUR 4.75"])
    assert after.exit_code == 0, after.output


def test_a_snapshot_ignored_is_taken_again_by_the_next_submission(db: str) -> None:
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        write_over(app, raised(latest_snapshot(app)))

    submit(db, facts("TN", 1, start=EVERY))

    with opened(db) as app:
        partnership, folded = app.load(TN)
        assert latest_snapshot(app).digest == digest_of(latest_snapshot(app))
    assert [version for _, version in snapshot_rows(db)] == [EVERY + 1]
    assert folded == 0
    assert partnership.funding["f5"].committed == partnership.funding["f5"].committed.__class__("1000.50")


def test_a_forged_snapshot_of_a_version_to_come_is_dropped_when_the_next_is_taken(db: str) -> None:
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        ahead = raised(latest_snapshot(app)).model_copy(update={"originator_version": EVERY + 1})
        stored = app.mapper.to_stored_event(ahead)  # type: ignore[arg-type]
        with app.views.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {app.snapshots_table} (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (app.views.db.originator(TN), EVERY + 1, stored.topic, stored.state),
            )

    submit(db, facts("TN", 1, start=EVERY))

    assert [version for _, version in snapshot_rows(db)] == [EVERY + 1]
    with opened(db) as app:
        assert app.load(TN)[1] == 0
        assert latest_snapshot(app).state["funding"]["f5"]["committed"] != "900000000"


def test_a_snapshot_stored_before_snapshots_were_proven_is_folded_from_events_and_verifies(db: str) -> None:
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        genuine = latest_snapshot(app)
        write_over(app, genuine.model_copy(update={"position": None, "chained": None, "digest": None}))

    verified = accord(db, "audit", "verify")
    with opened(db) as app:
        partnership, folded = app.load(TN)

    assert verified.exit_code == 0, verified.output
    assert "snapshots: 1 equal to their aggregates replayed from the log" in verified.stdout
    assert (partnership.version, folded) == (EVERY, EVERY)


def test_a_snapshot_whose_digest_was_worked_out_again_is_named_by_verify(db: str) -> None:
    """On a store that neither signs nor has a cipher key, SHA-256 is all a
    snapshot's digest is: someone who edits the state can work it out
    again, and a load cannot tell. The audit still compares every snapshot
    with its events."""
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        forged = raised(latest_snapshot(app))
        write_over(app, forged.model_copy(update={"digest": digest_of(forged)}))

    verified = accord(db, "audit", "verify")

    assert verified.exit_code == TAMPERED
    assert f"the snapshot of {TN} at version {EVERY} differs from its events" in verified.stderr


def test_under_the_cipher_a_snapshot_written_without_the_key_or_moved_is_not_used(tmp_path: Any) -> None:
    """Where the store has a cipher key, a snapshot's state is sealed by it
    (AES-GCM): one written without the key does not decrypt, and one moved
    from another aggregate names a place in the chain that is not its own."""
    from eventsourcing.cipher import AESCipher

    db, key = str(tmp_path / "secret.db"), AESCipher.create_key(num_bytes=32)
    env = {"ACCORD_CIPHER_KEY": key}
    build(Settings(db=db, cipher_key=key), init=True).close()
    with opened(db, cipher_key=key) as app:
        app.submit([parse(row) for row in facts("TN", EVERY) + facts("MA", EVERY)], "tester")
        forged = raised(latest_snapshot(app))
        forged = forged.model_copy(update={"digest": digest_of(forged)})
        write_over(app, forged, state=forged.model_dump_json(exclude={"originator_id", "originator_version"}).encode())
    refused = disburse_500m(db, env)
    with opened(db, cipher_key=key) as app:
        assert app.load(TN)[1] == EVERY
        with raw(db) as connection:
            connection.execute(
                "UPDATE stored_snapshots SET state = (SELECT state FROM stored_snapshots WHERE originator_id = ?) "
                "WHERE originator_id = ?",
                (Partnership.id_for("MA").hex, TN.hex),
            )
        moved = app.load(TN)

    assert refused.exit_code == 2, refused.output
    assert "would exceed its commitment" in refused.output
    assert moved[0].partner == "TN" and moved[1] == EVERY


@pytest.mark.skipif(not POSTGRES_URL, reason="ACCORD_TEST_POSTGRES_URL is not set")
def test_a_snapshot_forged_by_the_writer_role_lets_no_disbursement_through(guarded: str) -> None:  # noqa: F811 (the fixture)
    """On PostgreSQL set up with `accord init --writer`, the writer role owns
    the snapshots (derived, it rebuilds them) and may change them: what it
    writes there decides nothing."""
    import psycopg

    submit(guarded, facts("TN", EVERY + 1)[1:])  # the demo opened TN already
    with opened(guarded) as app:
        forged = raised(latest_snapshot(app))
        stored = app.mapper.to_stored_event(forged)  # type: ignore[arg-type]
    with psycopg.connect(guarded, autocommit=True) as connection:
        connection.execute("UPDATE accord_snapshots SET state = %s WHERE originator_id = %s", (stored.state, TN))

    refused = disburse_500m(guarded)
    verified = accord(guarded, "audit", "verify")

    assert refused.exit_code == 2, refused.output
    assert "would exceed its commitment" in refused.output
    assert verified.exit_code == TAMPERED
    assert f"the snapshot of {TN} at version {forged.originator_version} does not match its own digest" in (
        verified.stderr
    )


def test_what_a_forged_snapshot_holds_reaches_the_terminal_shown_never_obeyed(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    submit(db, facts("TN", EVERY))
    with opened(db) as app:
        forged = latest_snapshot(app).model_copy(update={"chained": "\x1b[2J\x1b]0;pwned\x07"})
        write_over(app, forged.model_copy(update={"digest": digest_of(forged)}))

    with caplog.at_level(logging.WARNING, logger="accord"), opened(db) as app:
        app.load(TN)
    verified = accord(db, "audit", "verify")

    assert "names the chain's digest (not a digest) at position" in caplog.text
    assert "names the chain's digest (not a digest) at position" in verified.stderr
    assert "\x1b" not in caplog.text + verified.stderr


def signed_submit(db: str, key: Path, rows: list[dict[str, Any]]) -> None:
    result = run(db, "submit", "--file", "-", key=key, input=jsonl(rows))
    assert result.exit_code == 0, result.output


def test_on_a_signed_store_a_snapshot_whose_digest_was_worked_out_again_decides_nothing(
    db: str,
    admin: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Where the store signs its records, the writer that takes a snapshot
    signs its digest too: one edited and its digest worked out again, as
    anyone can with SHA-256, carries no signature of a key in force."""
    signed_submit(db, admin, facts("TN", EVERY))
    with opened(db, key=str(admin)) as app:
        genuine = latest_snapshot(app)
        forged = raised(genuine)
        forged = forged.model_copy(update={"digest": digest_of(forged)})
        write_over(app, forged)

    with caplog.at_level(logging.WARNING, logger="accord"):
        refused = disburse_500m(db, {"ACCORD_KEY": str(admin)})
    verified = run(db, "audit", "verify", key=admin)

    assert genuine.signed_by == read_key(admin).key_id
    assert refused.exit_code == 2, refused.output
    assert "would exceed its commitment" in refused.output
    assert f"carries a signature that key {genuine.signed_by} did not make" in caplog.text
    assert verified.exit_code == TAMPERED
    assert f"the snapshot of {TN} at version {EVERY} carries a signature that key" in verified.stderr


def test_on_a_signed_store_a_signed_snapshot_is_used_and_one_taken_before_signing_is_taken_again(
    db: str, tmp_path: Path
) -> None:
    submit(db, facts("TN", EVERY))  # unsigned: no key enrolled yet
    key = tmp_path / "admin.key"
    assert run(db, "init", "--admin-key", str(key)).exit_code == 0

    with opened(db, key=str(key)) as app:
        assert latest_snapshot(app).signed_by is None
        assert app.load(TN)[1] == EVERY  # taken unsigned: folded from the events
    signed_submit(db, key, facts("TN", 1, start=EVERY))
    signed_submit(db, key, facts("TN", 3, start=EVERY + 1))
    verified = run(db, "audit", "verify", key=key)

    with opened(db, key=str(key)) as app:
        assert latest_snapshot(app).signed_by == read_key(key).key_id
        assert app.load(TN)[1] == 3
    assert verified.exit_code == 0, verified.output
