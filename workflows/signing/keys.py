"""A writer's Ed25519 key pair, held outside the database: made, written to
a file only its owner may read, and read back (ACCORD_KEY names the file,
or holds the key itself as `ed25519:` and the base64 of its 32 bytes).

A private key never leaves this module but as a signature: no error, repr
or setting shown says it.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.signing import key_id_of
from workflows.base.failures import BadInput

# The prefix of a key given in the environment itself rather than as a file.
INLINE = "ed25519:"
# A key file is a few hundred bytes; anything much larger is not one.
LARGEST_FILE = 4096


class UnusableKey(BadInput):
    """A private key that cannot be used: missing, unreadable, not a key, or
    readable by others than its owner."""


class Signer:
    """A writer's private key, which signs; its key id and raw public key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id_of(self.public)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r})"

    def pem(self) -> bytes:
        """The private key as a PKCS #8 PEM file holds it (for `write_key` only)."""
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def new_signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def write_key(signer: Signer, path: Path) -> None:
    """Write a private key to a new file only its owner may read (0600);
    an existing file is never overwritten."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UnusableKey(f"{path} exists: a key file is never overwritten; name a new file") from None
    except OSError as error:
        raise UnusableKey(f"cannot write the key file {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "wb") as file:
        file.write(signer.pem())


def load_signer(value: str) -> Signer:
    """The key ACCORD_KEY gives: a file's path, or `ed25519:` and base64."""
    if value.startswith(INLINE):
        return _inline(value.removeprefix(INLINE))
    return read_key(Path(value).expanduser())


def _inline(text: str) -> Signer:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise UnusableKey("ACCORD_KEY is not a key: give a key file's path, or ed25519: and the base64 of 32 bytes")
    return Signer(Ed25519PrivateKey.from_private_bytes(raw))


def read_key(path: Path) -> Signer:
    """The private key in a file that only its owner may read."""
    try:
        status = path.stat()
    except OSError as error:
        raise UnusableKey(f"cannot read the key file {path}: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise UnusableKey(f"the key file {path} is not a file")
    if status.st_mode & 0o077:
        raise UnusableKey(
            f"the key file {path} may be read by others than its owner (mode {stat.S_IMODE(status.st_mode):o}): "
            f"make it private (chmod 600 {path}) and, as another may have read it, have its key revoked"
        )
    if status.st_size > LARGEST_FILE:
        raise UnusableKey(f"the key file {path} is not a key file (it is larger than {LARGEST_FILE} bytes)")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnusableKey(f"cannot read the key file {path}: {error.strerror}") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        private = None
    if not isinstance(private, Ed25519PrivateKey):
        raise UnusableKey(f"the key file {path} holds no Ed25519 private key (`accord keys new` makes one)")
    return Signer(private)


def public_of(text: str) -> bytes:
    """A raw public key given as 64 hex digits."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UnusableKey("a public key is 64 hex digits (the raw Ed25519 key)")
    return raw
