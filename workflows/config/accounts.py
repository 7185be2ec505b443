"""Who may sign in to the web console: a TOML file (ACCORD_USERS) of names
and argon2 hashes of their passwords, written by `accord users add` and
`accord users remove`, never by hand. A name signed in is the actor its
changes are recorded under; what it may change, the policy's roles say.

    # Who may sign in to `accord serve` (accord users add/remove).
    [users]
    alice = "$argon2id$v=19$m=65536,t=3,p=4$..."
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, read_toml

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
HEADER = "# Who may sign in to `accord serve`: names and argon2 hashes (accord users add/remove).\n"
# The shortest password accepted.
SHORTEST = 10
_HASHER = PasswordHasher()


class AccountsError(BadInput, ValueError):
    """A users file, a name or a password that cannot be used; the message says why."""


def load(path: str | Path) -> dict[str, str]:
    """Each user's name and password hash; no file yet: nobody."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = read_toml(path)
    except NotText as error:
        raise AccountsError(f"{path}: {error}") from None
    users = data.get("users", {})
    unknown = sorted(set(data) - {"users"})
    if unknown or not isinstance(users, dict):
        raise AccountsError(f"{path}: holds a [users] table of names and hashes, and nothing else")
    for name, hashed in users.items():
        if not (NAME.fullmatch(name) and isinstance(hashed, str) and hashed.startswith("$argon2")):
            raise AccountsError(f"{path}: users.{name} is not a name with an argon2 hash: `accord users add` sets one")
    return dict(users)


def add(path: str | Path, name: str, password: str) -> bool:
    """Set a user's password (adding the user); whether the user is new."""
    if not NAME.fullmatch(name):
        raise AccountsError(f"{name!r} is not a user name: letters, digits and . _ @ -, at most 64")
    if len(password) < SHORTEST:
        raise AccountsError(f"a password needs at least {SHORTEST} characters")
    users = load(path)
    new = name not in users
    users[name] = _HASHER.hash(password)
    _write(Path(path), users)
    return new


def remove(path: str | Path, name: str) -> None:
    users = load(path)
    if name not in users:
        raise AccountsError(f"{name!r} is not a user of {path}")
    del users[name]
    _write(Path(path), users)


def check(users: dict[str, str], name: str, password: str) -> bool:
    """Whether the password is the user's (in about the same time whether or not the user exists)."""
    hashed = users.get(name)
    try:
        return _HASHER.verify(hashed or _UNKNOWN, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the name is unknown, so that the answer takes as long.
_UNKNOWN = _HASHER.hash("no one has this password")


def _write(path: Path, users: dict[str, str]) -> None:
    """The whole file, to a temporary name and then renamed: readable by its owner only."""
    lines = [HEADER, "[users]\n", *(f'"{name}" = "{hashed}"\n' for name, hashed in sorted(users.items()))]
    folder = path.parent if str(path.parent) else Path(".")
    handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(lines)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
