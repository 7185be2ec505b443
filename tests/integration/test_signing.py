"""Signed records: once a store enrolls an administrator's key, every write
is signed by an enrolled key in force, or refused; `audit verify` checks
every signature against the keys the log had in force and names by
position each record no valid signature covers. A store no key signs works
and verifies as before. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POSTGRES_URL
from tests.forgery import forge_append
from tests.helpers import as_json, jsonl, opened, raw, stored_count, visit
from tests.helpers import keyed as run
from tests.integration.test_append_only import as_user, run_as_writer, store  # noqa: F401
from workflows.signing.keys import new_signer, read_key, write_key

pytestmark = pytest.mark.integration

TAMPERED = 3
COMMITMENT = {
    "type": "FundingCommitted",
    "partner": "TN",
    "occurred_on": "2021-06",
    "funding": "tn-border-2021",
    "instrument": "NDICI-Global Europe",
    "amount": "EUR 12500000",
}


def verdict(db: str, key: Path | None, *options: str) -> tuple[int, dict[str, Any]]:
    result = run(db, "audit", "verify", "--json", *options, key=key)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def alice(db: str, admin: Path, tmp_path: Path) -> Path:
    """A person's key, made and enrolled by the administrator."""
    path = tmp_path / "alice.key"
    result = run(db, "keys", "new", str(path), "--holder", "alice", key=admin)
    assert result.exit_code == 0, result.output
    return path


def test_a_signed_store_verifies_with_every_record_signed(db: str, alice: Path) -> None:
    result = run(db, "submit", "--file", "-", key=alice, input=jsonl([opened(), visit(), COMMITMENT]))
    assert result.exit_code == 0, result.output

    status, found = verdict(db, alice)

    assert status == 0, found
    signatures = found["signatures"]
    assert signatures["problems"] == []
    assert signatures["signed"] == found["records"]
    assert signatures["before_signing"] == 0 and signatures["unsigned"] == 0
    text = run(db, "audit", "verify", key=alice)
    assert "records signed" in text.stdout


def test_a_batch_costs_one_signature(db: str, alice: Path) -> None:
    visits = [visit(day=day % 28 + 1, id=f"visit-{day}") for day in range(500)]
    result = run(db, "submit", "--file", "-", key=alice, input=jsonl([opened(), *visits]))
    assert result.exit_code == 0, result.output

    with raw(db) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT first, position FROM accord_signatures ORDER BY position DESC")
        rows = cursor.fetchall()
    # Its 501 records under one signature (the enrolments before it, each its own).
    assert [last - first + 1 for first, last in rows].count(501) == 1


def test_a_write_without_a_key_on_a_signed_store_is_refused(db: str, admin: Path, tmp_path: Path) -> None:
    before = stored_count(db)
    stranger = tmp_path / "stranger.key"
    write_key(new_signer(), stranger)

    unkeyed = run(db, "submit", "--file", "-", input=jsonl([opened()]))
    unknown = run(db, "submit", "--file", "-", key=stranger, input=jsonl([opened()]))

    assert unkeyed.exit_code == 2
    assert "this store's records are signed: set ACCORD_KEY to your key file" in unkeyed.output
    assert unknown.exit_code == 2
    assert f"key {read_key(stranger).key_id} (ACCORD_KEY) is not enrolled in this store" in unknown.output
    assert stored_count(db) == before


def test_only_an_administrators_key_enrolls_or_revokes_keys(db: str, alice: Path, tmp_path: Path) -> None:
    result = run(db, "keys", "new", str(tmp_path / "bob.key"), "--holder", "bob", key=alice)

    assert result.exit_code == 2
    assert "only an administrator's key in force enrolls or revokes keys" in result.output
    assert not (tmp_path / "bob.key").exists()


def test_a_revoked_key_writes_nothing(db: str, admin: Path, alice: Path) -> None:
    revoked = run(db, "keys", "revoke", read_key(alice).key_id, "--reason", "laptop lost", key=admin)
    assert revoked.exit_code == 0, revoked.output

    result = run(db, "submit", "--file", "-", key=alice, input=jsonl([opened()]))

    assert result.exit_code == 2
    assert "(ACCORD_KEY) was revoked: ask an administrator for a new one" in result.output
    listed = json.loads(run(db, "keys", "list", "--json", key=admin).stdout)
    assert [(row["holder"], row["role"], row["reason"]) for row in listed] == [
        ("registry admin", "admin", None),
        ("alice", "person", "laptop lost"),
    ]
    assert listed[1]["revoked_at"] is not None


def test_a_forged_append_is_named_by_its_position(db: str, alice: Path) -> None:
    result = run(db, "submit", "--file", "-", key=alice, input=jsonl([opened(), COMMITMENT]))
    assert result.exit_code == 0, result.output
    forged = forge_append(db)

    status, found = verdict(db, alice, "--no-views")

    assert status == TAMPERED
    assert found["broken"] is None  # the chain was recomputed: only the signatures tell
    assert f"position {forged}: no valid signature covers it" in " ".join(found["signatures"]["problems"])
    text = run(db, "audit", "verify", "--no-views", key=alice)
    assert text.exit_code == TAMPERED
    assert f"signatures: position {forged}: no valid signature covers it" in text.output


def test_a_record_signed_with_a_revoked_key_after_its_revocation_is_found(db: str, admin: Path, alice: Path) -> None:
    result = run(db, "submit", "--file", "-", key=alice, input=jsonl([opened(), COMMITMENT]))
    assert result.exit_code == 0, result.output
    key_id = read_key(alice).key_id
    assert run(db, "keys", "revoke", key_id, "--reason", "left the unit", key=admin).exit_code == 0
    # Whoever kept alice's key signs a record of their own making.
    forged = forge_append(db, signer=read_key(alice))

    status, found = verdict(db, admin, "--no-views")

    assert status == TAMPERED
    problems = " ".join(found["signatures"]["problems"])
    assert f"position {forged}: signed with key {key_id} after its revocation at position" in problems
    assert f"position {forged}: no valid signature covers it" in problems


def test_an_unsigned_store_verifies_as_before_its_records_written_before_signing(db: str, tmp_path: Path) -> None:
    result = run(db, "submit", "--file", "-", input=jsonl([opened(), COMMITMENT]))
    assert result.exit_code == 0, result.output

    status, found = verdict(db, None)

    assert status == 0, found
    assert found["signatures"] == {
        "checked": 0,
        "signed": 0,
        "before_signing": found["records"],
        "unsigned": 0,
        "problems": [],
        "seconds": found["signatures"]["seconds"],
    }
    # Enrolling a key later: what came before stays written before signing.
    admin = tmp_path / "admin.key"
    write_key(new_signer(), admin)
    assert run(db, "init", "--admin-key", str(admin)).exit_code == 0
    assert run(db, "submit", "--file", "-", key=admin, input=jsonl([visit()])).exit_code == 0

    status, found = verdict(db, admin)

    assert status == 0, found
    assert found["signatures"]["before_signing"] > 0
    assert found["signatures"]["signed"] + found["signatures"]["before_signing"] == found["records"]


def test_an_unsigned_store_refuses_a_first_key_that_is_not_an_administrators(db: str, tmp_path: Path) -> None:
    result = run(db, "keys", "new", str(tmp_path / "alice.key"), "--holder", "alice")

    assert result.exit_code == 2
    assert "the first key a store enrolls is an administrator's" in result.output


POLICY = """
[roles]
desks = ["alice"]

[permit]
TaskAssigned = ["desks"]
"""


def signers_of(db: str) -> set[str]:
    with raw(db) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT key_id FROM accord_signatures")
        return {row[0] for row in cursor.fetchall()}


def test_the_scheduler_and_the_console_sign_with_their_own_keys(
    db: str, admin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from tests.console import sign_in, token
    from workflows.config.settings import Settings, Web
    from workflows.web.app import create

    assert run(db, "demo", key=admin).exit_code == 0
    service = {name: tmp_path / f"{name}.key" for name in ("scheduler", "console")}
    for name, path in service.items():
        made = run(db, "keys", "new", str(path), "--holder", f"the {name}", "--role", name, key=admin)
        assert made.exit_code == 0, made.output
    monkeypatch.setenv("ACCORD_OUTBOX", str(tmp_path / "outbox"))

    ticked = run(db, "scheduler", "tick", "--at", "2021-08-01T09:00", "--json", key=service["scheduler"])
    assert ticked.exit_code == 0, ticked.output
    assert json.loads(ticked.stdout)  # it recorded reminders and escalations

    users, policy = tmp_path / "users.toml", tmp_path / "policy.toml"
    policy.write_text(POLICY)
    monkeypatch.setenv("ACCORD_USERS", str(users))
    added = run(db, "users", "add", "alice", "--password-stdin", input="alice has a password")
    assert added.exit_code == 0, added.output
    settings = Settings(db=db, policy=str(policy), web=Web(users=str(users)), key=str(service["console"]))
    with TestClient(create(settings)) as web:
        assert sign_in(web, "alice") == 303
        task = as_json(run(db, "tasks", "--json", key=admin))[0]["task_id"]
        page = web.get(f"/tasks/{task}").text
        assert web.post(f"/tasks/{task}/assign", data={"csrf": token(page), "owner": "desk:MA"}).status_code == 200

    assert {read_key(path).key_id for path in service.values()} <= signers_of(db)
    [assigned] = as_json(run(db, "audit", "log", "--type", "TaskAssigned", "--json", key=admin))
    assert assigned["actor"] == "alice"
    status, found = verdict(db, admin)
    assert status == 0, found["signatures"]


@pytest.mark.skipif(not POSTGRES_URL, reason="ACCORD_TEST_POSTGRES_URL is not set")
def test_a_postgres_writer_signs_and_may_not_change_a_signature(
    store: tuple[str, str],  # noqa: F811  (test_append_only's fixture: a store and a login role of its own)
    tmp_path: Path,
) -> None:
    postgres_db, writer = store
    admin = tmp_path / "admin.key"
    result = run(postgres_db, "init", "--writer", writer, "--admin-key", str(admin))
    assert result.exit_code == 0, result.output
    url = as_user(postgres_db, writer)

    recorded = run(url, "submit", "--file", "-", key=admin, input=jsonl([opened(), COMMITMENT]))

    assert recorded.exit_code == 0, recorded.output
    for statement in ("UPDATE accord_signatures SET first = first", "DELETE FROM accord_signatures"):
        assert "permission denied for table accord_signatures" in run_as_writer(url, statement)
    assert "permission denied" in run_as_writer(url, "TRUNCATE accord_signers")
    status, found = verdict(url, admin, "--no-views")
    assert status == 0, found["signatures"]
    assert found["signatures"]["signed"] == found["records"]


def test_a_store_written_before_signing_verifies_its_records_written_before_signing(tmp_path: Path) -> None:
    import shutil

    db = str(tmp_path / "store-v1.db")
    shutil.copy(Path(__file__).parent.parent / "fixtures" / "store-v1.db", db)

    status, found = verdict(db, None, "--no-views")

    assert status == 0, found
    assert found["signatures"]["before_signing"] == found["records"] > 0
    assert found["signatures"]["checked"] == 0


def scheduler_key(db: str, admin: Path, tmp_path: Path) -> Path:
    path = tmp_path / "scheduler.key"
    made = run(db, "keys", "new", str(path), "--holder", "the scheduler", "--role", "scheduler", key=admin)
    assert made.exit_code == 0, made.output
    return path


def test_a_schedulers_key_may_not_sign_a_fact_people_record(db: str, admin: Path, tmp_path: Path) -> None:
    """A compromised scheduler host holds the scheduler's key: with it no
    payment, no visit, no correction can be recorded."""
    assert run(db, "submit", "--file", "-", input=jsonl([opened("TN")]), key=admin).exit_code == 0
    scheduler = scheduler_key(db, admin, tmp_path)
    before = stored_count(db)

    result = run(db, "submit", "--file", "-", input=jsonl([visit("TN")]), key=scheduler)

    assert result.exit_code == 2, result.output
    assert f"key {read_key(scheduler).key_id} is a scheduler's, which may not sign VisitHeld" in result.output
    assert stored_count(db) == before


def test_a_fact_signed_with_a_schedulers_key_around_accord_is_named(db: str, admin: Path, tmp_path: Path) -> None:
    assert run(db, "submit", "--file", "-", input=jsonl([opened("TN"), COMMITMENT]), key=admin).exit_code == 0
    scheduler = read_key(scheduler_key(db, admin, tmp_path))

    position = forge_append(db, topic_part="FundingCommitted", signer=scheduler)
    status, found = verdict(db, admin, "--no-views")

    assert status == TAMPERED
    assert (
        f"position {position}: a FundingCommitted signed by key {scheduler.key_id}, a scheduler's, "
        "which may sign no fact people record"
    ) in found["signatures"]["problems"]
