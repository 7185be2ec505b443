"""The policy in the log: who holds which role, what each role alone may
record and which facts need approval, adopted as a fact (`PolicyAdopted`)
by the first act made under it, so that an act is judged later under the
policy in force when it was made, whatever file the auditor holds.

Adoptions are numbered 1, 2... each its own aggregate, its id derived from
its number: two writers adopting at once both start adoption n + 1, and
the store keeps one. The digest is computed by the application (over a
canonical JSON of the three parts); the domain only bounds what it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from domain.base import Aggregate, Founding, Recorded
from domain.recorded import is_recorded
from domain.text import Name
from domain.values import Stamp

# The bounds of one adoption: roles, and the people of one role (a unit,
# not a directory), event types (the vocabulary holds a few dozen), and
# names held in all (so one adoption stays a few hundred kilobytes at most).
ROLES = 50
HOLDERS = 200
TYPES = 100
NAMES = 2_000


class Bounded:
    """A mapping's or a list's most entries, checked on new facts only (a
    fact read back is read as recorded)."""

    def __init__(self, most: int, what: str) -> None:
        self.most = most
        self.what = what

    def __call__(self, value: Any, info: ValidationInfo) -> Any:
        if len(value) > self.most and not is_recorded(info.context):
            raise ValueError(f"at most {self.most} {self.what}; this has {len(value):,}")
        return value


Holders = Annotated[tuple[Name, ...], AfterValidator(Bounded(HOLDERS, "people in one role"))]
Roles = Annotated[dict[Name, Holders], AfterValidator(Bounded(ROLES, "roles"))]
Permits = Annotated[
    dict[Name, Annotated[tuple[Name, ...], AfterValidator(Bounded(ROLES, "roles"))]],
    AfterValidator(Bounded(TYPES, "event types")),
]


class Terms(BaseModel):
    """One type's approval: the role, how many people, and (for amendments)
    of which facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Name = Field(min_length=1)
    approvals: int = Field(ge=1, le=9)
    of: Annotated[tuple[Name, ...], AfterValidator(Bounded(TYPES, "event types"))] | None = None


Approvals = Annotated[dict[Name, Terms], AfterValidator(Bounded(TYPES, "event types"))]


class PolicyRecord(Aggregate):
    """One adoption of a policy: the n-th the log holds."""

    NOUN = "policy adoption"
    STARTED = "recorded"

    class PolicyAdopted(Recorded, Founding):
        number: int = Field(ge=1, description="Which adoption: 1 for the first the log holds")
        digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the policy's canonical JSON")
        roles: Roles = Field(description="Each role's people")
        permit: Permits = Field(description="Event types only these roles may record")
        approval: Approvals = Field(description="Facts recorded only once approved")

        @model_validator(mode="after")
        def _few_names(self, info: ValidationInfo) -> Self:
            held = sum(len(people) for people in self.roles.values())
            if held > NAMES and not is_recorded(info.context):
                raise ValueError(f"at most {NAMES:,} people in all the roles together; this names {held:,}")
            return self

    def __init__(self, number: int, digest: str, roles: Any, permit: Any, approval: Any) -> None:
        self.number = number
        self.digest = digest
        self.roles = roles
        self.permit = permit
        self.approval = approval

    @classmethod
    def id_of(cls, number: int) -> UUID:
        return cls.id_for(str(number))

    @classmethod
    def named_by(cls, first: Any) -> str:
        return str(first.number)

    @classmethod
    def adopt(cls, number: int, digest: str, parts: Mapping[str, Any], stamp: Stamp) -> PolicyRecord:
        """The n-th adoption, of a policy whose `parts` are its roles,
        permit and approval sections (as JSON values) and `digest` theirs."""
        facts = {"number": number, "digest": digest, **parts}
        return cls.start(cls.PolicyAdopted, str(number), facts, stamp)
