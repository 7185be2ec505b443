"""Proving the record: the chain re-computed from the stored records, every
projection compared with a fresh replay of the log, and every snapshot and
the index of submission keys with the log.

`verify` writes nothing to the store it checks: it is given the store
opened read-only (workflows.application.compose.build_read_only), so the database
itself refuses any write. Nothing is caught up there: each view is
compared with a replay made elsewhere up to its own position
(workflows.projections.replayed), and how far each reader is behind the
log is told, not counted against the record. Each pass is a function of
its own below, called in turn by `verify`, and fills its part of the
`Verdict`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.base import Submitted
from workflows.application.loading import snapshot_of
from workflows.application.service import Accord
from workflows.base.batches import Bar, Progress, no_bar
from workflows.base.failures import BadInput, VerificationFailed
from workflows.judge import Finding, judge
from workflows.projections.base import BATCH
from workflows.proofs.seals import SealsChecked, SealsFile, check_seals
from workflows.signing.verify import Signatures
from workflows.signing.verify import check as check_signatures
from workflows.store import chain, keys, moments
from workflows.store.snapshots import QUIETLY_RETAKEN, kept


@dataclass(frozen=True)
class Break:
    """The first position where the log and its chain disagree, and how."""

    position: int
    problem: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.problem}"


@dataclass
class Verdict:
    records: int = 0
    head: chain.Link = field(default_factory=lambda: chain.Link(0, chain.GENESIS))
    broken: Break | None = None
    sealed: str | None = None  # the problem with a sealed head, if one was given and is not in the chain
    views: dict[str, list[str]] = field(default_factory=dict)  # view -> its differences from a fresh replay
    # reader (a view, the follower) -> how the log contradicts its position
    tracking: dict[str, str] = field(default_factory=dict)
    snapshots: int = 0  # snapshots compared with the log
    bad_snapshots: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # events a reader could not carry
    # reader (a view by name, the task follower as "follower") -> positions of the log it has yet to read
    behind: dict[str, int] = field(default_factory=dict)
    not_compared: dict[str, str] = field(default_factory=dict)  # view -> why it was not compared
    keys: int = 0  # keys the index holds, compared with the log's
    bad_keys: str | None = None  # how the key index differs from the log
    unindexed: int = 0  # facts recorded before the key index existed, not indexed yet
    seconds: dict[str, float] = field(default_factory=dict)  # what each check took: chain, projections...
    signatures: Signatures = field(default_factory=Signatures)  # who signed what (workflows.signing.verify)
    seals: SealsChecked | None = None  # the log against a seals file's seals, if one was given (workflows.proofs.seals)
    judged: int = 0  # records the domain judged again (workflows.judge)
    illegal: list[Finding] = field(default_factory=list)  # records it would have refused, the first LIMIT
    unnamed: int = 0  # and how many more
    in_order_from: int | None = 1  # where the log's moments are held to go forward from (workflows.store.moments)

    @property
    def sound(self) -> bool:
        return (
            self.broken is None
            and self.sealed is None
            and not any(self.views.values())
            and not self.failures
            and not self.tracking
            and not self.bad_snapshots
            and self.bad_keys is None
            and self.signatures.sound
            and (self.seals is None or self.seals.sound)
            and not self.illegal
        )

    def as_json(self) -> dict[str, Any]:
        """The verdict as `audit verify --json` prints it."""
        broken = self.broken
        return {
            "sound": self.sound,
            "records": self.records,
            "head": {"position": self.head.position, "digest": self.head.digest},
            "broken": {"position": broken.position, "problem": broken.problem} if broken else None,
            "sealed_head": self.sealed,
            "projections": self.views,
            "failures": self.failures,
            "tracking": self.tracking,
            "behind": self.behind,
            "not_compared": self.not_compared,
            "snapshots": {"compared": self.snapshots, "problems": self.bad_snapshots},
            "keys": {"indexed": self.keys, "problem": self.bad_keys, "not_indexed_yet": self.unindexed},
            "signatures": self.signatures.as_json(),
            "seals": self.seals.as_json() if self.seals is not None else None,
            "domain": {
                "judged": self.judged,
                "illegal": [finding.as_json() for finding in self.illegal],
                "unnamed": self.unnamed,
                "moments_in_order_from": self.in_order_from,
            },
            "seconds": {check: round(seconds, 3) for check, seconds in self.seconds.items()},
        }

    def confirm(self) -> None:
        """VerificationFailed unless every check agreed (the command line
        exits 3 with it, once it has shown what disagreed)."""
        if not self.sound:
            raise VerificationFailed("the record does not verify: see the problems above")


def seal(app: Accord) -> chain.Link:
    """The chain's head as stored: publish or archive it, and `verify --head` later."""
    with app.views.db.transaction(commit=False) as cursor:
        return chain.head(cursor.raw)


# A sealed head as people give it (workflows.store.chain.positions_of).
HEAD = chain.HEAD


class AmbiguousHead(BadInput):
    """A sealed head given by too few of its digits to name one position."""


def verify(
    app: Accord, *, head: str | None = None, views: bool = True, bar: Bar = no_bar, seals: SealsFile | None = None
) -> Verdict:
    """Re-compute the chain over every stored record, check a sealed head
    is on it, and the log against every seal of a seals file, and compare
    every projection with a fresh replay, and every snapshot and the key
    index with the log; `bar` shows each step's progress. Reads only: give
    it the store opened read-only."""
    verdict = Verdict()
    sealed_at = _sealed_head(app, head, verdict)
    verdict.tracking = app.astray()
    # Facts recorded before the key index existed are not in it (nor compared).
    indexed_from = keys.indexed_from(app.views.db)
    logged = keys.Tally()
    began = time.perf_counter()
    # What the signatures pass judges: the log as the chain pass begins on it.
    through = app.views.db.head()
    with bar(through, "chain") as progress:
        _chain(app, verdict, logged if views else None, progress, indexed_from)
    if sealed_at is not None and (verdict.broken is not None and verdict.broken.position <= sealed_at):
        verdict.sealed = f"the log no longer extends the sealed head at position {sealed_at}"
    verdict.seconds["chain"] = time.perf_counter() - began
    verdict.signatures = check_signatures(app.views.db, through)
    if seals is not None:
        verdict.seals = check_seals(app.views.db, seals)
    began = time.perf_counter()
    with bar(app.head(), "judging") as progress:
        judged = judge(
            _rows(app),
            app.views.db.mapper,
            app.policy,
            _stored(app),
            progress,
            moments.held_since(app.views.db),
            app.clock.zone,
        )
    verdict.judged, verdict.illegal, verdict.unnamed = judged.records, judged.findings, judged.unnamed
    verdict.in_order_from = judged.in_order_from
    verdict.seconds["domain"] = time.perf_counter() - began
    if views and verdict.broken is None:
        began = time.perf_counter()
        check_projections(app, verdict, bar)
        verdict.seconds["projections"] = time.perf_counter() - began
        began = time.perf_counter()
        verdict.snapshots, verdict.bad_snapshots = check_snapshots(app, bar)
        verdict.seconds["snapshots"] = time.perf_counter() - began
        began = time.perf_counter()
        verdict.keys, verdict.bad_keys = check_keys(app, logged, verdict.head.position, indexed_from)
        verdict.seconds["keys"] = time.perf_counter() - began
    return verdict


def _sealed_head(app: Accord, head: str | None, verdict: Verdict) -> int | None:
    """The position of a sealed head given (None if none is given, or the
    chain does not hold it: the verdict then says so)."""
    if head is None:
        return None
    found = chain.positions_of(app.views.db, head)
    if len(found) > 1:
        raise AmbiguousHead(
            f"--head {head} begins the digests at {len(found)} or more positions: give more of its digits"
        )
    if not found:
        verdict.sealed = f"the sealed head {head} is not in the chain: the log no longer extends it"
        return None
    return found[0]


def check_projections(app: Accord, verdict: Verdict, bar: Bar = no_bar) -> None:
    """Every view compared with a fresh replay made outside the store, up to
    the view's own position; how far behind the log each view and the task
    follower are; the events a reader could not carry."""
    from workflows.application.reader import FOLLOWER
    from workflows.projections.replayed import compare

    db = app.views.db
    with bar(db.head(), "replaying") as progress:
        compared = compare(app.views, progress)
    verdict.views = compared.problems
    verdict.not_compared = compared.not_compared
    verdict.behind = dict(compared.behind)
    if (unread := db.head() - db.position(FOLLOWER)) > 0:
        verdict.behind[FOLLOWER] = unread
    verdict.failures = app.failures()


def _chain(
    app: Accord, verdict: Verdict, logged: keys.Tally | None, progress: Progress | None, indexed_from: int = 1
) -> None:
    """Walk the records and the chain side by side: the verdict's records
    and head as far as they agree, and where they first do not; the key of
    each fact from position `indexed_from` on tallied in `logged`."""
    digest = chain.GENESIS
    for position, record, linked in _merged(app):
        if record is None:
            verdict.broken = Break(position, "the record chained here is missing: deleted")
            return
        if linked is None:
            verdict.broken = Break(position, "a record the chain does not cover: inserted around Accord")
            return
        expected = chain.link(digest, chain.canonical(position, *record))
        if expected != linked:
            verdict.broken = Break(position, "the record differs from the one chained here: changed, or moved")
            return
        digest = linked
        if logged is not None and (row := _index_row(app, record)):
            if position >= indexed_from:
                logged.add(*row)
            else:
                verdict.unindexed += 1
        verdict.records += 1
        verdict.head = chain.Link(position, digest)
        if progress and verdict.records % 10_000 == 0:
            progress(10_000)


def _index_row(app: Accord, record: tuple[UUID | str, int, str, bytes]) -> tuple[bytes, bytes] | None:
    """What the key index should hold for a record: its aggregate and its
    key's digest if it is a fact, else nothing."""
    originator, version, topic, state = record
    kind, values = app.views.db.mapper.decode(topic, state, originator, version)
    if not issubclass(kind, Submitted):
        return None
    # An id as the column holds it: a UUID on PostgreSQL, 32 hex digits on SQLite.
    aggregate = originator.bytes if isinstance(originator, UUID) else bytes.fromhex(originator)
    return aggregate, app.keys.digest(values["key"])


def check_keys(app: Accord, logged: keys.Tally, through: int, indexed_from: int = 1) -> tuple[int, str | None]:
    """The key index holds the key of every fact in the log from position
    `indexed_from` (before it, facts recorded before the index existed,
    which the next submission indexes), and nothing else: a key missing
    from it could be recorded twice. Read as it stands: nothing is indexed."""
    if not app.views.db.has_table(keys.TABLE):
        return 0, None  # a store written before the index, never written since: nothing to compare
    # The records chained when the log was read: events stored since (other
    # writers') are indexed at later positions.
    indexed = keys.index_tally(app.views.db, through=through)
    if stray := keys.past_the_log(app.views.db):
        return indexed.count, f"the key index holds {stray:,} row(s) past the end of the log"
    if indexed == logged:
        return indexed.count, None
    if indexed.count != logged.count:
        return indexed.count, f"the key index holds {indexed.count:,} keys for {logged.count:,} facts"
    return indexed.count, f"the key index holds other keys than the {logged.count:,} facts record"


def check_snapshots(app: Accord, bar: Bar = no_bar) -> tuple[int, list[str]]:
    """Each stored snapshot proven against the chain, as a load proves it,
    and compared with its aggregate replayed from the log to the same
    version: submissions are decided on snapshots, so one changed in the
    database would change decisions without touching the log. One taken
    before snapshots were proven, or unsigned before the store signed, is
    compared only."""
    assert app.snapshots is not None
    if not app.views.db.has_table(app.snapshots_table):
        return 0, []  # a store set up before Accord kept snapshots, never written since
    rows = kept(app.views.db, app.snapshots_table)
    problems = []
    with bar(len(rows), "snapshots") as progress:
        for aggregate_id, version in rows:
            found = snapshot_of(app, aggregate_id, version)
            assert found is not None
            if found.wrong is not None and found.wrong not in QUIETLY_RETAKEN:
                problems.append(f"the snapshot of {aggregate_id} at version {version} {found.wrong}")
            elif _kept(found.aggregate) != _kept(app.from_log(aggregate_id, version)):
                problems.append(f"the snapshot of {aggregate_id} at version {version} differs from its events")
            if progress:
                progress(1)
    return len(rows), problems


def _kept(aggregate: Any) -> dict[str, Any]:
    """An aggregate as its snapshot keeps it: without its keys (indexed)."""
    return {name: value for name, value in vars(aggregate).items() if name != "submissions"}


def _stored(app: Accord) -> Callable[[UUID, int], Iterator[Any]]:
    """An aggregate's stored events up to a version (the judge reads one's
    history when it first judges an amendment of it)."""
    return lambda aggregate_id, version: app.events.get(aggregate_id, lte=version)


def _merged(app: Accord) -> Iterator[tuple[int, tuple[UUID | str, int, str, bytes] | None, str | None]]:
    """(position, record, chained digest) in position order, either side may be missing."""
    records = ((row[0], row[1:]) for row in _rows(app))
    links = chain.links(app.views.db, BATCH)
    record, link = next(records, None), next(links, None)
    while record is not None or link is not None:
        if link is None or (record is not None and record[0] < link[0]):
            assert record is not None
            yield record[0], record[1], None
            record = next(records, None)
        elif record is None or link[0] < record[0]:
            yield link[0], None, link[1]
            link = next(links, None)
        else:
            yield record[0], record[1], link[1]
            record, link = next(records, None), next(links, None)


def _rows(app: Accord) -> Iterator[tuple[int, UUID | str, int, str, bytes]]:
    """Every stored record as its columns hold it, in pages."""
    start = 1
    while rows := app.views.db.rows(start, BATCH):
        yield from rows
        start = rows[-1][0] + 1
