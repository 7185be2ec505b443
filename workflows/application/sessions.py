"""Who is signed in to the console, kept on the server: a session is a
random token in the person's cookie and its digest in a small SQLite file
beside the users file (`users.toml.sessions`), so that signing out,
`accord users remove` and a new password end it at once, in every tab.

A session holds for HOURS after sign-in, and only while its user is still
in the users file with the password they signed in with (a digest of its
hash is kept, never the hash). Failed sign-ins are counted by name and by
address: after ALLOWED in a row, each next attempt waits twice as long as
the one before (from 2 s, at most LONGEST), said in a sentence; a success
clears the name's count.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from workflows.base.failures import StoreUnusable

HOURS = 8
ALLOWED = 5
LONGEST = 15 * 60


class TooManyAttempts(Exception):
    """Sign-in refused for now: too many failed attempts in a row."""

    def __init__(self, who: str, wait: float) -> None:
        self.wait = wait
        super().__init__(f"too many failed sign-ins for {who}: try again in {_duration(wait)}")


class Sessions:
    """The sessions and failed sign-ins of one users file."""

    def __init__(self, users_file: str | Path) -> None:
        self.path = Path(f"{users_file}.sessions")

    def _db(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            # Every page asks who is signed in while sign-ins write their
            # failures: in WAL, a read never waits for a write (SQLite makes
            # the -wal and -shm files with the file's own permissions).
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL, "
                "password TEXT NOT NULL, started REAL NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS failures (who TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL)")
            self.path.chmod(0o600)
        except (sqlite3.Error, OSError) as error:
            raise StoreUnusable(f"the console's sessions cannot be kept in {self.path}: {error}") from None
        return db

    def open(self, user: str, hashed: str, now: float | None = None) -> str:
        """A new session of `user`, signed in with the password `hashed`: its token."""
        token = secrets.token_urlsafe(32)
        now = time.time() if now is None else now
        with closing(self._db()) as db:
            db.execute("DELETE FROM sessions WHERE started < ?", (now - HOURS * 3600,))
            db.execute(
                "INSERT INTO sessions (digest, user, password, started) VALUES (?, ?, ?, ?)",
                (_digest(token), user, _digest(hashed), now),
            )
            db.execute("DELETE FROM failures WHERE who = ?", (_user(user),))
        return token

    def user_of(self, token: str | None, users: dict[str, str], now: float | None = None) -> str | None:
        """Whose session `token` is, if it still holds: not ended, not older
        than HOURS, its user still in `users` with the same password."""
        if not token or not self.path.exists():
            return None
        now = time.time() if now is None else now
        try:
            with closing(self._db()) as db:
                found = db.execute(
                    "SELECT user, password, started FROM sessions WHERE digest = ?", (_digest(token),)
                ).fetchone()
        except StoreUnusable:
            return None  # sessions that cannot be read hold no one: signing in says why
        if found is None:
            return None
        user, password, started = found
        hashed = users.get(user)
        if hashed is None or _digest(hashed) != password or now - started > HOURS * 3600:
            return None
        return str(user)

    def close(self, token: str | None) -> None:
        """End a session (signing out): every tab holding it is signed out."""
        if token and self.path.exists():
            with closing(self._db()) as db:
                db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(token),))

    def check_attempt(self, user: str, address: str, now: float | None = None) -> None:
        """Raise TooManyAttempts if the name or the address must wait before trying again."""
        now = time.time() if now is None else now
        with closing(self._db()) as db:
            for who, said in ((_user(user), user), (_address(address), f"this address ({address})")):
                found = db.execute("SELECT count, last FROM failures WHERE who = ?", (who,)).fetchone()
                if found is not None and found[0] >= ALLOWED:
                    wait = min(2.0 ** (found[0] - ALLOWED + 1), LONGEST) - (now - found[1])
                    if wait > 0:
                        raise TooManyAttempts(said, wait)

    def failed(self, user: str, address: str, now: float | None = None) -> None:
        """Count a failed sign-in against the name and the address."""
        now = time.time() if now is None else now
        with closing(self._db()) as db:
            for who in (_user(user), _address(address)):
                db.execute(
                    "INSERT INTO failures (who, count, last) VALUES (?, 1, ?) "
                    "ON CONFLICT (who) DO UPDATE SET count = count + 1, last = excluded.last",
                    (who, now),
                )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _user(name: str) -> str:
    # Bounded: a name is counted however long the one given.
    return "user:" + _digest(name.casefold())


def _address(address: str) -> str:
    return "address:" + address


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    return f"{whole} second{'s' * (whole != 1)}" if whole < 90 else f"{round(whole / 60)} minutes"
