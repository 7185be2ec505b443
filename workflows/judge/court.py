"""The judging pass: every record of the log, in position order, decoded
once by the store's mapper and judged on its aggregate as folded so far,
by the rules the domain records by (domain.judging), the partners a fact
names (domain.partnership.require_opened) and the policy in force then
(workflows.config.policy): the last the log adopted before the record
(domain.policies), else, before any adoption, the policy the settings
name; and the moments of the log, which never go back.

Everything is folded in memory: a round trip to the store only for the
history of an aggregate when an amendment of it is first judged (an
amendment is decided on the whole history), kept from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.amendments import Amendment, Correction
from domain.approval import Act, Delegation, Proposal, standing
from domain.base import Aggregate, Recorded, Submitted
from domain.errors import DomainError
from domain.judging import admitted, aggregate_of, applied
from domain.partnership import require_opened
from domain.policies import PolicyRecord
from domain.task import SYSTEM, TaskEvent
from workflows.base.batches import Progress, collector_paused
from workflows.config.policy import NotPermitted, Policy, canonical, digest_of, recorded_policy
from workflows.judge.findings import Judgement
from workflows.store.persistence import PydanticMapper

# The stored events of an aggregate up to a version, as the store gives them.
Stored = Callable[[UUID, int], Iterable[Recorded]]
# (position, originator_id, version, topic, state) as the events table holds them.
Record = tuple[int, Any, int, str, bytes]
# How far a record's moment may fall behind one before it in the log, in a
# store recorded before its writers kept the moments in order
# (workflows.store.moments): a writer took its moment when it decided, and
# stored what it decided a little later, when its turn came (eight writers
# and a scheduler at once put one a second behind).
SKEW = timedelta(minutes=5)
# Progress is told every so many records.
STEP = 10_000


def judge(
    records: Iterable[Record],
    mapper: PydanticMapper,
    policy: Policy | None,
    stored: Stored,
    progress: Progress | None = None,
    in_order_from: int | None = 1,
    zone: tzinfo = UTC,
) -> Judgement:
    """Judge every record of `records` (the log, in position order); their
    moments go forward from position `in_order_from` (None: nowhere), and
    before it by no more than SKEW back. A delegation's days are business
    days, in `zone`."""
    court = Court(mapper, policy, stored, in_order_from, zone)
    with collector_paused():
        for record in records:
            court.hear(*record)
            if progress and court.judgement.records % STEP == 0:
                progress(STEP)
    return court.judgement


class Court:
    """The aggregates folded so far, and what was found on the way."""

    def __init__(
        self,
        mapper: PydanticMapper,
        policy: Policy | None,
        stored: Stored,
        in_order_from: int | None = 1,
        zone: tzinfo = UTC,
    ) -> None:
        self.mapper = mapper
        # The policy in force: the settings' until the log adopts one.
        self.policy = policy
        # Where the log adopted the policy in force, and which adoption it was.
        self.adopted: tuple[int, int] | None = None
        # The proposal the record just heard approved for the last time: the
        # fact it records is the next record (Approving.approve stores both).
        self.approved: Proposal | None = None
        self.zone = zone
        # The delegations folded so far, by delegate: what an approval is judged by.
        self.delegations: dict[str, dict[UUID, Delegation]] = {}
        self.stored = stored
        self.judgement = Judgement(in_order_from=in_order_from)
        self.aggregates: dict[UUID, Any] = {}
        # The events of each aggregate an amendment was judged on, from its first.
        self.histories: dict[UUID, list[Recorded]] = {}
        # Aggregates holding a record that cannot be read: not folded further.
        self.unreadable: set[UUID] = set()
        # The latest moment recorded so far, and its position.
        self.latest: tuple[int, datetime] | None = None

    def hear(self, position: int, originator: Any, version: int, topic: str, state: bytes) -> None:
        """Judge one record, and fold it into its aggregate."""
        self.judgement.records += 1
        event = self._read(position, originator, version, topic, state)
        if event is None:
            self.approved = None
            return
        self._in_time(position, event)
        self._permitted(position, event)
        aggregate_id = event.originator_id
        aggregate = self.aggregates.get(aggregate_id)
        self._duties(position, event, aggregate)
        approved, self.approved = self.approved, None
        self._approved(position, event, approved)

        def history() -> Sequence[Recorded]:
            return self._history(event)

        try:
            aggregate = admitted(aggregate, event, history)
        except DomainError as error:
            self.judgement.found(position, f"{_what(event)}: {error}")
            aggregate = _forced(aggregate, event, history)
        except Exception as error:
            # Not a rule's sentence: a record no rule foresaw (written around
            # Accord), which stops no other record from being judged.
            self.judgement.found(position, f"{_what(event)}: cannot be judged: {type(error).__name__}: {error}")
            aggregate = _forced(aggregate, event, history)
        else:
            self._partners_opened(position, event)
        self.aggregates[aggregate_id] = aggregate
        if isinstance(event, PolicyRecord.PolicyAdopted):
            self._adopt(position, event)
        elif isinstance(event, Proposal.FactApproved) and isinstance(aggregate, Proposal):
            self.approved = aggregate if aggregate.status == "approved" else None
        if isinstance(aggregate, Delegation):
            self.delegations.setdefault(aggregate.delegate, {})[aggregate_id] = aggregate
        if aggregate_id in self.histories:
            self.histories[aggregate_id].append(event)

    def _read(self, position: int, originator: Any, version: int, topic: str, state: bytes) -> Recorded | None:
        """The record as its class now takes it (as every reader of the
        log does), or None, and a finding, if it cannot be read."""
        # The id as the column holds it (32 hex digits on SQLite): the
        # event's own validation makes it a UUID, at a fifth of the cost.
        if self.unreadable and _uuid(originator) in self.unreadable:
            return None
        try:
            event = self.mapper.to_domain_event(StoredEvent(originator, version, topic, state))
            if not isinstance(event, Recorded):
                raise TypeError(f"{topic} is not an event Accord records")
            aggregate_of(type(event))
        except Exception as error:
            # Whatever stops a reader here (an unknown type, a cipher
            # that does not fit, a shape no upcaster knows) is one finding.
            aggregate_id = _uuid(originator)
            if aggregate_id is not None:
                self.unreadable.add(aggregate_id)
            self.judgement.found(position, f"{error}; the later records of its aggregate are not judged")
            return None
        return event

    def _in_time(self, position: int, event: Recorded) -> None:
        """Each record's moment is no earlier than any before it in the log
        (but by SKEW, before the position its writers kept them in order from)."""
        moment = event.timestamp
        if moment.tzinfo is None:
            self.judgement.found(position, f"{_what(event)}: recorded at {moment.isoformat()}, with no time zone")
            return
        if self.latest is None or moment >= self.latest[1]:
            self.latest = (position, moment)
            return
        before, then = self.latest
        in_order_from = self.judgement.in_order_from
        if in_order_from is not None and position >= in_order_from:
            self.judgement.found(
                position,
                f"{_what(event)}: recorded at {moment.isoformat()}, before position {before} (recorded at "
                f"{then.isoformat()}): the log's moments go back here, so it was back-dated",
            )
        elif moment < then - SKEW:
            self.judgement.found(
                position,
                f"{_what(event)}: recorded at {moment.isoformat()}, more than {SKEW.seconds // 60} minutes before "
                f"position {before} (recorded at {then.isoformat()}): the log's moments go back here, so it was "
                "back-dated",
            )

    def _permitted(self, position: int, event: Recorded) -> None:
        """The actor may record the event's type, by the policy in force
        then (Accord's own changes to tasks are under none)."""
        if self.policy is None or (event.actor == SYSTEM and isinstance(event, TaskEvent)):
            return
        try:
            self.policy.check(event.actor, type(event).__name__)
        except NotPermitted as error:
            self.judgement.found(position, str(error))

    def _duties(self, position: int, event: Recorded, proposal: Any) -> None:
        """An approval or a rejection by someone who held the proposal's
        role, or acted within a delegation for someone who did, at its
        moment: by the policy in force then, and the delegations the
        log had granted by then (the proposal's own guard, folded as every
        event is, refuses its proposer and a second approval by one person)."""
        if self.policy is None or not isinstance(event, Proposal.FactApproved | Proposal.FactRejected):
            return
        if not isinstance(proposal, Proposal):
            return
        grants = tuple(self.delegations.get(event.actor, {}).values())
        holders = self.policy.holders(proposal.role)
        act = Act(
            event.actor, event.timestamp, event.timestamp.astimezone(self.zone).date(), proposal.role, holders, grants
        )
        verb = "approve" if isinstance(event, Proposal.FactApproved) else "reject"
        try:
            standing(act, proposal, verb)
        except DomainError as error:
            self.judgement.found(position, f"{_what(event)}: {error}")

    def _adopt(self, position: int, event: PolicyRecord.PolicyAdopted) -> None:
        """The adopted policy is in force from here: the next adoption
        after the one before, its digest its policy's."""
        approval = {kind: terms.model_dump(mode="json") for kind, terms in event.approval.items()}
        parts = canonical(event.roles, event.permit, approval)
        if digest_of(parts) != event.digest:
            self.judgement.found(
                position, f"{_what(event)}: its digest {event.digest[:16]}… is not that of the policy it holds"
            )
        number = self.adopted[1] if self.adopted else 0
        if event.number != number + 1:
            self.judgement.found(
                position,
                f"{_what(event)}: it is adoption {event.number}, after adoption {number}: Accord numbers them "
                "one after another",
            )
        self.policy = recorded_policy(parts, f"adopted at position {position}")
        self.adopted = (position, event.number)

    def _approved(self, position: int, event: Recorded, approved: Proposal | None) -> None:
        """A fact the policy in force (once the log adopts one) says needs
        approval is recorded by its proposal's last approval: the record
        just before it, on the proposal of its type, aggregate and key."""
        if self.adopted is None or self.policy is None or not isinstance(event, Submitted):
            return
        kind = type(event).__name__
        if kind not in self.policy.approval:
            return
        amends = None
        if isinstance(event, Amendment):
            target = event.target
            amends = next((type(e).__name__ for e in self._history(event) if getattr(e, "key", None) == target), None)
        terms = self.policy.needs_approval(kind, amends)
        if terms is None:
            return
        if approved is not None and (approved.type, approved.target, approved.key) == (
            kind,
            event.originator_id,
            event.key,
        ):
            return
        self.judgement.found(
            position,
            f"{_what(event)}: the policy in force then (adopted at position {self.adopted[0]}) records a {kind} "
            f"only once {terms.role} approves it, and no approval of its proposal was recorded with it",
        )

    def _partners_opened(self, position: int, event: Recorded) -> None:
        """A fact naming several partners, or a correction of them, names
        opened partnerships only."""
        if isinstance(event, Correction):
            named = event.changes.get("partners", ())
        elif isinstance(event, Submitted):
            named = type(event).partners_named(event.__dict__)
        else:
            return
        if not named or not isinstance(named, list | tuple):
            return
        try:
            require_opened(named, self._opened)
        except DomainError as error:
            self.judgement.found(position, f"{_what(event)}: {error}")

    def _opened(self, partnership_id: UUID) -> bool:
        return self.aggregates.get(partnership_id) is not None or partnership_id in self.unreadable

    def _history(self, event: Recorded) -> list[Recorded]:
        """The events of the event's aggregate before it: read from the
        store the first time, kept as the log is folded from then on."""
        aggregate_id = event.originator_id
        if aggregate_id not in self.histories:
            self.histories[aggregate_id] = list(self.stored(aggregate_id, event.originator_version - 1))
        return self.histories[aggregate_id]


def _forced(aggregate: Aggregate | None, event: Recorded, history: Callable[[], Sequence[Recorded]]) -> Any:
    """The aggregate as the store's readers fold it with a refused event
    (what was decided after it was decided on it); one that cannot take it
    only counts its version."""
    try:
        return applied(aggregate, event, history)
    except Exception:
        if aggregate is not None:
            aggregate.version = event.originator_version
        return aggregate


def _uuid(originator: Any) -> UUID | None:
    try:
        return originator if isinstance(originator, UUID) else UUID(str(originator))
    except ValueError:
        return None


def _what(event: Recorded) -> str:
    """The record in a few words: its type, on what, by whom."""
    kind = aggregate_of(type(event))
    subject = event.subject if isinstance(event, Submitted) else event.originator_id
    return f"{type(event).__name__} on {kind.NOUN} {subject} by {event.actor}"
