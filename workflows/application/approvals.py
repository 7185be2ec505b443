"""Deciding proposals and granting delegations (domain.approval).

An approval is judged at its moment: the policy's roles in force, the
delegations in force that day. The last approval a proposal needs records
its fact on the fact's own aggregate in the same transaction, judged by the
domain's rules as they stand then: if the fact no longer fits (another
proposal approved meanwhile took what it needed), the approval is refused
with the domain's sentence and nothing is stored.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.amendments import Amendment, amend
from domain.approval import Act, Delegation, DelegationRefused, NotAnApprover, Proposal, standing
from domain.base import record_fact
from domain.errors import DomainError
from domain.partnership import FundingLine, Partnership
from domain.values import Stamp
from domain.vocabulary import parse
from workflows.application.reads import Reads
from workflows.application.submission import Rejected, Submitting
from workflows.base.failures import BadInput

__all__ = ["Approving", "FundingLine", "LineChange", "Listed", "NoSuchProposal", "Proposal"]


class NoSuchProposal(BadInput):
    """A proposal named by a key or a position the log does not hold."""


@dataclass(frozen=True)
class Listed:
    """A proposal as `accord approvals` shows it: where its proposal stands
    in the log, and whether the person asking may decide it now (else why not)."""

    position: int
    proposal: Proposal
    proposed_at: datetime
    mine: bool
    why_not: str


@dataclass(frozen=True)
class LineChange:
    """What approving a proposal now would do to one funding line of its
    partnership, as the domain decides it: the line before (None: not
    committed yet) and after (None: the domain refuses the fact, `why`)."""

    partner: str
    funding: str
    before: FundingLine | None
    after: FundingLine | None
    why: str = ""


class Approving(Submitting, Reads):
    def approve(self, ref: str, actor: str) -> Proposal:
        """Approve the proposal `ref` names (its key, or its position in the
        log); the last approval it needs records its fact, all or nothing."""
        actor = self.authenticated or actor
        proposal_id = self.proposal_id(ref)
        now = self.clock.now()

        def decide(attempt: int) -> tuple[Proposal, list[Any]]:
            proposal: Proposal = self.find(proposal_id)
            acting_for = standing(self._act(actor, proposal, now), proposal, "approve")
            proposal.approve(proposal.role, acting_for, Stamp(actor, now, f"approve/{actor}@{now.isoformat()}"))
            events: list[Any] = list(proposal.collect_events())
            if proposal.status == "approved":
                events += self._recorded_fact(proposal, now)
            return proposal, events

        decided: Proposal = self.store_decided(decide)
        return decided

    def reject(self, ref: str, reason: str, actor: str) -> Proposal:
        """Reject the proposal `ref` names, saying why: it stays in the log and never counts."""
        actor = self.authenticated or actor
        proposal_id = self.proposal_id(ref)
        now = self.clock.now()

        def decide(attempt: int) -> tuple[Proposal, list[Any]]:
            proposal: Proposal = self.find(proposal_id)
            acting_for = standing(self._act(actor, proposal, now), proposal, "reject")
            proposal.reject(reason, acting_for, Stamp(actor, now, f"reject/{actor}@{now.isoformat()}"))
            return proposal, list(proposal.collect_events())

        decided: Proposal = self.store_decided(decide)
        return decided

    def _recorded_fact(self, proposal: Proposal, now: datetime) -> list[Any]:
        """The proposal's fact decided on its aggregate now, as its proposer
        submitted it; Rejected with the domain's sentence if it no longer fits."""
        submission = parse(proposal.submission)
        self.index_keys()
        try:
            receipt, events = self._decide([submission], proposal.proposer, now, None, approved=True)
        except Rejected as refused:
            sentences = "; ".join(message for _, message in refused.problems)
            raise Rejected([(0, f"approving {proposal.what} would break the record: {sentences}")]) from None
        if receipt.already:
            raise Rejected([(0, f"a fact under key {proposal.key!r} is already recorded on {proposal.subject}")])
        return events

    def line_changes(self, proposal: Proposal) -> list[LineChange]:
        """What approving `proposal` now would do to its partnership's
        funding lines: the fact decided by the domain on a copy of the
        partnership as it stands (an amendment on its whole history), each
        line it changes before and after; the line the fact names with the
        domain's refusal, if it would be refused. Nothing for a proposal
        on anything but a partnership, or one that moves no line."""
        before = self.find(proposal.target)
        if not isinstance(before, Partnership):
            return []
        submission = parse(proposal.submission)
        stamp = Stamp(proposal.proposer, self.clock.now(), proposal.key)
        try:
            if issubclass(submission.event_class, Amendment):
                history: list[Any] = list(self.events.get(proposal.target))
                after = amend(Partnership, history, submission.event_class, submission.facts(), stamp)
            else:
                facts = submission.facts()
                after, _ = record_fact(copy.deepcopy(before), Partnership, submission.event_class, facts, stamp)
        except DomainError as refused:
            named = str(proposal.submission.get("funding", ""))
            return [LineChange(before.partner, named, before.funding.get(named), None, str(refused))] if named else []
        lines = sorted(set(before.funding) | set(after.funding))
        return [
            LineChange(before.partner, name, before.funding.get(name), after.funding.get(name))
            for name in lines
            if before.funding.get(name) != after.funding.get(name)
        ]

    def _act(self, actor: str, proposal: Proposal, at: datetime) -> Act:
        """The act of `actor` deciding `proposal` at `at`: the holders of its
        role under the policy in force, and the delegations to `actor` from
        them and from the proposer."""
        if self.policy is None or proposal.role not in self.policy.roles:
            raise NotAnApprover(
                f"{proposal.what} needs the approval of {proposal.role}, which no policy in force names "
                "(give the policy with --policy or ACCORD_POLICY)"
            )
        holders = self.policy.holders(proposal.role)
        grants = [
            *(g for holder in sorted(holders) for g in self.grants(holder, actor, proposal.role)),
            *(g for role in sorted(self.policy.roles) for g in self.grants(proposal.proposer, actor, role)),
        ]
        return Act(actor, at, self.clock.day(at), proposal.role, holders, tuple(grants))

    def grants(self, grantor: str, delegate: str, role: str) -> Iterator[Delegation]:
        """Every delegation of `role` from `grantor` to `delegate`, in the order granted."""
        number = 1
        while (grant := self.find(Delegation.id_of(grantor, delegate, role, number))) is not None:
            yield grant
            number += 1

    def delegate(self, to: str, role: str, start: date, until: date, actor: str) -> Delegation:
        """Let `to` act for `actor` in `role` from `start` to `until` (days,
        both included): `actor` must hold the role under the policy."""
        actor = self.authenticated or actor
        if self.policy is None or actor not in self.policy.holders(role):
            held = sorted(r for r, people in (self.policy.roles if self.policy else {}).items() if actor in people)
            raise DelegationRefused(
                f"{actor} may not delegate {role}: the policy in force does not give it to {actor}"
                + (f" (who holds {', '.join(held)})" if held else ""),
                field="role",
            )
        now = self.clock.now()

        def decide(attempt: int) -> tuple[Delegation, list[Any]]:
            number = len(list(self.grants(actor, to, role))) + 1
            grant = Delegation.grant(to, role, start, until, number, Stamp(actor, now, f"delegate/{number}"))
            return grant, list(grant.collect_events())

        granted: Delegation = self.store_decided(decide)
        return granted

    def delegations(self, person: str) -> list[Delegation]:
        """Every delegation `person` granted or received, as it stands now, in the order granted."""
        found = []
        for notification in self.notifications(topics=[get_topic(Delegation.DelegationGranted)]):
            grant: Delegation = self.find(notification.originator_id)
            if person in (grant.grantor, grant.delegate):
                found.append(grant)
        return found

    def revoke_delegation(self, to: str, role: str, reason: str, actor: str) -> list[Delegation]:
        """Revoke every delegation of `role` from `actor` to `to` not yet revoked."""
        actor = self.authenticated or actor
        now = self.clock.now()

        def decide(attempt: int) -> tuple[list[Delegation], list[Any]]:
            standing_grants = [g for g in self.grants(actor, to, role) if g.revoked_at is None]
            if not standing_grants:
                raise DelegationRefused(f"{actor} has no delegation of {role} to {to} to revoke")
            events: list[Any] = []
            for grant in standing_grants:
                grant.revoke(reason, Stamp(actor, now, f"revoke@{now.isoformat()}"))
                events += grant.collect_events()
            return standing_grants, events

        revoked: list[Delegation] = self.store_decided(decide)
        return revoked

    def proposal_id(self, ref: str) -> UUID:
        """The proposal a key or a log position names."""
        # A position is a number the log can hold (a signed 64-bit integer).
        if ref.isdigit() and int(ref) < 2**63:
            found = self.recorder.select_notifications(int(ref), 1, stop=int(ref))
            if found and found[0].topic.startswith(get_topic(Proposal)):
                return UUID(str(found[0].originator_id))
        ids = [p.proposal.id for p in self.proposals() if p.proposal.key == ref]
        if not ids:
            raise NoSuchProposal(
                f"no proposal is recorded under key or at position {ref!r} (`accord approvals` lists them)"
            )
        if len(ids) > 1:
            raise NoSuchProposal(f"key {ref!r} names {len(ids)} proposals: give the position `accord approvals` shows")
        return ids[0]

    def proposals(self, actor: str | None = None, at: datetime | None = None) -> list[Listed]:
        """Every proposal, in the order proposed, as it stands; with `actor`,
        whether they may decide it now (or at `at`, in a replay of the record
        as it stood then: workflows.audit.replay)."""
        now = at or self.clock.now()
        listed = []
        topic = get_topic(Proposal.FactProposed)
        for notification in self.notifications(topics=[topic]):
            proposal: Proposal = self.find(notification.originator_id)
            mine, why_not = False, ""
            if actor is not None and proposal.status == "proposed":
                try:
                    standing(self._act(actor, proposal, now), proposal)
                    mine = not any(actor == by for by, _ in proposal.approved_by)
                    why_not = "" if mine else f"{actor} approved it already"
                except DomainError as refused:
                    why_not = str(refused)
            listed.append(Listed(notification.id, proposal, proposal.created_on, mine, why_not))
        return listed
