"""The policy in the log (domain.policies): the first act a person makes
under a policy other than the one the log adopted last records its
adoption, in the same transaction and just before the act, so that
`accord audit verify` judges each act under the policy in force then.

The last adoption is kept per process and checked with one read of the
store before each act (is there an adoption after it?), since another
process may have adopted another policy meanwhile. Two writers adopting at
once both start the same next adoption: the store keeps one, the other's
transaction is retried (Core.store_decided) and finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import EventStore
from pydantic import ValidationError

from domain.approval import Delegation, Proposal
from domain.policies import PolicyRecord
from domain.task import SYSTEM
from domain.values import Stamp
from domain.vocabulary import describe_problems
from workflows.application.clock import shown_moment
from workflows.config.policy import PEOPLE_RECORD, NotPermitted, PolicyError, recorded_policy

if TYPE_CHECKING:
    from workflows.config.policy import Policy

Adopted = PolicyRecord.PolicyAdopted


def parts_of(adopted: Adopted) -> dict[str, Any]:
    """What an adoption holds of its policy, as JSON values."""
    approval = {kind: terms.model_dump(mode="json") for kind, terms in adopted.approval.items()}
    return {"roles": dict(adopted.roles), "permit": dict(adopted.permit), "approval": approval}


@cache
def people_acts() -> frozenset[str]:
    """The types of a person's acts a policy governs: what people record
    (facts, amendments, exchange rates, changes to tasks) and the decisions
    of the four-eyes circuit. Not what Accord records itself (the
    scheduler's reminders, dispatches and deliveries: its key may not sign
    an adoption), nor a signing key's enrolment (the keys' own circuit)."""
    decisions = [event.__name__ for kind in (Proposal, Delegation) for event in kind.event_classes()]
    return PEOPLE_RECORD | frozenset(decisions)


def by_a_person(event: Any) -> bool:
    """Whether an event is a person's act a policy governs (`people_acts`)."""
    return type(event).__name__ in people_acts() and getattr(event, "actor", SYSTEM) != SYSTEM


class Adoptions:
    """The log's last adoption as this process last read it."""

    def __init__(self, events: EventStore[Any]) -> None:
        self.events = events
        self.last: Adopted | None = None
        # The digest of the policy last asked about (a policy is immutable).
        self._digested: tuple[Policy, str] | None = None

    def latest(self) -> Adopted | None:
        """The last adoption the log holds now (None: none)."""
        while (found := self.adoption(self.last.number + 1 if self.last else 1)) is not None:
            self.last = found
        return self.last

    def adoption(self, number: int) -> Adopted | None:
        found = list(self.events.get(PolicyRecord.id_of(number), limit=1))
        return found[0] if found and isinstance(found[0], Adopted) else None

    def digest(self, policy: Policy) -> str:
        if self._digested is None or self._digested[0] is not policy:
            self._digested = (policy, policy.digest)
        return self._digested[1]

    def before(self, policy: Policy | None, events: Sequence[Any]) -> list[Any]:
        """`events`, after the adoption of `policy` if they are a person's
        act and the log's last adoption is of another policy (or none);
        as they are if they begin with an adoption (`adopting`'s)."""
        act = next((event for event in events if by_a_person(event)), None)
        if policy is None or act is None or isinstance(events[0], Adopted):
            return list(events)
        return [*self.adopting(policy, act.actor, act.timestamp), *events]

    def adopting(self, policy: Policy, actor: str, at: datetime) -> list[Any]:
        """The adoption of `policy` by `actor` at `at`, unless the log adopted
        it last (then nothing). NotPermitted if the policy in force (the
        last adopted, else `policy` itself) does not let `actor` adopt
        one; PolicyError if `policy` is beyond what one adoption holds."""
        digest = self.digest(policy)
        last = self.latest()
        if last is not None and last.digest == digest:
            return []
        in_force = policy if last is None else recorded_policy(parts_of(last), f"policy {last.number} in the log")
        try:
            in_force.check(actor, Adopted.__name__)
        except NotPermitted as refused:
            raise NotPermitted(
                f"{refused}; the policy given ({policy.source}) is not the one the log adopted last, so this act "
                "would adopt it: someone the policy in force lets adopt one adopts it first (`accord policy adopt`)"
            ) from None
        number = last.number + 1 if last else 1
        try:
            adoption = PolicyRecord.adopt(number, digest, policy.parts(), Stamp(actor, at, f"policy/{number}"))
        except ValidationError as error:
            problems = describe_problems(error.errors(), name=str)
            raise PolicyError(policy.source, [f"cannot be recorded in the log: {said}" for said in problems]) from None
        return list(adoption.collect_events())

    def stored(self, events: Sequence[Any]) -> None:
        """Note an adoption just stored (the first of `events`, where one is)."""
        if events and isinstance(events[0], Adopted):
            self.last = events[0]


@dataclass(frozen=True)
class Adoption:
    """A policy the log adopted, as `accord policy history` shows it."""

    position: int
    at: datetime
    # The moment as people read it, in the business zone.
    shown_at: str
    actor: str
    number: int
    digest: str
    roles: dict[str, list[str]]
    approval: dict[str, dict[str, Any]]
    # What changed in the approval section and who holds which role, in sentences.
    changes: list[str]


def adoptions(records: Iterable[tuple[int, Adopted]], zone: tzinfo) -> list[Adoption]:
    """The adoptions among (position, event) in order, each with what it
    changed; their moments shown in `zone`."""
    listed: list[Adoption] = []
    before: Adoption | None = None
    for position, event in records:
        approval = {kind: terms.model_dump(mode="json") for kind, terms in event.approval.items()}
        roles = {role: list(people) for role, people in event.roles.items()}
        said = changed(before, roles, approval)
        shown = shown_moment(event.timestamp.astimezone(zone))
        before = Adoption(
            position, event.timestamp, shown, event.actor, event.number, event.digest, roles, approval, said
        )
        listed.append(before)
    return listed


def changed(before: Adoption | None, roles: dict[str, list[str]], approval: dict[str, dict[str, Any]]) -> list[str]:
    """What an adoption changes from the one `before` it (from nothing, the first)."""
    was_roles = before.roles if before else {}
    was = before.approval if before else {}
    said = []
    for kind in sorted(set(was) | set(approval)):
        old, new = was.get(kind), approval.get(kind)
        if old == new:
            continue
        if new is None:
            said.append(f"{kind} no longer needs approval")
        else:
            of = f" (of {', '.join(new['of'])})" if new.get("of") else ""
            count = f"{new['approvals']} approval{'s' * (new['approvals'] != 1)}"
            said.append(f"{kind}{of} {'now ' if old else ''}needs {count} of {new['role']}")
    for role in sorted(set(was_roles) | set(roles)):
        gone = sorted(set(was_roles.get(role, ())) - set(roles.get(role, ())))
        came = sorted(set(roles.get(role, ())) - set(was_roles.get(role, ())))
        if came and before is not None:
            said.append(f"{role}: {', '.join(came)} added")
        if gone:
            said.append(f"{role}: {', '.join(gone)} removed")
    return said
