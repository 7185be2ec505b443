"""Who may write the record: enrolling and revoking writers' public keys,
each a fact in the log (domain.signing), and listing them from the log.

The recorder refuses either unless the transaction is signed by an
administrator's key in force, or, for a store's first key, by the
administrator's key it enrolls (workflows.store.signatures)."""

from __future__ import annotations

from typing import Any

from domain.errors import DomainError
from domain.signing import Role, SigningKey, key_id_of
from domain.values import Stamp
from workflows.application.core import Core
from workflows.signing.roster import Key, keys_in_log


class KeyAlreadyEnrolled(DomainError):
    """A public key is enrolled once; a new key is made for a new holder."""


class UnknownKey(DomainError):
    """A key revoked that the log does not enroll."""


class KeyChanges(Core):
    def enrol_key(self, public: bytes, holder: str, role: Role, actor: str) -> str:
        """Enroll a writer's public key; its key id."""
        actor = self.authenticated or actor
        key_id = key_id_of(public)
        now = self.clock.now()

        def decide(attempt: int) -> tuple[str, list[Any]]:
            if self.find(SigningKey.id_of(key_id)) is not None:
                raise KeyAlreadyEnrolled(f"key {key_id} is already enrolled")
            key = SigningKey.enrol(public, holder, role, Stamp(actor, now, f"enrol/{key_id}"))
            return key_id, list(key.collect_events())

        enrolled: str = self.store_decided(decide)
        return enrolled

    def revoke_key(self, key_id: str, reason: str, actor: str) -> None:
        """Revoke a key: from the next transaction on, it signs nothing valid."""
        actor = self.authenticated or actor
        now = self.clock.now()

        def decide(attempt: int) -> tuple[None, list[Any]]:
            key = self.find(SigningKey.id_of(key_id))
            if key is None:
                raise UnknownKey(f"key {key_id} is not enrolled in this store (`accord keys list` shows the keys)")
            key.revoke(reason, Stamp(actor, now, f"revoke/{key_id}"))
            return None, list(key.collect_events())

        self.store_decided(decide)

    def signing_keys(self) -> list[Key]:
        """Every key the log enrolls, in the order enrolled, with its revocation."""
        return sorted(keys_in_log(self.views.db).values(), key=lambda key: key.enrolled_at)
