"""A seal signed by the key of the process that sealed it (ACCORD_KEY), and
its signature checked with nothing else at hand: the key id is its public
key's, the Ed25519 signature holds over the seal's signed bytes
(`Seal.signed_bytes`), and, where the checker names the key they expect
(one the institution gave them), it is that key.

Nothing here opens a store: `accord audit check-seal` runs where none is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.signing import key_id_of
from workflows.base.failures import BadInput, VerificationFailed
from workflows.proofs.formats import Seal, moment_text
from workflows.signing.keys import Signer
from workflows.store.signatures import verifies

# A public key file is a PEM block or 64 hex digits: a few hundred bytes.
KEY_FILE_BYTES = 4096
KEY_ID = re.compile(r"[0-9a-f]{16}")
PUBLIC_KEY = re.compile(r"[0-9a-f]{64}")


class SealFails(VerificationFailed):
    """A seal whose signature does not vouch for it: the sentence says why."""


class UnusablePublicKey(BadInput):
    """A key to check a seal against that is none: not a key id, a public key, or a file holding one."""


def sign(seal: Seal, signer: Signer) -> Seal:
    """The seal, signed by `signer` (its key id and public key with it)."""
    signature = signer.sign(seal.signed_bytes(signer.key_id))
    return replace(seal, key=signer.key_id, public_key=signer.public.hex(), signature=signature.hex())


def signature_problem(seal: Seal) -> str | None:
    """Why the seal's signature does not vouch for it, or None when it does."""
    if seal.key is None or seal.public_key is None or seal.signature is None:
        return "it is not signed (it has no key, public_key or signature): nothing vouches for it"
    public = bytes.fromhex(seal.public_key)
    if key_id_of(public) != seal.key:
        return f"its key {seal.key} is not the id of its public key, which is {key_id_of(public)}"
    if not verifies(public, bytes.fromhex(seal.signature), seal.signed_bytes(seal.key)):
        return (
            f"its signature by key {seal.key} does not hold: a field was changed after it was signed, "
            "or another key signed it"
        )
    return None


@dataclass(frozen=True)
class ExpectedKey:
    """The key a checker expects a seal to be signed by: its id, and its
    public key where they gave it."""

    key_id: str
    public: bytes | None
    given: str  # as the checker named it, for the sentence

    def problem(self, seal: Seal) -> str | None:
        if seal.key != self.key_id:
            return f"it is signed by key {seal.key}, not by {self.given}"
        if self.public is not None and seal.public_key != self.public.hex():
            return f"its public key is not the one {self.given} holds, though its key id is"
        return None


def expected_key(value: str) -> ExpectedKey:
    """A key as a checker names it: a key id (16 hex digits), a raw public
    key (64 hex digits), or a file holding a public key (PEM, or 64 hex digits)."""
    text = value.strip().lower()
    if KEY_ID.fullmatch(text):
        return ExpectedKey(text, None, f"key {text}")
    if PUBLIC_KEY.fullmatch(text):
        return _of(bytes.fromhex(text), "the public key given")
    return _of(_file_key(Path(value).expanduser()), f"the public key in {value}")


def _of(public: bytes, given: str) -> ExpectedKey:
    return ExpectedKey(key_id_of(public), public, f"{given} (key {key_id_of(public)})")


def _file_key(path: Path) -> bytes:
    said = (
        f"--key {path} is neither a key id (16 hex digits), a public key (64 hex digits), nor a file holding "
        "an Ed25519 public key (PEM, or 64 hex digits)"
    )
    try:
        with path.open("rb") as file:
            data = file.read(KEY_FILE_BYTES + 1)
    except OSError:
        raise UnusablePublicKey(said) from None
    if len(data) > KEY_FILE_BYTES:
        raise UnusablePublicKey(f"{said}: it is larger than {KEY_FILE_BYTES} bytes")
    text = data.decode("ascii", errors="replace").strip().lower()
    if PUBLIC_KEY.fullmatch(text):
        return bytes.fromhex(text)
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        public = None
    if not isinstance(public, Ed25519PublicKey):
        raise UnusablePublicKey(said)
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_seal(seal: Seal, expected: ExpectedKey | None = None) -> str:
    """A sentence saying whose key signed the seal and that the signature
    holds; SealFails, saying why not, otherwise."""
    sealed = moment_text(seal.sealed_at)
    said = f"the seal of position {seal.position} (root {seal.root}, {seal.records:,} records, sealed {sealed})"
    problem = signature_problem(seal) or (expected.problem(seal) if expected else None)
    if problem is not None:
        raise SealFails(f"{said}: {problem}")
    whose = (
        f"by {expected.given}, the key you expect"
        if expected
        else f"by key {seal.key} (public key {seal.public_key}): compare it with the key the institution gave you"
    )
    return f"{said} is signed {whose}; the signature holds"
