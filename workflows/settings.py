"""Accord's settings, read once from the environment at the edge."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Where the events live and who is recording them.

    ACCORD_DB     a SQLite file (default accord.db in the working directory)
                  or a postgresql://user:password@host:port/database URL
    ACCORD_ACTOR  who records events (default: the login name)
    ACCORD_RULES  a workflow rule file (default: the rules shipped with Accord)
    """

    db: str = "accord.db"
    actor: str = ""
    rules: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            db=environ.get("ACCORD_DB") or cls.db,
            actor=environ.get("ACCORD_ACTOR") or login_name(),
            rules=environ.get("ACCORD_RULES") or None,
        )


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
