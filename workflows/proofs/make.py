"""A seal and a proof made from the store.

A seal walks every record up to the chain's head, checking each link of
the chain as it goes (a log that does not verify is not sealed: the seal
would vouch for what was changed) and adding each record to the tree; it
is signed by the process's own key (ACCORD_KEY) when one is given. A
proof re-computes the tree of a seal's records and refuses to give a path
that does not lead to the seal's root: the records sealed then are not the
records stored now.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from workflows.base.failures import BadInput, VerificationFailed
from workflows.proofs.check import check
from workflows.proofs.formats import Proof, Record, Seal
from workflows.proofs.signed import sign
from workflows.store import chain, merkle

if TYPE_CHECKING:
    from workflows.application.service import Accord
    from workflows.store.database import Database

PAGE = 5_000  # records read at a time


class Unsealable(VerificationFailed):
    """The log does not verify up to its head: no seal is made of it."""


class NotProvable(BadInput):
    """A position no proof can be made of: beyond the seal, or holding no record."""


class NotAsSealed(VerificationFailed):
    """The store no longer holds the records a seal covers: no proof is given."""


# (position, originator_id, version, topic, state) as the columns hold them.
Row = tuple[int, Any, int, str, bytes]


def seal(app: Accord, moment: datetime) -> Seal:
    """The chain's head, and the root of the tree over the records up to
    it, at `moment`; signed by the process's key, if it has one."""
    sealed = _seal(app, moment)
    signer = getattr(getattr(app.recorder, "signing", None), "signer", None)
    return sign(sealed, signer) if signer is not None else sealed


def _seal(app: Accord, moment: datetime) -> Seal:
    db = app.views.db
    with db.transaction(commit=False) as cursor:
        head = chain.head(cursor.raw)
    tree = merkle.Tree()
    digest = chain.GENESIS
    for position, row, linked in _walk(db, head.position):
        if row is None:
            raise Unsealable(f"the chain breaks at position {position}: the record chained here is missing; {_NOT}")
        if linked is None:
            raise Unsealable(f"the chain breaks at position {position}: a record the chain does not cover; {_NOT}")
        record = chain.canonical(*row[:4], bytes(row[4]))
        digest = chain.link(digest, record)
        if digest != linked:
            raise Unsealable(
                f"the chain breaks at position {position}: the record differs from the one chained; {_NOT}"
            )
        tree.add(merkle.leaf_hash(record))
    return Seal(head.position, head.digest, tree.root().hex(), tree.size, moment)


_NOT = "a log that does not verify is not sealed (`accord audit verify` says more)"


def prove(app: Accord, position: int, sealed: Seal | None, moment: datetime) -> Proof:
    """The record at `position` and its audit path in the tree of a seal's
    records (of the chain's head now, when no seal is given)."""
    [proof] = prove_all(app, [position], sealed, moment)
    return proof


def prove_all(app: Accord, positions: Sequence[int], sealed: Seal | None, moment: datetime) -> list[Proof]:
    """The records at `positions`, each with its audit path in the tree of
    a seal's records: the tree is read once, whatever their number."""
    db = app.views.db
    if sealed is None:
        sealed = _seal(app, moment)
    for position in positions:
        if position > sealed.position:
            raise NotProvable(f"position {position} is beyond the seal, which ends at position {sealed.position}")
    if chain.digest_at(db, sealed.position) != sealed.digest:
        raise NotAsSealed(
            f"the chain's digest at position {sealed.position} is not the seal's: this log no longer extends "
            "the seal, or the seal is another store's"
        )
    rows = {position: _row(db, position) for position in positions}
    for position, row in rows.items():
        if row is None:
            if chain.digest_at(db, position) is not None:
                raise NotAsSealed(f"no record holds position {position}, which the chain covers: it was deleted")
            raise NotProvable(f"no record holds position {position}: the log has no record there")
    paths = _one_path(db, sealed, *rows) if len(rows) == 1 else _paths(db, sealed, rows.keys())
    proofs = []
    for position, row in rows.items():
        assert row is not None
        index, path = paths[position]
        record = _record(db, row)
        if merkle.root_from_path(index, sealed.records, record.leaf(), path).hex() != sealed.root:
            raise NotAsSealed(
                f"the records up to position {sealed.position} no longer give the seal's root: one of them has "
                "changed since it was sealed (`accord audit verify` names it); no proof is given"
            )
        proof = Proof(record, index, sealed.records, tuple(path))
        check(proof, sealed)  # what a third party will do, done first
        proofs.append(proof)
    return proofs


def _one_path(db: Database, sealed: Seal, position: int) -> dict[int, tuple[int, list[bytes]]]:
    """One record's rank and audit path, the leaves streamed past (memory: a hash a level)."""
    column = db.position_column
    [row] = db.query(
        f"SELECT COUNT(CASE WHEN {column} < ? THEN 1 END) AS before, COUNT(*) AS held "
        f"FROM {db.events_table} WHERE {column} <= ?",
        (position, sealed.position),
    )
    index, count = int(row["before"]), int(row["held"])
    _same_count(count, sealed)
    _, path = merkle.path(index, count, (_leaf(row) for row in _rows(db, sealed.position)))
    return {position: (index, path)}


def _paths(db: Database, sealed: Seal, positions: Collection[int]) -> dict[int, tuple[int, list[bytes]]]:
    """Many records' ranks and audit paths, the tree held in memory once."""
    ranks: dict[int, int] = {}
    leaves = []
    for rank, row in enumerate(_rows(db, sealed.position)):
        if row[0] in positions:
            ranks[row[0]] = rank
        leaves.append(_leaf(row))
    _same_count(len(leaves), sealed)
    tree = merkle.Levels(leaves)
    return {position: (rank, tree.path(rank)) for position, rank in ranks.items()}


def _same_count(count: int, sealed: Seal) -> None:
    if count != sealed.records:
        raise NotAsSealed(
            f"the store holds {count:,} records up to position {sealed.position}, the seal "
            f"{sealed.records:,}: records were deleted or inserted since it was sealed; no proof is given"
        )


def _leaf(row: Row) -> bytes:
    return merkle.leaf_hash(chain.canonical(*row[:4], bytes(row[4])))


def positions_of(app: Accord, keys: Mapping[str, Collection[str]]) -> dict[str, int]:
    """The position of each fact recorded under one of these submission
    keys, given by the partner whose partnership holds it."""
    from domain.partnership import Partnership

    db = app.views.db
    found: dict[str, int] = {}
    for partner, wanted in keys.items():
        with db.transaction(commit=False) as cursor:
            history = db.history(cursor, Partnership.id_for(partner), db.head())
        found |= {str(record["key"]): record.position for record in history if record.state.get("key") in wanted}
    return found


def _record(db: Database, row: Row) -> Record:
    position, originator, version, topic, state = row
    return Record(
        position=position,
        aggregate=UUID(str(originator)),
        version=version,
        topic=topic,
        stored=bytes(state),
        fact=_fact(db, bytes(state)),
    )


def _fact(db: Database, state: bytes) -> dict[str, Any] | None:
    """The fact stored bytes hold, read as stored (decrypted where the
    store's cipher encrypted it, not upcast): None if it cannot be read."""
    mapper = db.mapper
    try:
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        fact = orjson.loads(state)
    except Exception:  # any cipher's or compressor's error: the fact is then not shown
        return None
    return fact if isinstance(fact, dict) else None


def _row(db: Database, position: int) -> Row | None:
    rows = db.rows(position, 1, stop=position)
    return rows[0] if rows else None


def _rows(db: Database, through: int) -> Iterator[Row]:
    start = 1
    while start <= through and (rows := db.rows(start, PAGE, stop=through)):
        yield from rows
        start = rows[-1][0] + 1


def _walk(db: Database, through: int) -> Iterator[tuple[int, Row | None, str | None]]:
    """(position, record, chained digest) up to position `through`, in
    position order; either side may be missing at a position."""
    rows, links = _rows(db, through), _links(db, through)
    row, link = next(rows, None), next(links, None)
    while row is not None or link is not None:
        if link is None or (row is not None and row[0] < link[0]):
            assert row is not None
            yield row[0], row, None
            row = next(rows, None)
        elif row is None or link[0] < row[0]:
            yield link[0], None, link[1]
            link = next(links, None)
        else:
            yield row[0], row, link[1]
            row, link = next(rows, None), next(links, None)


def _links(db: Database, through: int) -> Iterator[tuple[int, str]]:
    for position, digest in chain.links(db, PAGE):
        if position > through:
            return
        yield position, digest
