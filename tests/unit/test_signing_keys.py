"""A writer's signing key: kept in a file only its owner may read, or given
inline in ACCORD_KEY; never shown; and the domain's rules on enrolling and
revoking keys."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from domain.signing import KeyAlreadyRevoked, KeyNotEnrolled, SigningKey, key_id_of
from domain.values import Stamp
from tests.helpers import environment
from workflows.config.settings import in_force, load
from workflows.signing.keys import UnusableKey, load_signer, new_signer, read_key, write_key
from workflows.store.signatures import verifies


def test_a_key_file_is_written_for_its_owner_alone_and_read_back(tmp_path: Path) -> None:
    signer, path = new_signer(), tmp_path / "alice.key"

    write_key(signer, path)

    assert path.stat().st_mode & 0o777 == 0o600
    assert read_key(path).key_id == signer.key_id
    assert verifies(signer.public, read_key(path).sign(b"accord"), b"accord")


def test_a_key_file_others_may_read_is_refused_in_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    write_key(new_signer(), path)
    path.chmod(0o640)

    with pytest.raises(UnusableKey, match=r"may be read by others than its owner \(mode 640\): make it private"):
        read_key(path)


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    write_key(new_signer(), path)
    kept = path.read_bytes()

    with pytest.raises(UnusableKey, match="exists: a key file is never overwritten"):
        write_key(new_signer(), path)
    assert path.read_bytes() == kept


def test_a_file_that_holds_no_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a key")
    path.chmod(0o600)

    with pytest.raises(UnusableKey, match="holds no Ed25519 private key"):
        read_key(path)


def test_a_key_given_inline_is_the_same_key_as_its_file(tmp_path: Path) -> None:
    signer, path = new_signer(), tmp_path / "scheduler.key"
    write_key(signer, path)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )

    inline = load_signer("ed25519:" + base64.b64encode(raw).decode())

    assert inline.key_id == signer.key_id
    with pytest.raises(UnusableKey, match="ACCORD_KEY is not a key"):
        load_signer("ed25519:c2hvcnQ=")


def test_no_private_key_shows_in_a_signer_or_the_settings(tmp_path: Path) -> None:
    signer = new_signer()
    secret = base64.b64encode(signer.pem()).decode()
    inline = "ed25519:" + base64.b64encode(b"k" * 32).decode()

    with environment({"ACCORD_KEY": inline}):
        settings, sources = load({})
    shown = {row["setting"]: row["value"] for row in in_force(settings, sources)}

    assert repr(signer) == f"Signer(key_id={signer.key_id!r})"
    assert secret not in repr(signer)
    assert shown["key"] == "(set: the key itself)"
    assert inline not in repr(settings) and inline not in str(in_force(settings, sources))


def test_an_enrolment_must_name_its_own_key(stamp: Callable[..., Stamp]) -> None:
    public = new_signer().public
    key = SigningKey.enrol(public, "alice", "person", stamp())

    assert key.key_id == key_id_of(public)
    with pytest.raises(KeyNotEnrolled, match="is not the id of the public key given"):
        SigningKey.start(
            SigningKey.KeyEnrolled,
            "0123456789abcdef",
            {"key_id": "0123456789abcdef", "public_key": public.hex(), "holder": "alice", "role": "person"},
            stamp(),
        )


def test_a_key_is_revoked_once(stamp: Callable[..., Stamp]) -> None:
    key = SigningKey.enrol(new_signer().public, "alice", "person", stamp())
    key.revoke("laptop lost", stamp())

    with pytest.raises(KeyAlreadyRevoked, match="is already revoked"):
        key.revoke("again", stamp())
