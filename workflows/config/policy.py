"""Who may record what. A policy file (TOML) names roles, each a list of
actors, and the event types only some roles may record; types it does not
list anyone may record. Without a policy file, everyone may record
everything.

    [roles]
    finance = ["alice", "bob"]
    cabinet = ["carol"]

    [permit]
    FundingCommitted = ["finance"]
    FundingIncreased = ["finance"]
    FundingDisbursed = ["finance"]
    FundingDecommitted = ["finance"]
    TaskCancelled = ["cabinet"]

An `[approval]` section names the facts that are recorded only once someone
else approves them: each type, the role whose approval it needs, and how
many different people's approvals (one unless it says more). A correction
or retraction (FactCorrected, FactRetracted) may be limited to those of
facts of some types (`of`). Without the section nothing needs approval.

    [roles]
    head-of-unit = ["dana", "erik"]

    [approval.FundingCommitted]
    role = "head-of-unit"
    approvals = 2

    [approval.FactCorrected]
    role = "head-of-unit"
    of = ["FundingCommitted", "FundingDisbursed"]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import DomainError
from domain.policies import PolicyRecord
from domain.rates import ExchangeRates
from domain.task import FollowUpTask
from domain.vocabulary import AMENDMENTS, all_types, describe_problems
from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, read_toml

# What people record: the vocabulary, the exchange rates they import, the
# changes they make to tasks, and the adoption of a policy (domain.policies:
# `PolicyAdopted = ["admin"]` lets only admin's acts adopt another).
PEOPLE_RECORD = frozenset(
    [
        *all_types(),
        ExchangeRates.ExchangeRatesPublished.__name__,
        PolicyRecord.PolicyAdopted.__name__,
        *(
            cls.__name__
            for cls in (
                FollowUpTask.TaskAssigned,
                FollowUpTask.TaskDeferred,
                FollowUpTask.TaskCompleted,
                FollowUpTask.TaskCancelled,
            )
        ),
    ]
)


class PolicyError(BadInput, ValueError):
    """A policy file that cannot be used; each problem is named."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


class NotPermitted(DomainError):
    """The policy does not let this actor record this type of event."""


class Approval(BaseModel):
    """Who must approve a type of fact before it is recorded, and how many of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(min_length=1, description="The role whose approval it needs")
    approvals: int = Field(default=1, ge=1, le=9, description="How many different people's approvals")
    of: tuple[str, ...] | None = Field(
        default=None, description="For FactCorrected and FactRetracted: only amendments of facts of these types"
    )


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[str, list[str]] = Field(default_factory=dict, description="Each role's actors")
    permit: dict[str, list[str]] = Field(default_factory=dict, description="Event types only these roles may record")
    approval: dict[str, Approval] = Field(default_factory=dict, description="Facts recorded only once approved")
    source: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _known(self) -> Self:
        problems = [
            f"permit: {name!r} is not an event type people record; known: {', '.join(sorted(PEOPLE_RECORD))}"
            for name in self.permit
            if name not in PEOPLE_RECORD
        ]
        problems += [
            f"permit.{name}: role {role!r} is not defined under [roles]"
            for name, roles in self.permit.items()
            for role in roles
            if role not in self.roles
        ]
        problems += self._approval_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _approval_problems(self) -> list[str]:
        facts = set(all_types())
        problems = []
        for name, approval in self.approval.items():
            if name not in facts:
                problems.append(f"approval: {name!r} is not a fact people submit; known: {', '.join(sorted(facts))}")
            if approval.role not in self.roles:
                problems.append(f"approval.{name}: role {approval.role!r} is not defined under [roles]")
            if approval.of is not None and name not in AMENDMENTS:
                problems.append(f"approval.{name}: 'of' limits only {' and '.join(AMENDMENTS)}")
            problems += [
                f"approval.{name}.of: {kind!r} is not a fact people submit"
                for kind in approval.of or ()
                if kind not in facts or kind in AMENDMENTS
            ]
        return problems

    def needs_approval(self, type_name: str, amends: str | None = None) -> Approval | None:
        """The approval a fact of `type_name` needs (None: it is recorded at
        once); for an amendment, `amends` names the type of the fact it amends."""
        approval = self.approval.get(type_name)
        if approval is None or approval.of is None or amends in approval.of:
            return approval
        return None

    def parts(self) -> dict[str, Any]:
        """What the log records of the policy (domain.policies.PolicyAdopted), canonical."""
        approval = {name: terms.model_dump(mode="json") for name, terms in self.approval.items()}
        return canonical(self.roles, self.permit, approval)

    @property
    def digest(self) -> str:
        return digest_of(self.parts())

    def holders(self, role: str) -> frozenset[str]:
        """Who holds `role` in their own right."""
        return frozenset(self.roles.get(role, ()))

    def refusals(self, actor: str, type_names: Sequence[str]) -> list[tuple[int, str]]:
        """Where `actor` may not record the type at that place in `type_names`, and why."""
        refused = []
        for index, type_name in enumerate(type_names):
            try:
                self.check(actor, type_name)
            except NotPermitted as error:
                refused.append((index, str(error)))
        return refused

    def check(self, actor: str, type_name: str) -> None:
        """Raise NotPermitted, naming the rule, if `actor` may not record `type_name`."""
        allowed = self.permit.get(type_name)
        if allowed is None or any(actor in self.roles.get(role, ()) for role in allowed):
            return
        raise NotPermitted(
            f"{actor} may not record {type_name}: the policy ({self.source}) permits it to {' or '.join(allowed)} only"
        )


def canonical(
    roles: Mapping[str, Iterable[str]], permit: Mapping[str, Iterable[str]], approval: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A policy's three parts in one form whatever order its file gave:
    names sorted, each once; what its digest is computed over."""

    def names(values: Iterable[str]) -> list[str]:
        return sorted(set(values))

    def terms(given: Mapping[str, Any]) -> dict[str, Any]:
        of = given.get("of")
        return {"role": given["role"], "approvals": given["approvals"], "of": None if of is None else names(of)}

    return {
        "roles": {role: names(people) for role, people in sorted(roles.items())},
        "permit": {kind: names(allowed) for kind, allowed in sorted(permit.items())},
        "approval": {kind: terms(given) for kind, given in sorted(approval.items())},
    }


def digest_of(parts: Mapping[str, Any]) -> str:
    """SHA-256 of a policy's canonical parts, as compact JSON with sorted keys."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def recorded_policy(parts: Mapping[str, Any], source: str) -> Policy:
    """The policy a PolicyAdopted holds, as it was recorded (not checked
    again: the vocabulary may have changed since), named by `source`."""
    approval = {kind: Approval.model_construct(**terms) for kind, terms in parts["approval"].items()}
    roles = {role: list(people) for role, people in parts["roles"].items()}
    permit = {kind: list(allowed) for kind, allowed in parts["permit"].items()}
    return Policy.model_construct(roles=roles, permit=permit, approval=approval, source=source)


def load_policy(path: str | None) -> Policy | None:
    """The policy in a file, or None (everyone may record everything)."""
    if not path:
        return None
    try:
        data = read_toml(path)
    except NotText as error:
        raise PolicyError(path, [str(error)]) from None
    sections = {"roles", "permit", "approval"}
    problems = [
        f"[{key}] is not a section of a policy (roles, permit, approval)" for key in data if key not in sections
    ]
    try:
        policy = Policy.model_validate({**{k: v for k, v in data.items() if k in sections}, "source": path})
    except ValidationError as error:
        problems += describe_problems(error.errors(), name=str)
    if problems:
        raise PolicyError(path, problems)
    return policy
