"""Which cipher key a store was written with: the store keeps a probe, a
short text encrypted with the key (or "" for a store written without one),
so that a wrong key is refused in a sentence, even before anything needs
decoding."""

from __future__ import annotations

import base64

from eventsourcing.persistence import Cipher

from workflows.store.database import Cursor, Database

KEYCHECK = "accord_keycheck"
PROBE = b"accord"


def probe_for(cipher: Cipher | None) -> str:
    """The probe a store written with this cipher (None: no key) keeps."""
    return base64.b64encode(cipher.encrypt(PROBE)).decode() if cipher else ""


def probe_fits(stored: str, cipher: Cipher | None) -> bool:
    """Whether a store's probe ("" for a store written without a key) is
    read by the cipher given (None: no key)."""
    if not stored or cipher is None:
        return not stored and cipher is None
    try:
        return cipher.decrypt(base64.b64decode(stored)) == PROBE
    except ValueError:
        return False


def create(db: Database) -> None:
    db.create_table(KEYCHECK, f"CREATE TABLE IF NOT EXISTS {KEYCHECK} (name TEXT PRIMARY KEY, probe TEXT NOT NULL)")


def stored(db: Database) -> str | None:
    """The probe the store keeps; None if it keeps none yet."""
    if not db.has_table(KEYCHECK):
        return None
    rows = db.query(f"SELECT probe FROM {KEYCHECK} WHERE name = 'key'")
    return str(rows[0]["probe"]) if rows else None


def read(cursor: Cursor) -> str | None:
    """The probe kept, read in a transaction (which `keep` may then change)."""
    row = cursor.execute(f"SELECT probe FROM {KEYCHECK} WHERE name = 'key'").fetchone()
    return None if row is None else str(row["probe"])


def keep(cursor: Cursor, probe: str) -> None:
    cursor.execute(
        f"INSERT INTO {KEYCHECK} (name, probe) VALUES ('key', ?) "
        "ON CONFLICT (name) DO UPDATE SET probe = excluded.probe",
        (probe,),
    )
