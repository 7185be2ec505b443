"""Four eyes on money: proposals, approvals, rejections and delegations.

A fact the policy says needs approval is not recorded as that fact when it
is submitted: a `Proposal` is, holding the fact as submitted. Only when the
approvals it needs are given is the fact decided on its own aggregate (by
the application, in the transaction of the last approval), so until then it
counts nowhere, and a rejected proposal never does.

Who may approve is judged at the moment of the act (`standing`): never the
proposer, nor anyone acting for the proposer; someone holding the role, or
acting, within a delegation's window, for someone who holds it. A
delegation is a fact too (`Delegation`), one aggregate per grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain.base import Aggregate, Founding, Recorded
from domain.errors import DomainError
from domain.text import Name, Text
from domain.values import EventDate, Stamp


class ApprovalRefused(DomainError):
    """An approval, rejection or delegation the separation of duties forbids."""


class ProposalDecided(ApprovalRefused):
    """A proposal approved or rejected takes no further decision."""


class OwnProposal(ApprovalRefused):
    """Nobody approves or rejects what they proposed, directly or through a delegate."""


class AlreadyApproved(ApprovalRefused):
    """Each person's approval counts once on a proposal, given directly or by a delegate."""


class NotAnApprover(ApprovalRefused):
    """An approver holds the role the proposal needs, or acts for someone who does."""


class OutsideDelegation(NotAnApprover):
    """A delegate acts for someone only within the delegation's window, until it is revoked."""


class DelegationRefused(ApprovalRefused):
    """A delegation names another person, a role its grantor holds, and a window that ends after it begins."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        # The field of a grant the refusal is about (delegate, role), if one.
        self.field = field


def long_date(day: date) -> str:
    """A date as a sentence says it: "1 March 2027"."""
    return f"{day.day} {day:%B %Y}"


def window(start: date, until: date) -> str:
    """ "from 1 to 14 March 2027", "from 28 February to 3 March 2027"."""
    if (start.year, start.month) == (until.year, until.month):
        return f"from {start.day} to {long_date(until)}"
    if start.year == until.year:
        return f"from {start.day} {start:%B} to {long_date(until)}"
    return f"from {long_date(start)} to {long_date(until)}"


class ProposalEvent(Recorded):
    """Refuses any decision once the proposal is decided, and any by its proposer."""

    def check(self, aggregate: Any) -> None:
        if aggregate is None:
            return
        if aggregate.status != "proposed":
            raise ProposalDecided(f"{aggregate.what} is already {aggregate.status}: nothing changed")
        acting_for = getattr(self, "acting_for", None)
        if aggregate.proposer in (self.actor, acting_for):
            verb = "approve" if isinstance(self, Proposal.FactApproved) else "reject"
            who = self.actor if acting_for is None else f"{self.actor}, acting for {acting_for},"
            raise OwnProposal(f"{aggregate.proposer} proposed {aggregate.what}: {who} may not {verb} it")


class Proposal(Aggregate):
    """A fact submitted that needs approval before it is recorded: its type
    and fields as submitted, who proposed it, the role whose approval it
    needs and how many approvals."""

    Event = ProposalEvent  # type: ignore[assignment]

    NOUN = "proposal"
    STARTED = "proposed"

    class FactProposed(ProposalEvent, Founding):
        type: str = Field(description="The type of the fact proposed")
        target: UUID = Field(description="The aggregate it is to be recorded on")
        subject: str = Field(description="What it concerns: a partner, meeting, initiative or instrument")
        submission: dict[str, Any] = Field(description="The fact as submitted, as JSON")
        role: Name = Field(min_length=1, description="The role whose approval it needs")
        approvals: int = Field(ge=1, le=9, description="How many approvals it needs")
        # The business day it was proposed: what a rule's due date counts from.
        proposed_on: EventDate = Field(description="The day it was proposed")

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            # Who proposed it and its key are the envelope's, not fields of its own.
            aggregate.proposer, aggregate.key = self.actor, self.key
            return aggregate

    class FactApproved(ProposalEvent):
        acting_for: Name | None = Field(default=None, description="Whom the approver acts for, as a delegate")
        role: Name = Field(min_length=1)

        def apply(self, aggregate: Proposal) -> None:
            aggregate.approved_by.append((self.actor, self.acting_for))
            if len(aggregate.approved_by) >= aggregate.approvals:
                aggregate.status = "approved"

        def check(self, aggregate: Any) -> None:
            super().check(aggregate)
            principal = self.acting_for or self.actor
            for actor, acting_for in aggregate.approved_by:
                if principal in (actor, acting_for) or self.actor == actor:
                    raise AlreadyApproved(
                        f"{actor}{f' for {acting_for}' if acting_for else ''} already approved {aggregate.what}: "
                        f"it needs {aggregate.approvals} different people's approval"
                    )

    class FactRejected(ProposalEvent):
        acting_for: Name | None = Field(default=None, description="Whom the rejecter acts for, as a delegate")
        reason: Text = Field(min_length=1, description="Why it is rejected")

        def apply(self, aggregate: Proposal) -> None:
            aggregate.status = "rejected"

    def __init__(
        self,
        type: str,
        target: UUID,
        subject: str,
        submission: dict[str, Any],
        role: str,
        approvals: int,
        proposed_on: EventDate,
    ) -> None:
        self.type = type
        self.target = target
        self.subject = subject
        self.submission = submission
        self.role = role
        self.approvals = approvals
        self.proposed_on = proposed_on
        self.status = "proposed"
        self.approved_by: list[tuple[str, str | None]] = []
        self.proposer = ""
        self.key = ""

    @classmethod
    def id_of(cls, target: UUID, key: str) -> UUID:
        """A proposal's id, from the aggregate and the key its fact is
        submitted under: the same submission proposes once."""
        return cls.id_for(f"{target}/{key}")

    @classmethod
    def named_by(cls, first: Any) -> str:
        return f"{first.target}/{first.key}"

    @property
    def what(self) -> str:
        """The proposal as a sentence names it: "this FundingCommitted on TN (key tn-1)"."""
        return f"this {self.type} on {self.subject} (key {self.key})"

    @classmethod
    def propose(
        cls,
        type_name: str,
        target: UUID,
        subject: str,
        submission: Mapping[str, Any],
        role: str,
        approvals: int,
        on: date,
        stamp: Stamp,
    ) -> Proposal:
        facts = {
            "type": type_name,
            "target": target,
            "subject": subject,
            "submission": dict(submission),
            "role": role,
            "approvals": approvals,
            "proposed_on": EventDate(on.year, on.month, on.day),
        }
        return cls.start(cls.FactProposed, f"{target}/{stamp.key}", facts, stamp)

    def approve(self, role: str, acting_for: str | None, stamp: Stamp) -> bool:
        return self.record(self.FactApproved, {"acting_for": acting_for, "role": role}, stamp)

    def reject(self, reason: str, acting_for: str | None, stamp: Stamp) -> bool:
        return self.record(self.FactRejected, {"acting_for": acting_for, "reason": reason}, stamp)


def decisions() -> dict[str, tuple[type[Recorded], type[Aggregate]]]:
    """The events of a proposal's way, by name, with their aggregate: what
    a workflow rule may react to beside the facts (a proposal opens an
    approval task; its approval or rejection closes it)."""
    return {event.__name__: (event, Proposal) for event in Proposal.event_classes()}


class Delegation(Aggregate):
    """One grant: `grantor` lets `delegate` act for them in `role` within a
    window of days, until it ends or is revoked. Grants of one (grantor,
    delegate, role) are numbered 1, 2... so that they are found again."""

    NOUN = "delegation"
    STARTED = "granted"

    class DelegationGranted(Recorded, Founding):
        grantor: Name = Field(min_length=1, description="Who delegates")
        delegate: Name = Field(min_length=1, description="Who acts for them")
        role: Name = Field(min_length=1, description="The role the delegate acts in")
        starts_on: date = Field(description="The first day the delegate may act")
        ends_on: date = Field(description="The last day the delegate may act (included)")
        number: int = Field(ge=1, description="Which grant of the same grantor, delegate and role")

        @model_validator(mode="after")
        def _in_order(self) -> Self:
            if self.ends_on < self.starts_on:
                raise ValueError(f"a delegation ends ({self.ends_on}) before it begins ({self.starts_on})")
            return self

    class DelegationRevoked(Recorded):
        reason: Text = ""

        def check(self, aggregate: Any) -> None:
            if aggregate.revoked_at is not None:
                raise DelegationRefused(f"{aggregate.said} is already revoked")

        def apply(self, aggregate: Delegation) -> None:
            aggregate.revoked_at = self.timestamp

    def __init__(self, grantor: str, delegate: str, role: str, starts_on: date, ends_on: date, number: int) -> None:
        self.grantor = grantor
        self.delegate = delegate
        self.role = role
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.number = number
        self.revoked_at: datetime | None = None

    @classmethod
    def id_of(cls, grantor: str, delegate: str, role: str, number: int) -> UUID:
        return cls.id_for(f"{grantor}/{delegate}/{role}/{number}")

    @classmethod
    def named_by(cls, first: Any) -> str:
        return f"{first.grantor}/{first.delegate}/{first.role}/{first.number}"

    @property
    def said(self) -> str:
        return f"{self.grantor}'s delegation of {self.role} to {self.delegate} {window(self.starts_on, self.ends_on)}"

    @property
    def granted(self) -> str:
        """What the grant lets the delegate do, in a sentence."""
        return f"{self.delegate} may act for {self.grantor} as {self.role} {window(self.starts_on, self.ends_on)}"

    @classmethod
    def grant(cls, delegate: str, role: str, starts_on: date, ends_on: date, number: int, stamp: Stamp) -> Delegation:
        if delegate == stamp.actor:
            raise DelegationRefused(f"{stamp.actor} cannot delegate to themselves", field="delegate")
        facts = {"grantor": stamp.actor, "delegate": delegate, "role": role, "starts_on": starts_on, "ends_on": ends_on}
        facts["number"] = number
        return cls.start(cls.DelegationGranted, f"{stamp.actor}/{delegate}/{role}/{number}", facts, stamp)

    def revoke(self, reason: str, stamp: Stamp) -> bool:
        return self.record(self.DelegationRevoked, {"reason": reason}, stamp)

    def in_force(self, on: date, at: datetime) -> bool:
        """Whether the delegate may act on business date `on`, at moment `at`."""
        return self.starts_on <= on <= self.ends_on and (self.revoked_at is None or at < self.revoked_at)


@dataclass(frozen=True)
class Act:
    """Someone deciding a proposal: who, when (the moment and its business
    date), the role the proposal needs, who holds it, and the delegations
    to them from its holders and from the proposer (any role)."""

    actor: str
    at: datetime
    on: date
    role: str
    holders: frozenset[str]
    delegations: tuple[Delegation, ...]


def standing(act: Act, proposal: Proposal, verb: str = "approve") -> str | None:
    """Whom `act.actor` decides `proposal` for: None when in their own
    right, else the holder of the role they act for as a delegate. Raises
    the rule it would break, in a sentence."""
    actor, proposer = act.actor, proposal.proposer
    if actor == proposer:
        raise OwnProposal(f"{proposer} proposed {proposal.what} and may not {verb} it")
    for grant in act.delegations:
        if grant.grantor == proposer and grant.delegate == actor and grant.in_force(act.on, act.at):
            raise OwnProposal(
                f"{actor} acts for {proposer} ({grant.role}, {window(grant.starts_on, grant.ends_on)}), who proposed "
                f"{proposal.what}: {actor} may not {verb} it"
            )
    if actor in act.holders:
        return None
    grants = [g for g in act.delegations if g.delegate == actor and g.role == act.role and g.grantor in act.holders]
    for grant in grants:
        if grant.in_force(act.on, act.at):
            return grant.grantor
    if grants:
        grant = grants[-1]
        if grant.revoked_at is not None and grant.starts_on <= act.on <= grant.ends_on:
            raise OutsideDelegation(f"{grant.said} was revoked; {actor} may not {verb} {proposal.what}")
        raise OutsideDelegation(
            f"{actor} acts for {grant.grantor} only {window(grant.starts_on, grant.ends_on)}; "
            f"today is {long_date(act.on)}"
        )
    raise NotAnApprover(
        f"{actor} may not {verb} {proposal.what}: it needs the approval of {act.role}, which {actor} neither holds "
        "nor holds for anyone today"
    )


def holders_of(roles: Mapping[str, Iterable[str]], role: str) -> frozenset[str]:
    return frozenset(roles.get(role, ()))
