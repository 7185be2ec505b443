"""A signed seal checked with no store at hand: `accord audit check-seal`
holds it to its signature over the canonical bytes docs/proofs.md defines
(checked here by the cryptography package directly, as a third party
would), and refuses a seal with one field changed, one signed by another
key, one not signed by the key required, and an unsigned one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from workflows.cli import main
from workflows.proofs.formats import Seal
from workflows.proofs.signed import sign
from workflows.signing.keys import new_signer

HOLDS, FAILS, BAD_INPUT = 0, 3, 2
SEALED = Seal(
    position=76,
    digest="4c" * 32,
    root="d8" * 32,
    records=75,
    sealed_at=datetime(2026, 12, 7, 9, 4, 54, tzinfo=UTC),
)
SIGNER = new_signer()


def check_seal(path: Path, *options: str) -> Result:
    """`audit check-seal` as a third party runs it: no store, no ACCORD_DB."""
    return CliRunner(env={"ACCORD_DB": None}).invoke(main, ["audit", "check-seal", str(path), *options])


def written(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def signed(tmp_path: Path) -> dict[str, Any]:
    return sign(SEALED, SIGNER).as_json()


def test_a_signed_seal_checks_with_no_store_and_its_signature_is_over_the_documented_bytes(
    tmp_path: Path, signed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a store would be made (accord.db), were one opened
    path = written(tmp_path / "seal.json", signed)

    result = check_seal(path)

    assert result.exit_code == HOLDS, result.output
    assert result.stdout == (
        f"the seal of position 76 (root {'d8' * 32}, 75 records, sealed 2026-12-07T09:04:54Z) is signed by key "
        f"{SIGNER.key_id} (public key {SIGNER.public.hex()}): compare it with the key the institution gave you; "
        "the signature holds\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["seal.json"]
    # What docs/proofs.md says is signed, checked without Accord's code.
    message = f"accord seal\n76\n{'4c' * 32}\n{'d8' * 32}\n75\n2026-12-07T09:04:54Z\n{SIGNER.key_id}".encode()
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(signed["public_key"])).verify(
        bytes.fromhex(signed["signature"]), message
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("position", 77),
        ("digest", "4d" * 32),
        ("root", "d9" * 32),
        ("records", 74),
        ("sealed_at", "2026-12-07T09:04:55Z"),
    ],
)
def test_a_seal_with_one_field_changed_after_signing_fails(
    tmp_path: Path, signed: dict[str, Any], name: str, value: Any
) -> None:
    path = written(tmp_path / "seal.json", signed | {name: value})

    result = check_seal(path, "--json")

    assert result.exit_code == FAILS
    assert json.loads(result.stdout)["holds"] is False
    assert f"its signature by key {SIGNER.key_id} does not hold: a field was changed after it was signed" in (
        result.stderr
    )


def test_a_seal_signed_by_another_key_fails_whichever_key_it_names(tmp_path: Path, signed: dict[str, Any]) -> None:
    other = new_signer()
    # Another key's signature under the first key's name; and the first key's signature under another's.
    theirs = sign(SEALED, other).as_json()
    borrowed = written(tmp_path / "borrowed.json", signed | {"signature": theirs["signature"]})
    renamed = written(tmp_path / "renamed.json", theirs | {"key": SIGNER.key_id, "public_key": SIGNER.public.hex()})
    mismatched = written(tmp_path / "mismatched.json", signed | {"key": other.key_id})

    results = [check_seal(path) for path in (borrowed, renamed, mismatched)]

    assert [result.exit_code for result in results] == [FAILS, FAILS, FAILS]
    assert "does not hold: a field was changed after it was signed, or another key signed it" in results[0].stderr
    assert "does not hold" in results[1].stderr
    assert f"its key {other.key_id} is not the id of its public key, which is {SIGNER.key_id}" in results[2].stderr


def test_check_seal_with_key_requires_that_key_by_id_public_key_or_file(tmp_path: Path, signed: dict[str, Any]) -> None:
    path = written(tmp_path / "seal.json", signed)
    other = new_signer()
    pem = tmp_path / "sealer.pub"
    pem.write_bytes(
        Ed25519PublicKey.from_public_bytes(SIGNER.public).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    hex_file = tmp_path / "sealer.hex"
    hex_file.write_text(SIGNER.public.hex() + "\n")

    held = [check_seal(path, "--key", key) for key in (SIGNER.key_id, SIGNER.public.hex(), str(pem), str(hex_file))]
    refused = check_seal(path, "--key", other.key_id)
    nonsense = check_seal(path, "--key", str(tmp_path / "missing.pub"))

    assert [result.exit_code for result in held] == [HOLDS] * 4, [result.output for result in held]
    assert "the key you expect; the signature holds" in held[2].stdout
    assert refused.exit_code == FAILS
    assert f"it is signed by key {SIGNER.key_id}, not by key {other.key_id}" in refused.stderr
    assert nonsense.exit_code == BAD_INPUT
    assert "is neither a key id (16 hex digits), a public key (64 hex digits), nor a file" in nonsense.stderr


def test_an_unsigned_seal_fails_check_seal_and_a_seal_signed_in_part_is_refused(tmp_path: Path) -> None:
    unsigned = check_seal(written(tmp_path / "unsigned.json", SEALED.as_json()))
    partial = sign(SEALED, SIGNER).as_json()
    del partial["public_key"]
    in_part = check_seal(written(tmp_path / "part.json", partial))
    long_signature = sign(SEALED, SIGNER).as_json() | {"signature": "ab" * 65}
    too_long = check_seal(written(tmp_path / "long.json", long_signature))
    moment = sign(SEALED, SIGNER).as_json() | {"sealed_at": "2026-12-07T09:04:54+00:00"}
    other_form = check_seal(written(tmp_path / "moment.json", moment))

    assert unsigned.exit_code == FAILS
    assert "it is not signed (it has no key, public_key or signature): nothing vouches for it" in unsigned.stderr
    assert in_part.exit_code == BAD_INPUT
    assert "is signed in part: it has no public_key" in in_part.stderr
    assert too_long.exit_code == BAD_INPUT
    assert "signature is not an Ed25519 signature: 128 hex digits, lower case" in too_long.stderr
    assert other_form.exit_code == BAD_INPUT
    assert "sealed_at of a signed seal is written as 2026-12-07T09:00:00Z, to the second" in other_form.stderr
