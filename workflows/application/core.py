"""What every use case of the application stands on (workflows.application
puts them together): the store, its key index and snapshots, loading
aggregates and storing what was decided on them, with retries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from domain.base import Snapshot, Submitted
from domain.signing import SigningKey
from domain.vocabulary import VOCABULARY, amendment_classes
from workflows.application.adoption import Adoptions
from workflows.application.clock import Clock
from workflows.application.loading import load, project
from workflows.application.reader import Reader
from workflows.projections.base import Views
from workflows.store import retry
from workflows.store import snapshots as kept_snapshots
from workflows.store.keys import Keys, index_log
from workflows.store.moments import Stamped
from workflows.store.persistence import APPLICATION, PydanticMapper, mapper_for
from workflows.store.retry import StoreBusy, address, wait_for_server
from workflows.store.signatures import Change
from workflows.store.trial import RolledBack

if TYPE_CHECKING:
    from workflows.config.policy import Policy
    from workflows.rules import RuleSet

# Warnings only. Where logging is not configured (every command but the
# scheduler's), Python's last-resort handler prints them on stderr; the
# scheduler's log shows them once, as its own lines.
log = logging.getLogger("accord")


def key_change(event: Any) -> Change | None:
    """The key an event enrolls or revokes, for the recorder's check of
    who signs (workflows.store.signatures)."""
    kind = type(event)
    if kind is SigningKey.KeyEnrolled:
        return Change(event.key_id, event.role, "enrolled")
    if kind is SigningKey.KeyRevoked:
        return Change(event.key_id, "", "revoked")
    return None


class IndexedEventStore(EventStore[UUID]):
    """The library's event store, which also indexes the key of each fact
    it stores, in the same transaction (workflows.store.keys)."""

    def __init__(self, mapper: Mapper[UUID], recorder: ApplicationRecorder, keys: Keys) -> None:
        super().__init__(mapper, recorder)
        self.keys = keys
        # Events this process has stored: what an interrupted command says it stored.
        self.stored = 0

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Any]:
        rows = [self.keys.row(event) if isinstance(event, Submitted) else None for event in domain_events]
        changes = [key_change(event) for event in domain_events]
        if any(changes):
            kwargs["signing"] = changes
        if "moments" not in kwargs:
            kwargs["moments"] = Stamped.of(domain_events, self.mapper.to_stored_event)
        recordings = super().put(domain_events, keys=rows, **kwargs)
        self.stored += len(domain_events)
        return recordings


class Core(Application[UUID]):
    """What every use case stands on: the store (SQLite or PostgreSQL), the
    clock, the rules and policy in force, loading aggregates, and storing
    what a use case decided, retried when another writer got there first."""

    name = APPLICATION

    def __init__(
        self,
        env: EnvType | None = None,
        clock: Clock | None = None,
        rules: RuleSet | None = None,
        policy: Policy | None = None,
    ) -> None:
        # The time, as the composition root gives it (UTC if none is).
        self.clock = clock or Clock(UTC)
        if rules is not None:
            self.rules = rules
        self.policy = policy
        # On a PostgreSQL store set up for it, the database user who logged
        # in: stored as the actor of every fact and task change, whatever
        # actor a command names.
        self.authenticated: str | None = None
        # Whether this process has seen the store's key index complete.
        self._keys_indexed = False
        # What readers of the log left out, each a sentence naming its
        # position (Reads.readable): the command line says them at the end.
        self.left_out: list[str] = []
        # Events folded by loads (`load`): after a snapshot, only those since.
        self.events_folded = 0
        # The snapshots this process found unproven and said so, once each.
        self.snapshots_ignored: set[tuple[UUID, int]] = set()
        # The keys a snapshot may be signed by, read when first needed
        # (`snapshot_signers`), and the key ids read again for since.
        self._signers: dict[str, bytes] | None = None
        self._signers_read = False
        self._signers_sought: set[str] = set()
        super().__init__(env)

    @cached_property
    def rules(self) -> RuleSet:
        """The rules in force: those given, else the rules shipped with Accord,
        read when first needed (a command that only records needs none)."""
        from workflows.rules import load_rules

        return load_rules()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Settings come from Accord's own settings only, never from stray
        # library variables in the process environment.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def construct_recorder(self) -> ApplicationRecorder:
        # A process recorder: the task follower stores the tasks it opens with
        # its tracking position in one transaction.
        return self.factory.process_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        return mapper_for(self.factory)

    def construct_event_store(self) -> EventStore[UUID]:
        return IndexedEventStore(self.mapper, self.recorder, self.keys)

    @cached_property
    def fact_topics(self) -> list[str]:
        """The topics of every event people submit (the facts and their amendments)."""
        facts = [get_topic(VOCABULARY.event(name)[0]) for name in VOCABULARY]
        return facts + [get_topic(cls) for cls in amendment_classes()]

    @cached_property
    def adoptions(self) -> Adoptions:
        """The log's last adoption of a policy, as this process last read it."""
        return Adoptions(self.events)

    @cached_property
    def keys(self) -> Keys:
        """Digests of submission keys, as the store's key index keeps them."""
        return Keys(self.env.get("CIPHER_KEY"))

    def index_keys(self) -> None:
        """Index the keys of a store recorded before Accord kept its key index
        (once: from then on each event's key is indexed as it is stored).
        A submission asks the index whether its key was recorded before.

        One transaction, which holds the writers' lock throughout (writers
        wait: about ten seconds for a million events), so that it ends
        either with every key indexed or with nothing written."""
        if not self._keys_indexed:
            index_log(self.views.db, self.keys, self.fact_topics)
            self._keys_indexed = True

    @property
    def snapshots_table(self) -> str:
        """The snapshot store's table (the library names it per database)."""
        assert self.snapshots is not None
        return str(self.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]

    def snapshot_signers(self, key_id: str | None = None) -> dict[str, bytes] | None:
        """The public keys in force that a snapshot may be signed by (None
        where the store signs nothing), read once; read again, once, for a
        key id they lack (enrolled since by another process)."""
        if not self._signers_read or (
            key_id is not None and key_id not in (self._signers or {}) and key_id not in self._signers_sought
        ):
            if self._signers_read and key_id is not None:
                self._signers_sought.add(key_id)
            self._signers, self._signers_read = kept_snapshots.signers_in_force(self.views.db), True
        return self._signers

    def keep_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        """Store snapshots, each with the chain's digest at its version
        (workflows.store.snapshots), in place of the same aggregates' others:
        they are derived, and only the latest is ever read. One of a version
        the log does not hold (stored by a writer whose primary was lost) is
        not kept."""
        if not snapshots or self.snapshots is None:
            return
        table, db = self.snapshots_table, self.views.db
        try:
            held = kept_snapshots.held_at(db, [(s.originator_id, s.originator_version) for s in snapshots])
            placed = [
                kept_snapshots.proven(s, position, chained, self.recorder.signing.signer)  # type: ignore[attr-defined]
                for s in snapshots
                if (found := held.get((s.originator_id, s.originator_version))) is not None
                and (position := found.position) is not None
                and (chained := found.chained) is not None
            ]
            kept_snapshots.drop_others(db, table, placed)
            self.snapshots.put(placed)
        except (OperationalError, InterfaceError, IntegrityError) as error:
            # The events are stored: a snapshot lost (the connection dropped,
            # the disk filled) only means the next load reads more events.
            log.warning("the facts are recorded, but not their snapshots (%s); they will be taken again", error)

    def store_decided(
        self,
        decide: Callable[[int], tuple[Any, list[Any]]],
        snapshots: Callable[[Any], Sequence[Snapshot]] | None = None,
        *,
        dry_run: bool = False,
    ) -> Any:
        """Decide on freshly loaded aggregates, then store the events (a
        `dry_run` writes them in a transaction rolled back at its end, which
        the store checks as any: workflows.store.trial); when
        another writer got there first, reload and decide again. A connection
        to PostgreSQL lost in either step (the server restarted) is retried
        too, with a warning each time. Then keep the `snapshots` of the
        result, unless the recorder stamped the events again (with a later
        moment another writer stored meanwhile: workflows.store.moments),
        which the aggregates decided on do not know. A person's act under a
        policy other than the one the log adopted last is stored after its
        adoption (workflows.application.adoption)."""
        deadline = retry.deadline()
        attempt = 1
        while True:
            try:
                result, events = decide(attempt)
                # In the order decided, not grouped by aggregate, so the log's
                # order is the order of the submissions.
                if events:
                    # A person's act under a policy the log has not adopted
                    # last adopts it first (workflows.application.adoption).
                    events = self.adoptions.before(self.policy, events)
                    stamped = Stamped.of(events, self.mapper.to_stored_event)
                    try:
                        self.events.put(events, moments=stamped, trial=dry_run)
                    except RolledBack:
                        return result
                    self.adoptions.stored(events)
                    if snapshots is not None and stamped is not None and stamped.moved_to is None:
                        self.keep_snapshots(snapshots(result))
                return result
            except IntegrityError:
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"gave up after {attempt} attempts in {retry.RETRY_FOR:.0f} s: the store is too busy"
                    ) from None
                time.sleep(random.uniform(0, min(0.5, 0.002 * 2**attempt)))
            except (OperationalError, InterfaceError) as error:
                # Safe even if the commit went through before the connection
                # died: the retry decides again, finds every submission's key
                # recorded and stores nothing (Receipt.already).
                wait_for_server(error, address(self.env), deadline)
            attempt += 1

    def adopt_policy(self, actor: str) -> Any:
        """Record the policy given as the one in force from now, with no
        other act (workflows.application.adoption); its PolicyAdopted, or
        None if the log adopted it last."""
        from workflows.base.failures import BadInput

        if self.policy is None:
            raise BadInput("no policy to adopt: name its file with --policy or ACCORD_POLICY")
        policy, actor, now = self.policy, self.authenticated or actor, self.clock.now()

        def decide(attempt: int) -> tuple[Any, list[Any]]:
            events = self.adoptions.adopting(policy, actor, now)
            return (events[0] if events else None), events

        return self.store_decided(decide)

    def drop_snapshots(self) -> int:
        """Delete every snapshot (they are taken again as facts arrive); how many."""
        return kept_snapshots.drop_all(self.views.db, self.snapshots_table)

    def from_log(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """An aggregate (at a version, else as it is now) replayed from its
        events alone, without asking for a snapshot: what an aggregate never
        kept as one (a task) is found in one query, not two."""
        return project(None, self.events.get(aggregate_id, lte=version))

    def find(self, aggregate_id: UUID) -> Any:
        """An aggregate as it is now (None if it has no events)."""
        return self.load(aggregate_id)[0]

    def load(self, aggregate_id: UUID) -> tuple[Any, int]:
        """An aggregate as it is now (None if it has no events), and how many
        events were folded to make it: from its snapshot where the chain
        proves one, else from its first event (workflows.application.loading)."""
        return load(self, aggregate_id)

    @cached_property
    def reader(self) -> Reader:
        return Reader(self.recorder, cast(PydanticMapper, self.mapper))

    @property
    def views(self) -> Views:
        return self.reader.views
