"""How events are stored: a pydantic-aware mapper, and the one `ACCORD_DB`
setting turned into the eventsourcing library's persistence settings."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.request import pathname2url

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import InfrastructureFactory, Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from domain.recorded import RECORDED
from workflows.base.failures import BadInput, StoreUnusable
from workflows.store.address import SCHEMES, Address, AddressError, parse

if TYPE_CHECKING:
    from pydantic import BaseModel

# The log is read in pages of this many notifications (never all at once).
PAGE = 1000

# The application's name: the library names a PostgreSQL store's tables
# after it (accord_events, accord_tracking).
APPLICATION = "Accord"

# Fields the stored record keeps in its own columns, not in the state.
_POSITION = {"originator_id", "originator_version"}


class PydanticMapper(Mapper[Any]):
    """Stores pydantic events as compact JSON, exactly: dates, Decimal and
    nested models come back as they went in. Compression, encryption and
    upcasting (`class_version`, `upcast_vN_vN+1`) work as in the library."""

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        event = cast("BaseModel", domain_event)
        class_version = _class_version(type(event))
        if class_version > 1:
            state = event.model_dump(mode="json", exclude=_POSITION)
            state["class_version"] = class_version
            stored = orjson.dumps(state)
        else:
            # pydantic's own JSON: the same bytes, without a dict in between.
            stored = event.model_dump_json(exclude=_POSITION).encode()
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(event)),
            state=stored,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls, state = self.to_state(stored_event)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        try:
            return cast(DomainEventProtocol[Any], cls.model_validate(state, context=RECORDED))
        except ValueError as error:  # pydantic's ValidationError, imported only when needed
            raise UnreadableEvent(stored_event, cls, error) from None

    def to_state(self, stored_event: StoredEvent) -> tuple[type[Any], dict[str, Any]]:
        """The event's class and its state as stored (JSON values), upcast to
        the class's current version but not validated: what a reader that
        trusts the log (a projection) needs, at a fraction of the cost."""
        return self.decode(
            stored_event.topic, stored_event.state, stored_event.originator_id, stored_event.originator_version
        )

    def plain_state(self, stored: bytes) -> dict[str, Any]:
        """A stored event's state as JSON values, deciphered and
        decompressed: neither its class nor its version asked."""
        if self.cipher:
            stored = self.cipher.decrypt(stored)
        if self.compressor:
            stored = self.compressor.decompress(stored)
        state: dict[str, Any] = orjson.loads(stored)
        return state

    def decode(self, topic: str, stored: bytes, originator_id: Any, version: int) -> tuple[type[Any], dict[str, Any]]:
        """`to_state` of a stored event's columns."""
        cls, current = _class_of(topic)
        try:
            state = self.plain_state(stored)
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot read the stored event {originator_id} v{version} ({topic}): {error}"
            ) from error
        if current > 1 or "class_version" in state:
            version = state.pop("class_version", 1)
            while version < current:
                getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
                version += 1
        return cls, state


def mapper_for(factory: InfrastructureFactory[Any]) -> PydanticMapper:
    """The mapper for a store, with the cipher and compressor its settings name."""
    return PydanticMapper(transcoder=factory.transcoder(), cipher=factory.cipher(), compressor=factory.compressor())


@cache
def _class_of(topic: str) -> tuple[type[Any], int]:
    """A stored topic's class and that class's current version, remembered."""
    cls = resolve_topic(topic)
    return cls, _class_version(cls)


@cache
def _class_version(cls: type[Any]) -> int:
    # Remembered: a missing attribute costs a pydantic model class a slow lookup.
    return int(getattr(cls, "class_version", 1))


class UnreadableEvent(StoreUnusable):
    """A stored event its class, as it now stands, does not take: stored by
    an earlier version in a shape no upcaster turns into today's, or written
    around Accord. The readers that stream the log (exports, simulations,
    replays) leave it out and say so; an aggregate that holds it cannot be
    decided on, and says which event stops it."""

    def __init__(self, stored: StoredEvent, cls: type[Any], error: ValueError) -> None:
        from pydantic import ValidationError

        from domain.vocabulary import describe

        self.cls = cls
        self.reason = "; ".join(describe(error)) if isinstance(error, ValidationError) else str(error)
        super().__init__(
            f"the stored {cls.__name__} of {stored.originator_id} (version {stored.originator_version}) cannot be "
            f"read as its class now stands: {self.reason}"
        )


class StoreAddressError(BadInput, ValueError):
    """An ACCORD_DB value that names no store Accord can use."""


def describe_store(db: str) -> str:
    """The store's address fit to show a person (no password)."""
    if is_postgres(db):
        try:
            return parse(db).shown()
        except AddressError:
            # Not readable as a URL: its scheme alone, so no password shows.
            return "postgresql://..."
    return str(Path(db).expanduser().resolve())


def library_settings(
    db: str, *, create_tables: bool, cipher_key: str | None = None, writing: bool = True
) -> dict[str, str]:
    """The eventsourcing settings for an ACCORD_DB value: a SQLite file path,
    or a postgresql:// URL (user, password, host and port or several
    host:port pairs, database, and ?schema=NAME if not the default,
    ?target_session_attrs=... which of several hosts to keep); with a cipher key, payloads are
    compressed and encrypted (the library's AES-GCM cipher). Not `writing`,
    the database itself refuses every write: a SQLite file opened read-only,
    PostgreSQL sessions whose transactions are read-only (`audit verify`)."""
    encryption = (
        {
            "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
            "CIPHER_KEY": cipher_key,
            "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        }
        if cipher_key
        else {}
    )
    if not writing:
        return {**_store_settings(db, create_tables=False, writing=False), **encryption}
    return {**_store_settings(db, create_tables=create_tables), **encryption}


def _store_settings(db: str, *, create_tables: bool, writing: bool = True) -> dict[str, str]:
    if db.startswith(("postgresql://", "postgres://")):
        settings = _postgres_settings(db, create_tables=create_tables)
        return settings if writing else {**settings, READ_ONLY: "y"}
    path = sqlite_path(db)
    # A store that cannot be written here is opened as unchanging: SQLite
    # then takes no lock and makes no journal beside it (it could not).
    name = f"file:{pathname2url(str(path.resolve()))}?immutable=1" if read_only(db) else str(path)
    if not writing and not read_only(db):
        # Read-only: SQLite refuses every write on the connection, and takes
        # the readers' locks, so writers may go on beside it.
        name = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
    return {
        # The library's SQLite persistence, its connections made as Accord wants them.
        "PERSISTENCE_MODULE": "workflows.store.sqlite:SQLiteFactory",
        "SQLITE_DBNAME": name,
        "SQLITE_LOCK_TIMEOUT": "30",
        # The library's recorder, writing the tamper-evident chain beside each insert.
        "PROCESS_RECORDER_TOPIC": "workflows.store.sqlite:ChainedSQLiteProcessRecorder",
        "CREATE_TABLE": "y" if create_tables else "n",
    }


def sqlite_path(db: str) -> Path:
    """The file an ACCORD_DB value that is not a postgresql:// URL names."""
    if "://" in db:
        raise StoreAddressError(f"ACCORD_DB {db!r} is neither a file path nor a postgresql:// URL")
    path = Path(db).expanduser()
    if path.is_dir():
        raise StoreAddressError(f"ACCORD_DB {db!r} is a folder; name a file such as accord.db")
    return path


def read_only(db: str) -> bool:
    """Whether a SQLite store exists and cannot be written here: a file on a
    read-only filesystem (an archive, a mounted snapshot), or one this user
    may not write, or whose folder it may not write (where SQLite keeps its
    journal). A PostgreSQL server says so itself."""
    if is_postgres(db):
        return False
    path = sqlite_path(db)
    if not path.is_file():
        return False
    if os.statvfs(path).f_flag & os.ST_RDONLY:
        return True
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def postgres_address(db: str) -> Address:
    """The PostgreSQL store an ACCORD_DB URL names (one host, or several)."""
    try:
        address = parse(db)
    except AddressError as error:
        raise StoreAddressError(f"ACCORD_DB {describe_store(db)!r}: {error}") from None
    if not address.database:
        raise StoreAddressError(f"ACCORD_DB {describe_store(db)!r} names no database (postgresql://user@host/NAME)")
    return address


def _postgres_settings(db: str, *, create_tables: bool) -> dict[str, str]:
    address = postgres_address(db)
    settings = {
        # The library's, with libpq told which of several servers to keep.
        "PERSISTENCE_MODULE": "workflows.store.postgres:PostgresFactory",
        "POSTGRES_DBNAME": address.database,
        # libpq's multi-host form: "a,b" and "5432,5433".
        "POSTGRES_HOST": address.host,
        "POSTGRES_PORT": address.port,
        "POSTGRES_USER": address.user,
        "POSTGRES_PASSWORD": address.password,
        "POSTGRES_CONNECT_TIMEOUT": address.query.get("connect_timeout", "5"),
        # No POSTGRES_PRE_PING: after a server restart each pooled connection
        # fails once, at once, and is replaced (the library retries reads,
        # Accord.store_decided writes), whereas the pool's check pauses 1 s,
        # then 2 s... per broken connection and can time out instead.
        # Large batches hang on the default insert path (see LIBRARY-NOTES);
        # the database function path does not, and is faster.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
        # ...whose insert path the library leaves without tracking or table lock;
        # ours keeps both, and writes the tamper-evident chain.
        "PROCESS_RECORDER_TOPIC": "workflows.store.postgres:TrackingPostgresProcessRecorder",
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    if address.target_session_attrs:
        settings[TARGET_SESSION_ATTRS] = address.target_session_attrs
    if "schema" in address.query:
        settings["POSTGRES_SCHEMA"] = address.query["schema"]
    return settings


# Not one of the library's settings: Accord's factory hands it to libpq.
TARGET_SESSION_ATTRS = "POSTGRES_TARGET_SESSION_ATTRS"
# Nor this: every session Accord's factory opens is made read-only.
READ_ONLY = "POSTGRES_READ_ONLY"


def missing(db: str) -> str:
    """That there is no store where ACCORD_DB points, in one sentence: a SQLite
    file that does not exist, a PostgreSQL database without Accord's tables.
    Only `accord init` and `accord demo` make one; any other command, a
    misspelled path included, would otherwise record into an empty store."""
    return (
        f"there is no store at {describe_store(db)}: `accord init` makes one, `accord demo` one holding the "
        "demo's facts (or set ACCORD_DB to the store you mean)"
    )


def unreadable(db: str, *, keyed: bool) -> str:
    """Why the store's events cannot be read, in one sentence (`keyed`: a
    cipher key was given)."""
    store = describe_store(db)
    if keyed:
        return (
            f"cannot read the events of the store at {store}: ACCORD_CIPHER_KEY is not the key they were "
            "written with, or they were written without one"
        )
    return (
        f"cannot read the events of the store at {store}: they are encrypted; "
        "set the ACCORD_CIPHER_KEY they were written with"
    )


def is_postgres(db: str) -> bool:
    return db.startswith(SCHEMES)


class MissingSupport(StoreUnusable):
    """A store named whose driver is not installed."""


def require_postgres_support() -> None:
    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise MissingSupport("PostgreSQL support is not installed: pip install 'accord[postgres]'") from None
