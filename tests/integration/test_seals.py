"""Seals that leave the building: `audit seal --append` keeps a seals file,
`audit verify --seals` checks the log against every seal in it, naming by
line and position each seal a forged, altered or removed record breaks
(even when the chain was computed again so that it alone verifies), and
the scheduler publishes a signed seal once a day, by email to the
directory's auditors and into the seals file. Tampering is done behind
Accord's back with the database's own driver. Each test runs on SQLite and
on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tests.forgery import remove, rewrite
from tests.helpers import jsonl, opened, visit
from tests.helpers import keyed as run
from tests.integration.test_deliveries import mail_server
from tests.receivers import SECRET, Receiver
from workflows.cli import main
from workflows.signing.keys import new_signer, write_key

pytestmark = pytest.mark.integration

TAMPERED = 3


def submitted(db: str, *rows: dict[str, Any], key: Path | None = None) -> None:
    result = run(db, "submit", "--file", "-", input=jsonl(rows), key=key)
    assert result.exit_code == 0, result.output


def sealed(db: str, seals: Path, key: Path | None = None) -> dict[str, Any]:
    """`audit seal --append`: the seal made, as its JSON."""
    result = run(db, "audit", "seal", "--json", "--append", str(seals), key=key)
    assert result.exit_code == 0, result.output
    seal: dict[str, Any] = json.loads(result.stdout)
    return seal


def verified(db: str, seals: Path, key: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = run(db, "audit", "verify", "--no-views", "--json", "--seals", str(seals), key=key)
    return result.exit_code, json.loads(result.stdout)


def test_verify_with_seals_passes_on_an_intact_store_each_seal_signed_by_a_key_in_force(
    db: str, admin: Path, tmp_path: Path
) -> None:
    seals = tmp_path / "seals.jsonl"
    submitted(db, opened("TN"), opened("MA"), key=admin)
    first = sealed(db, seals, admin)
    submitted(db, visit("TN"), key=admin)
    second = sealed(db, seals, admin)

    status, found = verified(db, seals, admin)
    text = run(db, "audit", "verify", "--no-views", "--seals", str(seals), key=admin)

    assert status == 0, found
    assert found["seals"] | {"seconds": 0} == {
        "file": str(seals),
        "seals": 2,
        "signed": 2,
        "problems": [],
        "seconds": 0,
    }
    assert [json.loads(line) for line in seals.read_text().splitlines()] == [first, second]
    assert first["key"] == second["key"] != None  # noqa: E711
    assert text.exit_code == 0, text.output
    assert f"seals: the log holds all 2 seals of {seals}, 2 of them signed" in text.stdout


def test_a_seal_of_the_empty_log_still_holds_once_records_follow_it(db: str, tmp_path: Path) -> None:
    seals = tmp_path / "seals.jsonl"
    empty = sealed(db, seals)
    submitted(db, opened("TN"))
    sealed(db, seals)

    status, found = verified(db, seals)

    assert (empty["position"], empty["records"]) == (0, 0)
    assert status == 0, found
    assert found["seals"]["seals"] == 2


def test_a_record_altered_and_the_chain_computed_again_breaks_every_seal_after_it_and_verify_names_them(
    db: str, tmp_path: Path
) -> None:
    seals = tmp_path / "seals.jsonl"
    submitted(db, opened("TN"), opened("MA"))
    before = sealed(db, seals)
    submitted(db, visit("TN", visitors=["Commissioner Johansson"]))
    altered = before["position"] + 1
    after = sealed(db, seals)
    submitted(db, visit("MA", day=2))
    latest = sealed(db, seals)

    rewrite(db, altered, b"Johansson", b"Jonasson!")
    status, found = verified(db, seals)
    text = run(db, "audit", "verify", "--no-views", "--seals", str(seals))

    assert status == TAMPERED
    assert found["broken"] is None  # the chain was computed again: alone, it verifies
    problems = found["seals"]["problems"]
    for line, seal in ((2, after), (3, latest)):
        named = f"line {line} (position {seal['position']}): "
        assert f"{named}the chain's digest there is " in " ".join(problems)
        assert f"not the seal's {seal['digest']}: the log no longer extends it" in " ".join(problems)
        assert f"{named}the Merkle root over the records up to it is " in " ".join(problems)
    assert not any(problem.startswith("line 1 ") for problem in problems)
    assert text.exit_code == TAMPERED
    assert f"seals: line 2 (position {after['position']}): the Merkle root over the records up to it" in text.output


def test_a_removed_record_and_a_line_that_is_no_seal_are_named(db: str, tmp_path: Path) -> None:
    seals = tmp_path / "seals.jsonl"
    submitted(db, opened("TN"))
    first = sealed(db, seals)
    submitted(db, opened("MA"), visit("TN"))
    second = sealed(db, seals)
    with seals.open("a") as file:
        file.write('{"position": "not a seal"}\n')

    remove(db, first["position"] + 1)
    status, found = verified(db, seals)

    assert status == TAMPERED
    assert found["seals"]["problems"] == [
        f"line 2 (position {second['position']}): the store holds {second['records'] - 1:,} records up to its "
        f"position, the seal {second['records']:,}: records were removed or inserted since it was sealed",
        "line 3: position is not a whole number (not a seal)",
    ]
    assert found["seals"]["seals"] == 2


def test_a_seal_signed_by_a_key_the_log_does_not_enroll_or_altered_after_signing_is_named(
    db: str, admin: Path, tmp_path: Path
) -> None:
    seals = tmp_path / "seals.jsonl"
    outsider = tmp_path / "outsider.key"
    write_key(new_signer(), outsider)
    submitted(db, opened("TN"), key=admin)
    foreign = sealed(db, seals, outsider)
    genuine = sealed(db, seals, admin)
    with seals.open("a") as file:
        file.write(json.dumps(genuine | {"sealed_at": "2026-01-01T00:00:00Z"}) + "\n")

    status, found = verified(db, seals, admin)

    assert status == TAMPERED
    position = genuine["position"]
    assert found["seals"]["problems"] == [
        f"line 1 (position {position}): its key {foreign['key']} is not one the log enrolls",
        f"line 3 (position {position}): its signature by key {genuine['key']} does not hold: a field was changed "
        "after it was signed, or another key signed it",
    ]
    assert found["seals"]["signed"] == 1


def test_check_proof_checks_a_signed_seals_signature_and_says_so(db: str, admin: Path, tmp_path: Path) -> None:
    submitted(db, opened("TN"), visit("TN"), key=admin)
    seal = tmp_path / "seal.json"
    assert run(db, "audit", "seal", "--json", "-o", str(seal), key=admin).exit_code == 0
    proof = tmp_path / "proof.json"
    assert run(db, "audit", "prove", "2", "--seal", str(seal), "-o", str(proof), key=admin).exit_code == 0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(json.loads(seal.read_text()) | {"sealed_at": "2020-01-01T00:00:00Z"}))

    held = CliRunner(env={"ACCORD_DB": None}).invoke(main, ["audit", "check-proof", str(proof), "--seal", str(seal)])
    refused = CliRunner(env={"ACCORD_DB": None}).invoke(
        main, ["audit", "check-proof", str(proof), "--seal", str(forged)]
    )

    assert held.exit_code == 0, held.output
    assert held.stdout.startswith("the proof holds: position 2")
    assert "; the seal of position" in held.stdout and held.stdout.endswith("; the signature holds\n")
    assert refused.exit_code == TAMPERED
    assert "does not hold: a field was changed after it was signed" in refused.stderr


def test_the_scheduler_mails_a_signed_seal_to_the_auditors_and_appends_it_to_the_seals_file_once_a_day(
    db: str, admin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    hooks = Receiver(httpserver)
    scheduler = tmp_path / "scheduler.key"
    made = run(db, "keys", "new", str(scheduler), "--holder", "scheduler", "--role", "scheduler", key=admin)
    assert made.exit_code == 0, made.output
    submitted(db, opened("TN"), key=admin)
    seals = tmp_path / "seals.jsonl"
    directory = tmp_path / "people.toml"
    directory.write_text(
        '[people.court]\nname = "Court of Auditors"\nemail = ["audit@example.eu"]\n'
        f'webhook = "{httpserver.url_for("/hooks/court")}"\n'
        '[people."desk:TN"]\nemail = ["desk-tn@example.eu"]\n'
        '[route]\nauditors = ["court"]\n',
        encoding="utf-8",
    )
    with mail_server() as inbox:
        settings = {
            "DIRECTORY": str(directory),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
            "SMTP_SECURITY": "none",
            "MAIL_FROM": "accord@example.eu",
            "WEBHOOK_SECRET": SECRET,
            "OUTBOX": str(tmp_path / "outbox"),
            "SEALS": str(seals),
            "DIGEST_AT": "08:00",
            "TIMEZONE": "Europe/Brussels",
        }
        for name, value in settings.items():
            monkeypatch.setenv(f"ACCORD_{name}", value)
        ticks = [
            run(db, "scheduler", "tick", "--at", at, key=scheduler)
            for at in ("2021-08-01T09:00", "2021-08-01T09:01", "2021-08-01T18:00", "2021-08-02T09:00")
        ]
        mails = [message for message in inbox.received if "Seal of the record" in str(message["Subject"])]

    assert [tick.exit_code for tick in ticks] == [0, 0, 0, 0], [tick.output for tick in ticks]
    lines = [json.loads(line) for line in seals.read_text().splitlines()]
    assert len(lines) == 2  # one a day, however many ticks
    assert lines[0]["position"] < lines[1]["position"]
    scheduler_key = run(db, "keys", "list", "--json", key=admin)
    [key_id] = [row["key_id"] for row in json.loads(scheduler_key.stdout) if row["holder"] == "scheduler"]
    assert {line["key"] for line in lines} == {key_id}
    assert len(mails) == 2
    assert all(message["To"] == "audit@example.eu" for message in mails)
    attached = [
        (part.get_filename(), json.loads(part.get_payload(decode=True)))
        for message in mails
        for part in message.walk()
        if part.get_filename()
    ]
    assert attached == [("seal-2021-08-01.json", lines[0]), ("seal-2021-08-02.json", lines[1])]
    posted = [body["data"] for body in hooks.bodies if body["type"] == "accord.seal"]
    assert [(data["owner"], data["seal"]) for data in posted] == [("court", lines[0]), ("court", lines[1])]
    for number, line in enumerate(lines):
        path = tmp_path / f"mailed-{number}.json"
        path.write_text(json.dumps(line))
        checked = CliRunner(env={"ACCORD_DB": None}).invoke(main, ["audit", "check-seal", str(path), "--key", key_id])
        assert checked.exit_code == 0, checked.output
    status, found = verified(db, seals, admin)
    assert status == 0, found
    assert found["seals"]["signed"] == 2


def test_a_seal_the_scheduler_cannot_append_is_appended_at_a_later_tick_once(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted(db, opened("TN"))
    folder = tmp_path / "archive"
    seals = folder / "seals.jsonl"  # its folder not made yet
    monkeypatch.setenv("ACCORD_SEALS", str(seals))
    monkeypatch.setenv("ACCORD_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.delenv("ACCORD_DIRECTORY", raising=False)

    failed = run(db, "scheduler", "tick", "--at", "2021-08-01T09:00")
    folder.mkdir()
    later = [run(db, "scheduler", "tick", "--at", at) for at in ("2021-08-01T09:05", "2021-08-01T09:10")]

    assert failed.exit_code == 0, failed.output
    assert [tick.exit_code for tick in later] == [0, 0]
    [line] = seals.read_text().splitlines()
    assert sorted(path.name for path in (tmp_path / "outbox" / "seal").iterdir()) == [
        "2021-08-01--auditors.json",
        "2021-08-01--auditors.md",
    ]
    status, found = verified(db, seals)
    assert status == 0, found
    assert found["seals"]["seals"] == 1
    assert "key" not in json.loads(line)  # the scheduler had no key: the seal is not signed
    status = run(db, "scheduler", "status", "--json")
    assert json.loads(status.stdout)["next seal"] != "never: no seals file, no auditors"
    monkeypatch.delenv("ACCORD_SEALS")
    unsealed = run(db, "scheduler", "status", "--json")
    assert json.loads(unsealed.stdout)["next seal"] == "never: no seals file, no auditors"


def test_an_unsigned_seal_of_a_head_the_store_signed_is_named(db: str, admin: Path, tmp_path: Path) -> None:
    seals = tmp_path / "seals.jsonl"
    submitted(db, opened("TN"), key=admin)
    sealed(db, seals)  # no key: anyone could have written it

    status, found = verified(db, seals, admin)

    assert status == TAMPERED
    [problem] = found["seals"]["problems"]
    assert problem.startswith("line 1 (position ")
    assert "it is unsigned, yet the store signed its records by then" in problem
