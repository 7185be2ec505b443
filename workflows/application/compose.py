"""The composition root: builds the application, and the clock, from
settings; reads the rule and policy files named. Nothing connects to a
database before `build` is called, and the application's code is imported
only then (a command that reads current views needs none of it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import pathname2url

from eventsourcing.persistence import MapperDeserialisationError

from workflows.application.clock import Clock, business_clock
from workflows.base.failures import StoreUnusable
from workflows.config.settings import Settings
from workflows.store import keycheck
from workflows.store.persistence import (
    is_postgres,
    library_settings,
    missing,
    read_only,
    require_postgres_support,
    sqlite_path,
    unreadable,
)

if TYPE_CHECKING:
    from workflows.application.service import Accord, OnStandby
    from workflows.config.policy import Policy
    from workflows.rules import RuleSet

# What the command line takes from here: the application, the one clock, the
# rule and policy files read and checked.
__all__ = [
    "Clock",
    "StoreMissing",
    "StoreReadOnly",
    "UnreadableStore",
    "build",
    "build_read_only",
    "build_standby",
    "business_clock",
    "enrol_admin",
    "for_reading",
    "for_recording",
    "initialise",
    "made",
    "named_policy",
    "named_rules",
    "rule_file",
    "rules_in_force",
]


def build(settings: Settings, *, init: bool = False, clock: Clock | None = None) -> Accord:
    """The application over the store ACCORD_DB names.

    Only `accord init` and `accord demo` (`init=True`) make a store: any other
    command, the scheduler's and the console's too, refuses one that is not
    there (StoreMissing), so that a misspelled path never records into a new,
    empty store. A SQLite file that exists gets the tables a newer Accord
    keeps; PostgreSQL gets them only from `init`, so that several processes
    starting at once never race to create them.
    """
    from workflows.application.service import Accord

    if is_postgres(settings.db):
        require_postgres_support()
    elif not init:
        _must_exist(settings.db)
    create_tables = init or not is_postgres(settings.db)
    app = Accord(
        library_settings(settings.db, create_tables=create_tables, cipher_key=settings.cipher_key),
        rules=named_rules(settings.rules),
        policy=named_policy(settings.policy),
        clock=clock or business_clock(settings),
    )
    if init:
        app.views.setup()
    try:
        if is_postgres(settings.db) and not init:
            _must_hold_a_store(app, settings)
        check_key(app, settings)
        if is_postgres(settings.db):
            app.authenticated = authenticated_user(app)
            ensure_snapshots_table(app)
            ensure_signing_tables(app)
        give_signer(app, settings)
    except Exception:
        app.close()
        raise
    return app


def build_read_only(settings: Settings, *, clock: Clock | None = None) -> Accord:
    """The application over the store ACCORD_DB names, opened so that the
    database refuses every write (workflows.store.persistence): no table
    made, no key probe kept, nothing brought up to date. For `audit verify`,
    which proves a store without changing it."""
    from workflows.application.service import Accord

    if is_postgres(settings.db):
        require_postgres_support()
    else:
        _must_exist(settings.db)
    app = Accord(
        library_settings(settings.db, create_tables=False, cipher_key=settings.cipher_key, writing=False),
        rules=named_rules(settings.rules),
        policy=named_policy(settings.policy),
        clock=clock or business_clock(settings),
    )
    try:
        check_key_read_only(app, settings)
    except Exception:
        app.close()
        raise
    return app


def build_standby(settings: Settings, *, clock: Clock | None = None) -> OnStandby:
    """The application over the hot standby ACCORD_READ_DB names, for what
    only reads (`behind()` says how far behind its primary it is). Nothing
    is written there: no table made, no key kept, no view brought up to date."""
    from workflows.application.reader import check_standby, standby_env
    from workflows.application.service import OnStandby

    address = settings.standby
    assert address is not None
    require_postgres_support()
    app = OnStandby(
        standby_env(settings),
        address=address,
        rules=named_rules(settings.rules),
        policy=named_policy(settings.policy),
        clock=clock or business_clock(settings),
    )
    try:
        check_standby(app.reader, settings)
    except Exception:
        app.close()
        raise
    return app


class StoreMissing(StoreUnusable):
    """A command names a store that does not exist. Exit 1, as any store that
    cannot be used: what was asked may be right, the store named is not there."""


class StoreReadOnly(StoreUnusable):
    """A command that records names a store that cannot be written here."""


def for_reading(settings: Settings, scratch: Callable[[], Path]) -> Settings:
    """The settings a command that only reads opens the store with. A read
    never makes a store: none where ACCORD_DB points is an error. A
    read-only SQLite store (an archived copy, a read-only filesystem) is
    read through a copy in a folder `scratch` gives, since bringing its views up to date
    writes; the copy is the store's pages as they are, chain and all."""
    if is_postgres(settings.db):
        return settings
    path = _must_exist(settings.db)
    if not read_only(settings.db):
        return settings
    copy = scratch() / path.name
    unchanging = f"file:{pathname2url(str(path.resolve()))}?immutable=1"
    with closing(sqlite3.connect(unchanging, uri=True)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return settings.model_copy(update={"db": str(copy)})


def _must_exist(db: str) -> Path:
    """The SQLite file a command names: StoreMissing if there is none."""
    path = sqlite_path(db)
    if not path.exists():
        raise StoreMissing(missing(db))
    return path


def _must_hold_a_store(app: Accord, settings: Settings) -> None:
    """A PostgreSQL database `accord init` never set up: StoreMissing, as for
    a SQLite file that is not there."""
    recorder: Any = app.recorder
    if not app.views.db.has_table(f"{recorder.datastore.schema}.{recorder.events_table_name}"):
        raise StoreMissing(missing(settings.db))


def made(settings: Settings) -> None:
    """Make the store, as `accord init` does, only where there is none
    (`accord demo`): one already there is left as it is, and may be one its
    owner set up for writers that could not set it up again."""
    try:
        build(settings).close()
    except StoreMissing:
        initialise(settings)


def for_recording(settings: Settings) -> Settings:
    """The settings a command that records opens the store with: refused in
    a sentence where it cannot be written."""
    if read_only(settings.db):
        raise StoreReadOnly(
            f"the store at {Path(settings.db).expanduser().resolve()} is read-only here (its file, its folder "
            "or its filesystem): it can be read and verified, not recorded on"
        )
    return settings


def initialise(settings: Settings, writers: Sequence[str] = ()) -> str | None:
    """Create the store's tables once (`accord init`). With writers (login
    roles, PostgreSQL only), make the database keep the log append-only to
    them; the name of their group role, if so."""
    build(settings, init=True).close()
    if not writers:
        return None
    from workflows.store.postgres import enforce_append_only

    return enforce_append_only(settings.db, writers)


def enrol_admin(settings: Settings, key_file: str, holder: str) -> str:
    """Enroll a store's first administrator's key, in a transaction the key
    signs itself (`accord init --admin-key`); its key id. Again, nothing."""
    app = build(settings.model_copy(update={"key": key_file}), init=True)
    try:
        signer = app.recorder.signing.signer  # type: ignore[attr-defined]
        if any(key.key_id == signer.key_id for key in app.signing_keys()):
            return str(signer.key_id)
        return app.enrol_key(signer.public, holder, "admin", settings.actor)
    finally:
        app.close()


def rules_in_force(settings: Settings) -> RuleSet:
    """The rules a command works by: the file ACCORD_RULES (or --rules)
    names, else the rules shipped with Accord."""
    from workflows.rules import load_rules

    return load_rules(settings.rules)


def named_rules(path: str | None) -> RuleSet | None:
    """The rules in a file named, checked now: every command refuses a bad
    file. None for the rules shipped with Accord, which the application reads
    when first needed (a command that only records needs none)."""
    return rule_file(path) if path else None


def rule_file(path: str) -> RuleSet:
    """The rules in a file, checked: RulesError names every problem with its place."""
    from workflows.rules import load_rules

    return load_rules(path)


def named_policy(path: str | None) -> Policy | None:
    """The policy in a file named, checked now; None (everyone may record
    everything) without one, and then its module is not even imported."""
    if not path:
        return None
    from workflows.config.policy import load_policy

    return load_policy(path)


def ensure_snapshots_table(app: Accord) -> None:
    """A PostgreSQL store set up before Accord kept snapshots gets their
    table on first use (checked first: the library's statements also
    replace a database function, which processes starting together must
    not race to do)."""
    if app.snapshots is None:
        return
    recorder: Any = app.snapshots.recorder
    app.views.db.create_table(f"{recorder.datastore.schema}.{app.snapshots_table}", recorder.create_table)


def ensure_signing_tables(app: Accord) -> None:
    """A PostgreSQL store set up before Accord signed its records gets the
    tables of its signatures and enrolled keys on first use (`accord init
    --writer`, run again by the store's owner, makes them append-only)."""
    from workflows.store import signatures

    schema = app.recorder.datastore.schema  # type: ignore[attr-defined]
    for table, statement in zip(
        (signatures.SIGNATURES, signatures.SIGNERS),
        signatures.create_statements(postgres=True, schema=schema),
        strict=True,
    ):
        app.views.db.create_table(f"{schema}.{table}", statement)


def give_signer(app: Accord, settings: Settings) -> None:
    """The recorder signs with the key ACCORD_KEY gives: every write of this
    process (the person's command, the follower it runs, the scheduler's
    and the console's work) goes through it."""
    if settings.key is None:
        return
    from workflows.signing.keys import load_signer

    app.recorder.signing.signer = load_signer(settings.key)  # type: ignore[attr-defined]


def authenticated_user(app: Accord) -> str | None:
    """The database user, where the store was set up so that each event's
    actor is who logged in (`accord init --writer`); None elsewhere."""
    from workflows.store.postgres import logged_in_actor

    return logged_in_actor(app.views.db)


class UnreadableStore(StoreUnusable):
    """The store's events cannot be read with the cipher key given (or without one)."""


def check_key(app: Accord, settings: Settings) -> None:
    """Refuse at once, in a sentence, a key that cannot read the store: a
    wrong key, none for an encrypted store, or one for a store written
    without one. Until the first event is recorded, the key given decides;
    the store keeps which it is (and a probe encrypted with the key), so a
    wrong key is caught even when nothing needs decoding."""
    db, cipher = app.views.db, app.mapper.cipher
    # Read before the transaction below: an in-memory store (a replay) lets no
    # reader in while a writer holds it.
    first = app.recorder.select_notifications(1, 1)
    keycheck.create(db)
    with db.transaction() as cursor:
        kept = keycheck.read(cursor)
        if kept is None or not first:
            # First use, or nothing recorded yet: the key given now decides.
            if first:
                try:
                    app.mapper.to_domain_event(first[0])
                except MapperDeserialisationError:
                    raise UnreadableStore(unreadable(settings.db, keyed=bool(settings.cipher_key))) from None
            keycheck.keep(cursor, keycheck.probe_for(cipher))
            return
    if not keycheck.probe_fits(kept, cipher):
        raise UnreadableStore(unreadable(settings.db, keyed=bool(settings.cipher_key)))


def check_key_read_only(app: Accord, settings: Settings) -> None:
    """`check_key` without keeping a probe: the store's own probe if it keeps
    one, else its first event, must be read by the key given."""
    kept = keycheck.stored(app.views.db)
    if kept is not None:
        if not keycheck.probe_fits(kept, app.mapper.cipher):
            raise UnreadableStore(unreadable(settings.db, keyed=bool(settings.cipher_key)))
        return
    if first := app.recorder.select_notifications(1, 1):
        try:
            app.mapper.to_domain_event(first[0])
        except MapperDeserialisationError:
            raise UnreadableStore(unreadable(settings.db, keyed=bool(settings.cipher_key))) from None
