"""One signature a transaction, written beside the chain by the recorders.

Once a store holds an enrolled key, every insert transaction is signed by
the writer's Ed25519 key (the signer the composition root hands the
recorder) over the positions it stored and the chain's digest at the last
of them (`message`), and the signature is kept in its own table. A write
with no key, or a key the store has not enrolled or has revoked, is refused
before anything is stored. A store with no enrolled key is written as it
always was, unsigned.

Which keys are enrolled the recorder reads from `accord_signers`, rows it
writes itself from the KeyEnrolled and KeyRevoked events of the same
transaction: an index of the log for the writers' own check. `audit verify`
trusts only the log (workflows.signing.verify).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from workflows.base.failures import BadInput

SIGNATURES = "accord_signatures"
SIGNERS = "accord_signers"


def message(first: int, last: int, digest: str) -> bytes:
    """What a transaction's signature covers: the first and last position it
    stored and the chain's digest at the last (which covers every record
    before it)."""
    return f"accord signature\n{first}\n{last}\n{digest}".encode()


def verifies(public: bytes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is the Ed25519 signature of `data` by the key whose raw public key is `public`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def create_statements(postgres: bool, schema: str | None = None) -> list[str]:
    prefix = f"{schema}." if schema else ""
    kind = "BIGINT" if postgres else "INTEGER"
    return [
        f"CREATE TABLE IF NOT EXISTS {prefix}{SIGNATURES} (position {kind} PRIMARY KEY, "
        f"first {kind} NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}{SIGNERS} (position {kind} PRIMARY KEY, "
        "key_id TEXT NOT NULL, role TEXT NOT NULL, change TEXT NOT NULL)",
    ]


class Signer(Protocol):
    """A writer's private key, as the recorder uses it (workflows.signing.keys)."""

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class Change:
    """A key enrolled or revoked by one of a transaction's events."""

    key_id: str
    role: str
    change: str  # "enrolled" or "revoked"


class Refused(BadInput):
    """A write this store's signing refuses: no key, or one not in force, or
    not an administrator's where one is needed. Nothing was stored."""


@dataclass(frozen=True)
class _Roster:
    """The keys enrolled in a store as its writers see them."""

    roles: dict[str, str]
    revoked: set[str]

    def in_force(self, key_id: str) -> bool:
        return key_id in self.roles and key_id not in self.revoked


class Signing:
    """Checks and signs a recorder's insert transaction (`placeholder`: `?` on
    SQLite, `%s` on PostgreSQL)."""

    def __init__(self, signatures: str, signers: str, placeholder: str = "?") -> None:
        mark = placeholder
        self.postgres = placeholder == "%s"
        self.signer: Signer | None = None
        self.select = f"SELECT key_id, role, change FROM {signers} ORDER BY position"
        self.insert_signature = (
            f"INSERT INTO {signatures} (position, first, key_id, signature) VALUES ({mark}, {mark}, {mark}, {mark})"
        )
        self.insert_change = (
            f"INSERT INTO {signers} (position, key_id, role, change) VALUES ({mark}, {mark}, {mark}, {mark})"
        )

    def admit(self, cursor: Any, changes: Sequence[Change | None] | None, topics: Collection[str] = ()) -> bool:
        """Refuse, before anything is stored, a write this store's signing does
        not allow (of records of these `topics`); whether the transaction is
        to be signed."""
        cursor.execute(self.select)
        rows = [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in cursor.fetchall()]
        roster = _Roster(
            roles={str(key): str(role) for key, role, change in rows if change == "enrolled"},
            revoked={str(key) for key, _, change in rows if change == "revoked"},
        )
        keyed = [change for change in changes or () if change is not None]
        if not roster.roles:
            if not keyed:
                return False  # a store no key signs yet: written as it always was
            return self._first_enrolment(keyed)
        key = self._key_in_force(roster)
        # Here, not at the top: a store that signs nothing imports no domain.
        from domain.signing import may_sign, type_of

        role = roster.roles[key]
        if beyond := sorted({type_of(topic) for topic in topics if not may_sign(role, type_of(topic))}):
            raise Refused(
                f"key {key} is a {role}'s, which may not sign {', '.join(beyond)}: a fact people record is "
                "signed by a person's key; nothing was stored"
            )
        if keyed and roster.roles[key] != "admin":
            raise Refused(
                f"key {key} is a {roster.roles[key]}'s: only an administrator's key in force enrolls or revokes keys; "
                "nothing was stored"
            )
        return True

    def _first_enrolment(self, keyed: list[Change]) -> bool:
        signer = self.signer
        own = signer is not None and any(
            change.key_id == signer.key_id and change.role == "admin" and change.change == "enrolled"
            for change in keyed
        )
        if not own:
            raise Refused(
                "the first key a store enrolls is an administrator's, enrolled under its own key "
                "(accord init --admin-key FILE); nothing was stored"
            )
        return True

    def _key_in_force(self, roster: _Roster) -> str:
        signer = self.signer
        if signer is None:
            raise Refused(
                "this store's records are signed: set ACCORD_KEY to your key file (an administrator makes and "
                "enrolls one with `accord keys new`); nothing was stored"
            )
        key = signer.key_id
        if key in roster.revoked:
            raise Refused(f"key {key} (ACCORD_KEY) was revoked: ask an administrator for a new one; nothing was stored")
        if key not in roster.roles:
            raise Refused(
                f"key {key} (ACCORD_KEY) is not enrolled in this store: ask an administrator to enroll it "
                "(accord keys new); nothing was stored"
            )
        return key

    def sign(
        self, cursor: Any, ids: Sequence[int], changes: Sequence[Change | None] | None, digest: str, signed: bool
    ) -> None:
        """After the chain is extended to `digest` at the last of `ids`: keep the
        transaction's key changes and, if `signed`, its signature."""
        rows = [
            (position, change.key_id, change.role, change.change)
            for position, change in zip(ids, changes or [None] * len(ids), strict=True)
            if change is not None
        ]
        for row in rows:
            cursor.execute(self.insert_change, row)
        if signed:
            assert self.signer is not None
            first, last = ids[0], ids[-1]
            signature = self.signer.sign(message(first, last, digest)).hex()
            cursor.execute(self.insert_signature, (last, first, self.signer.key_id, signature))
