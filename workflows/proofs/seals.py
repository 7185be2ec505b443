"""A seals file: one seal a line (JSON lines), appended and never rewritten,
by `accord audit seal --append FILE` and by the scheduler; and `audit
verify --seals FILE`'s pass, which checks the log against every seal in it.

For each seal: its signature (and, on a store that enrolls keys, that its
key was enrolled in the log and in force at the seal's position), that the
chain holds the seal's digest at its position, and that the Merkle root
over the records up to it, and their number, are the seal's. One pass over
the records serves every seal. A line that is not a seal is named too: the
file is read as hostile input, as a seal file is.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.base.textfile import NotText, read_bounded
from workflows.proofs.formats import SEAL_BYTES, Malformed, Seal, loads, parse_seal
from workflows.proofs.signed import signature_problem
from workflows.signing.roster import Key, keys_in_log
from workflows.store import chain, merkle

# The most a seals file may hold: a signed seal's line is about 500 bytes,
# so some 60,000 of them (a seal a day for over a century, or hourly for years).
SEALS_BYTES = 32 * 1024 * 1024
# Problems named one by one at most; the rest are counted.
NAMED = 100
PAGE = 5_000
# What a new line's append looks back over for itself already written.
TAIL = 64 * 1024


class SealsUnreadable(Malformed):
    """A seals file that cannot be read at all: missing, unreadable, or too large."""


@dataclass(frozen=True)
class Line:
    """One line of a seals file: its number, and its seal or what is wrong with it."""

    number: int
    seal: Seal | None
    wrong: str | None = None


@dataclass(frozen=True)
class SealsFile:
    path: str
    lines: tuple[Line, ...]


def line_of(seal: Seal) -> str:
    """A seal as a seals file holds it: its JSON on one line."""
    return json.dumps(seal.as_json(), separators=(", ", ": ")) + "\n"


def append(path: Path, seal: Seal) -> bool:
    """Append the seal's line to the file (made if missing) and make it
    durable; False, writing nothing, when the file's last lines already
    hold it (a crash after the append and before it was marked done)."""
    line = line_of(seal).encode()
    with path.open("a+b") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - TAIL))
        tail = file.read()
        if line in tail.splitlines(keepends=True) or (tail.endswith(line.rstrip(b"\n"))):
            return False
        # A line left torn by a crash mid-write is ended, not continued.
        file.write((b"\n" if tail and not tail.endswith(b"\n") else b"") + line)
        file.flush()
        os.fsync(file.fileno())
    return True


def read_seals(path: str) -> SealsFile:
    """Every line of a seals file, each a seal or what is wrong with it
    (blank lines skipped); SealsUnreadable if the file cannot be read."""
    try:
        data = read_bounded(path, SEALS_BYTES)
    except NotText as error:
        split = ": split it" if str(error).startswith("is larger") else ""
        raise SealsUnreadable(f"the seals file {path} {error}{split}") from None
    lines = []
    for number, text in enumerate(data.split(b"\n"), start=1):
        if not text.strip():
            continue
        named = f"line {number}"
        if len(text) > SEAL_BYTES:
            lines.append(Line(number, None, f"{named} is longer than {SEAL_BYTES // 1024} KB, more than any seal"))
            continue
        try:
            lines.append(Line(number, parse_seal(loads(text, named), named)))
        except Malformed as error:
            lines.append(Line(number, None, f"{error} (not a seal)"))
    return SealsFile(path, tuple(lines))


@dataclass
class SealsChecked:
    """What the pass found."""

    file: str
    seals: int = 0  # seals checked
    signed: int = 0  # of which signed, their signatures holding
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sound(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "seals": self.seals,
            "signed": self.signed,
            "problems": self.problems,
            "seconds": round(self.seconds, 3),
        }


def check_seals(db: Any, seals: SealsFile) -> SealsChecked:
    """The log checked against every seal of the file."""
    began = time.perf_counter()
    found = SealsChecked(seals.path)
    sealed = [line for line in seals.lines if line.seal is not None]
    keys = keys_in_log(db)
    trees = _trees(db, {line.seal.position for line in sealed if line.seal is not None})
    digests = _digests(db, sorted({line.seal.position for line in sealed if line.seal is not None}))
    problems: list[str] = []
    for line in seals.lines:
        if line.seal is None:
            problems.append(str(line.wrong))
            continue
        seal = line.seal
        found.seals += 1
        signature = (signature_problem(seal) or _key_problem(seal, keys)) if seal.signed else _unsigned(seal, keys)
        if seal.signed and signature is None:
            found.signed += 1
        wrong = ([signature] if signature else []) + _against_log(seal, trees, digests)
        problems += [f"line {line.number} (position {seal.position}): {problem}" for problem in wrong]
    found.problems = problems[:NAMED]
    if len(problems) > NAMED:
        found.problems.append(f"and {len(problems) - NAMED:,} more problems with seals")
    found.seconds = time.perf_counter() - began
    return found


def _against_log(seal: Seal, trees: dict[int, tuple[int, str]], digests: dict[int, str]) -> list[str]:
    """What the log says against one seal: nothing if it still holds what was sealed."""
    wrong = []
    # A seal of an empty log states the chain's genesis, which no row holds.
    digest = digests.get(seal.position, chain.GENESIS if seal.position == 0 else None)
    if digest is None:
        wrong.append("the chain holds no digest at its position: the log no longer reaches it")
    elif digest != seal.digest:
        wrong.append(
            f"the chain's digest there is {digest}, not the seal's {seal.digest}: the log no longer extends it "
            "(a record up to it was changed and the chain computed again)"
        )
    records, root = trees[seal.position]
    if records != seal.records:
        wrong.append(
            f"the store holds {records:,} records up to its position, the seal {seal.records:,}: "
            "records were removed or inserted since it was sealed"
        )
    elif root != seal.root:
        wrong.append(
            f"the Merkle root over the records up to it is {root}, not the seal's {seal.root}: "
            "a record up to it changed since it was sealed"
        )
    return wrong


def _unsigned(seal: Seal, keys: dict[str, Key]) -> str | None:
    """An unsigned seal of a head the store signed: anyone could have written it."""
    first = min((key.enrolled_at for key in keys.values()), default=None)
    if first is None or seal.position < first:
        return None
    return f"it is unsigned, yet the store signed its records by then (from position {first}): anyone could write it"


def _key_problem(seal: Seal, keys: dict[str, Key]) -> str | None:
    """Where the store enrolls keys, a seal's key must be one of them, in
    force at the seal's position: enrolled by then, not revoked by then."""
    if not keys:
        return None
    key = keys.get(seal.key or "")
    if key is None:
        return f"its key {seal.key} is not one the log enrolls"
    if key.public.hex() != seal.public_key:
        return f"its public key is not the one the log enrolls as key {key.key_id}"
    if key.enrolled_at > seal.position:
        return f"its key {key.key_id} was enrolled at position {key.enrolled_at}, after the head it seals"
    if key.revoked_at is not None and key.revoked_at <= seal.position:
        return f"its key {key.key_id} was revoked at position {key.revoked_at}, before the head it seals"
    return None


def _trees(db: Any, positions: set[int]) -> dict[int, tuple[int, str]]:
    """For each position, how many records the store holds up to it and
    the Merkle root over them, in one pass over the records."""
    wanted = iter(sorted(positions))
    at = next(wanted, None)
    tree = merkle.Tree()
    trees: dict[int, tuple[int, str]] = {}
    for position, leaf in _leaves(db, max(positions, default=0)):
        while at is not None and at < position:
            trees[at] = (tree.size, tree.root().hex())
            at = next(wanted, None)
        tree.add(leaf)
    while at is not None:
        trees[at] = (tree.size, tree.root().hex())
        at = next(wanted, None)
    return trees


def _leaves(db: Any, through: int) -> Iterator[tuple[int, bytes]]:
    start = 1
    while start <= through and (rows := db.rows(start, PAGE, stop=through)):
        for row in rows:
            position, originator, version, topic, state = row
            yield position, merkle.leaf_hash(chain.canonical(position, originator, version, topic, bytes(state)))
        start = rows[-1][0] + 1


def _digests(db: Any, positions: list[int]) -> dict[int, str]:
    rows = db.query_in(f"SELECT position, digest FROM {chain.TABLE} WHERE position IN ({{marks}})", positions)
    return {int(row["position"]): str(row["digest"]) for row in rows}
