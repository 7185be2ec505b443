"""Accord's settings, read once from the environment at the edge."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Settings:
    """Where the events live and who is recording them.

    ACCORD_DB     a SQLite file (default accord.db in the working directory)
                  or a postgresql://user:password@host:port/database URL
    ACCORD_ACTOR  who records events (default: the login name)
    ACCORD_RULES  a workflow rule file (default: the rules shipped with Accord)
    ACCORD_FUNDING_TARGET  a share such as 0.15, replacing the share recorded with
                  each instrument's envelope when the funding report sets targets
    """

    db: str = "accord.db"
    actor: str = ""
    rules: str | None = None
    funding_target: Decimal | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            db=environ.get("ACCORD_DB") or cls.db,
            actor=environ.get("ACCORD_ACTOR") or login_name(),
            rules=environ.get("ACCORD_RULES") or None,
            funding_target=funding_share(environ.get("ACCORD_FUNDING_TARGET") or None),
        )


def funding_share(text: str | None) -> Decimal | None:
    """A share such as "0.10", above 0 and at most 1."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not (value.is_finite() and 0 < value <= 1):
        raise ValueError(f"ACCORD_FUNDING_TARGET must be a share above 0 and at most 1, e.g. 0.10; got {text!r}")
    return value


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
