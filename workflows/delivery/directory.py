"""Who each owner in the record is, and how to reach them. The log names
owners (`desk:TN`, `head-of-unit`) and never an address: addresses are
personal data, kept only in this file (ACCORD_DIRECTORY), which can be
corrected or emptied without touching the record.

    [people."desk:TN"]
    name = "Tunisia desk"
    email = ["amira.bensalah@example.eu", "desk-tn@example.eu"]
    webhook = "https://chat.example.eu/hooks/desk-tn"

    [people.head-of-unit]
    email = ["head.unit@example.eu"]

    [route]
    escalation = ["head-of-unit"]  # who a level-2 escalation also goes to
    portfolio = ["head-of-unit"]   # who receives the weekly portfolio report
    briefing = ["head-of-unit"]    # who receives meeting briefings
    auditors = ["head-of-unit"]    # who receives each day's signed seal of the record
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from domain.delivery import Channel
from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, read_toml


class DirectoryError(BadInput, ValueError):
    """A directory file that cannot be used; each problem is named with its place."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


def _address(text: str) -> str:
    try:
        # Syntax only: whether a domain receives mail is the mail server's to say.
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{text!r} is not an email address: {error}") from None
    return text


def _web_address(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// address")
    return text


def _listed(value: Any) -> Any:
    # One address may be written without its brackets.
    return [value] if isinstance(value, str) else value


Address = Annotated[str, AfterValidator(_address)]


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="Who this is, for people reading the directory")
    email: Annotated[list[Address], BeforeValidator(_listed)] = Field(default_factory=list)
    webhook: Annotated[str, AfterValidator(_web_address)] | None = None

    @property
    def channels(self) -> list[Channel]:
        """How this person is reached: by email, by webhook, or both; by
        email when no address is given, so that what is sent them is
        recorded, and set aside at once as undeliverable, saying why."""
        ways: list[tuple[Channel, object]] = [("email", self.email), ("webhook", self.webhook)]
        return [channel for channel, given in ways if given] or ["email"]


class Route(BaseModel):
    """Who, besides a task's owner, receives what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    escalation: list[str] = Field(default_factory=list, description="Who a level-2 escalation also goes to")
    portfolio: list[str] = Field(default_factory=list, description="Who receives the weekly portfolio report")
    briefing: list[str] = Field(default_factory=list, description="Who receives meeting briefings")
    auditors: list[str] = Field(default_factory=list, description="Who receives each day's seal of the record")


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    people: dict[str, Person]
    route: Route = Field(default_factory=Route)

    @model_validator(mode="after")
    def _routed_to_people(self) -> Self:
        problems = [
            f"route.{kind}[{index}]: {owner!r} is not one of the [people]"
            for kind, owners in self.route
            for index, owner in enumerate(owners)
            if owner not in self.people
        ]
        if problems:
            raise ValueError("\n".join(problems))  # one problem a line: load_directory names each
        return self

    def person(self, owner: str) -> Person | None:
        return self.people.get(owner)

    def unroutable(self, signed: bool) -> list[str]:
        """A sentence for each person nothing can reach: no address at all,
        or a webhook when no secret to sign it is set (`signed`)."""
        said = []
        for owner, person in self.people.items():
            if not person.email and person.webhook is None:
                said.append(f"{owner} has no email address and no webhook: nothing reaches them; give one")
            elif person.webhook is not None and not signed:
                said.append(f"{_unsigned(owner)}; set one (`accord directory new-secret`) or remove the webhook")
        return said

    def missing(self, owner: str, channel: Channel, signed: bool) -> str | None:
        """Why nothing sent to `owner` by `channel` can reach them, in a
        sentence; None when it can be sent."""
        person = self.person(owner)
        if person is None:
            return f"{owner} is not in the directory"
        if channel == "email" and not person.email:
            return f"{owner} has no email address in the directory"
        if channel == "webhook" and person.webhook is None:
            return f"{owner} has no webhook in the directory"
        if channel == "webhook" and not signed:
            return _unsigned(owner)
        return None

    def for_reminder(self, owner: str) -> list[str]:
        """Who a reminder of `owner`'s task goes to: the owner, if known."""
        return self._known([owner])

    def for_escalation(self, owner: str, level: int) -> list[str]:
        """The owner of an overdue task, and from level 2 on, the people
        escalations are routed to."""
        return self._known([owner, *(self.route.escalation if level >= 2 else [])])

    def for_dispatch(self, kind: str, recipient: str | None = None) -> list[str]:
        """Who a dispatch goes to: a digest to its recipient, the portfolio
        report, briefings and seals to the people routed to receive them."""
        match kind:
            case "digest":
                return self._known([recipient] if recipient else [])
            case "portfolio":
                return self._known(self.route.portfolio)
            case "briefing":
                return self._known(self.route.briefing)
            case "seal":
                return self._known(self.route.auditors)
        raise ValueError(f"no dispatch of kind {kind!r}; known: digest, portfolio, briefing, seal")

    def _known(self, owners: Iterable[str]) -> list[str]:
        """The owners in the directory, each once, in order: the others
        cannot be reached, which the caller counts."""
        return [owner for owner in dict.fromkeys(owners) if owner in self.people]


def _unsigned(owner: str) -> str:
    return (
        f"{owner} has a webhook, but no secret to sign it with is set (ACCORD_WEBHOOK_SECRET): "
        "webhooks are never sent unsigned"
    )


def load_directory(path: str) -> Directory:
    """The directory in a file, checked: DirectoryError names every problem."""
    try:
        data = read_toml(path)
    except NotText as error:
        raise DirectoryError(path, [str(error)]) from None
    try:
        return Directory.model_validate(data)
    except ValidationError as error:
        raise DirectoryError(path, [line for problem in error.errors() for line in _said(problem)]) from None


# What each place may hold, to name it when something else is found there.
EXPECTED = {
    1: "is not a section of a directory (people, route)",
    2: "is not a route (escalation, portfolio, briefing, auditors)",
    3: "is not said of a person (name, email, webhook)",
}


def _said(problem: Mapping[str, Any]) -> list[str]:
    """A validation problem as sentences, each naming its place as the file
    writes it: people."desk:TN".email[1]."""
    message = str(problem["msg"]).removeprefix("Value error, ")
    if not problem["loc"]:
        return message.splitlines()
    place = _place(problem["loc"])
    if len(problem["loc"]) == 1:
        place = f"[{place}]"  # a section, as the file writes it
    if problem["type"] == "missing":
        return [f"{place} is missing"]
    if problem["type"] == "extra_forbidden":
        return [f"{place} {EXPECTED[len(problem['loc'])]}"]
    return [f"{place}: {message}"]


BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _place(loc: Iterable[int | str]) -> str:
    place = ""
    for part in loc:
        if isinstance(part, int):
            place += f"[{part}]"
        else:
            key = part if BARE_KEY.fullmatch(part) else f'"{part}"'
            place += f".{key}" if place else key
    return place
