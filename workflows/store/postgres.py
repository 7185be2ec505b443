"""PostgreSQL storage: the library's process recorder, made to keep its
promise of atomic tracking on a fast insert path.

With POSTGRES_ENABLE_DB_FUNCTIONS (which Accord sets: large batches hang on
the default path), eventsourcing 9.5.6's `insert_events` calls its insert
function and silently drops the `tracking` argument, so a follower's position
would never be recorded, and takes no table lock, so concurrent writers could
commit positions out of order. Here the lock, tracking, the events (one
statement, an array a column, as the library's function inserts them) and
the tamper-evident chain (workflows.store.chain), the index of submission keys
(workflows.store.keys), the signature (workflows.store.signatures) and the
check of the moments' order (workflows.store.moments) go in one transaction. Imported
only when the store is PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing import postgres as library
from eventsourcing.persistence import AggregateRecorder, IntegrityError, ProcessRecorder, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import Environment, EnvType
from psycopg.sql import SQL, Identifier

from workflows.store import chain, keys, moments, signatures
from workflows.store.database import Database
from workflows.store.persistence import READ_ONLY, TARGET_SESSION_ATTRS, library_settings, postgres_address
from workflows.store.pooler import refuse_transaction_pooling
from workflows.store.retry import address
from workflows.store.trial import end_of

CHAIN_TABLE = chain.TABLE
# The log's statistics are first taken when it reaches this many events.
ANALYZE_FROM = 10_000
# The most rows one INSERT of events writes (a batch writes several, in one transaction).
INSERT_ROWS = 5000


class PostgresFactory(library.PostgresFactory):
    """The library's, which hands libpq the hosts and ports as given (a
    list, for a primary and its standbys) but has no setting for which of
    them to keep: with several, a writer must keep the one that takes
    writes, and find the new one after a failover."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        attrs = self.env.get(TARGET_SESSION_ATTRS)
        kwargs = self.datastore.pool.kwargs
        if attrs and isinstance(kwargs, dict):
            # The pool is not open yet: every connection it makes gets this.
            kwargs["target_session_attrs"] = attrs
        if self.env.get(READ_ONLY) == "y":
            _read_only(self.datastore.pool)
        try:
            refuse_transaction_pooling(self._conninfo(), address(self.env))
        except BaseException:
            self.datastore.close()
            raise

    def process_recorder(self) -> ProcessRecorder:
        """The library's, its datastore closed if it cannot be made (its
        first connection fails where the server is out of reach): the
        factory is then never returned to anyone who would close it, and its
        pool, collected later on one of its own threads, cannot close."""
        try:
            return super().process_recorder()
        except BaseException:
            self.datastore.close()
            raise

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            return super().aggregate_recorder(purpose)
        prefix = self.env.name.lower() or "stored"
        recorder = SnapshotRecorder(
            datastore=self.datastore, events_table_name=f"{prefix}_{purpose}", log_table_name=f"{prefix}_events"
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def _conninfo(self) -> str:
        """Where the pool connects, for a connection of our own."""
        from psycopg.conninfo import make_conninfo

        given = {
            "dbname": self.env.get(self.POSTGRES_DBNAME),
            "host": self.env.get(self.POSTGRES_HOST),
            "port": self.env.get(self.POSTGRES_PORT),
            "user": self.env.get(self.POSTGRES_USER),
            "password": self.env.get(self.POSTGRES_PASSWORD),
            "connect_timeout": self.env.get(self.POSTGRES_CONNECT_TIMEOUT),
            "target_session_attrs": self.env.get(TARGET_SESSION_ATTRS),
        }
        return make_conninfo("", **{key: value for key, value in given.items() if value})


def _read_only(pool: Any) -> None:
    """Make every session the pool opens read-only: the server then refuses
    every write, CREATE TEMP TABLE included. Set once a connection is made,
    after the library's own settings, not as libpq's `options` at start-up,
    which PgBouncer refuses to pass on."""
    configure = pool._configure

    def read_only(conn: Any) -> None:
        if configure is not None:
            configure(conn)
        # The library's configure leaves the connection in autocommit: this SET outlives it.
        conn.execute("SET default_transaction_read_only = on")

    pool._configure = read_only


class SnapshotRecorder(library.PostgresAggregateRecorder):
    """The library's snapshot store, which keeps a snapshot only of a
    version the log holds. After a failover to an asynchronous standby, a
    writer whose events went with the lost primary could otherwise store
    their snapshot on the new one (the library retries a snapshot's insert
    until it connects), and every load would start from facts the log does
    not have, and every decision after it be refused as following none."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str, log_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.held = SQL(
            "SELECT n.id FROM unnest(%b::{id_type}[], %b::bigint[]) AS n(id, version) "
            "WHERE EXISTS (SELECT 1 FROM {schema}.{table} e "
            "WHERE e.originator_id = n.id AND e.originator_version = n.version)"
        ).format(
            schema=Identifier(datastore.schema),
            table=Identifier(log_table_name),
            id_type=Identifier(datastore.originator_id_type),
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            ids = [event.originator_id for event in stored_events]
            cursor.execute(self.held, [ids, [event.originator_version for event in stored_events]], prepare=False)
            held = {row["id"] for row in cursor.fetchall()}
            # Snapshots of versions the log lacks are left out: taken again as facts arrive.
            kept = [event for event in stored_events if event.originator_id in held]
            if kept:
                self._insert_stored_events(cursor, kept)
        return None


class TrackingPostgresProcessRecorder(PostgresProcessRecorder):
    # Which database this is, for workflows.store.database.
    postgres = True

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        self.chain_table = f"{schema}.{chain.TABLE}"
        events = f"{schema}.{self.events_table_name}"
        self.analyze_target = events
        self.chainer = chain.Chainer(self.chain_table, events, "notification_id", placeholder="%s")
        self.sql_create_statements.append(SQL(chain.create_statement(postgres=True, schema=schema)).format())
        self.sql_create_statements.append(SQL(keys.create_statement(postgres=True, schema=schema)).format())
        self.sql_create_statements.append(SQL(moments.create_statement(postgres=True, schema=schema)).format())
        self.moments = moments.Moments(events, "notification_id", f"{schema}.{moments.TABLE}", placeholder="%s")
        self.key_writer = keys.KeyWriter(f"{schema}.{keys.TABLE}", postgres=True)
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in signatures.create_statements(postgres=True, schema=schema)
        )
        # Its signer is set by the composition root (workflows.application.compose).
        self.signing = signatures.Signing(
            f"{schema}.{signatures.SIGNATURES}", f"{schema}.{signatures.SIGNERS}", placeholder="%s"
        )
        # The library's insert function takes an array of a composite type,
        # which psycopg writes as escaped text field by field: two fifths of
        # a large submission. One array a column, in binary, costs a fraction.
        self.insert_columns = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(
            schema=Identifier(schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        # An aggregate's first new event must follow one stored: see _check_follows.
        self.find_gap = SQL(
            "SELECT n.id FROM unnest(%b::{id_type}[], %b::bigint[]) AS n(id, version) "
            "WHERE NOT EXISTS (SELECT 1 FROM {schema}.{table} e "
            "WHERE e.originator_id = n.id AND e.originator_version = n.version - 1) LIMIT 1"
        ).format(
            schema=Identifier(schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        self.notify = SQL("NOTIFY {channel}").format(channel=Identifier(self.channel_name))
        self.analyze = [SQL("ANALYZE {}").format(SQL(table)) for table in (events, self.chain_table)]
        # How many events the log's statistics were taken on (None: not asked yet).
        self.analyzed: float | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = self._insert(
            stored_events,
            kwargs.get("tracking"),
            kwargs.get("keys"),
            kwargs.get("read"),
            kwargs.get("signing"),
            kwargs.get("moments"),
            trial=bool(kwargs.get("trial")),
        )
        if ids:
            self._keep_statistics(ids[-1])
        return ids

    def _keep_statistics(self, head: int) -> None:
        """Take the statistics of the log and its chain again whenever the log
        has doubled since they were taken. PostgreSQL plans a read of the log
        from them; autovacuum keeps them, when it runs, but where it is off or
        has not run since a large load, reading the log a page at a time sorts
        the whole log on disk for every page: a rebuild of 300,000 events ran
        at half the speed. Only the tables' owner may: PostgreSQL skips it,
        with a notice, for writers who record as roles of their own."""
        if self.analyzed is None:
            with self.datastore.get_connection() as conn:
                row = conn.execute(
                    "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (self.analyze_target,)
                ).fetchone()
            self.analyzed = max(0.0, float(row["reltuples"])) if row else 0.0
        if head < max(ANALYZE_FROM, 2 * self.analyzed):
            return
        with self.datastore.get_connection() as conn, conn.transaction():
            for statement in self.analyze:
                conn.execute(statement)
        self.analyzed = head

    def _insert(
        self,
        stored_events: Sequence[StoredEvent],
        tracking: Tracking | None,
        key_rows: Sequence[keys.Row | None] | None,
        read: chain.Read | None,
        changes: Sequence[signatures.Change | None] | None = None,
        stamped: moments.Stamped | None = None,
        *,
        trial: bool = False,
    ) -> list[int]:
        if not self.datastore.enable_db_functions:
            raise RuntimeError("Accord's PostgreSQL recorder needs POSTGRES_ENABLE_DB_FUNCTIONS")
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if stored_events:
                # The library's function path skips the table lock its other
                # path takes: without it, concurrent writers could commit
                # positions out of order and a reader following the log skip
                # one for ever. The lock also keeps the chain in order.
                for statement in self.lock_table_statements:
                    cursor.execute(statement, prepare=False)
            if read is not None:
                # What a follower decided on a page of the log: only beside that log...
                self.chainer.confirm(cursor, read)
                if tracking is not None:
                    # ...and only where its position stands where the page went on from.
                    self._check_continues(cursor, tracking, read)
            if tracking is not None:
                self._insert_tracking(cursor, tracking)
            if not stored_events:
                return []
            self._check_follows(cursor, stored_events)
            stored_events = self.moments.keep(cursor, stored_events, stamped)
            signed = self.signing.admit(cursor, changes, {event.topic for event in stored_events})
            # Rows are inserted, and their positions returned, in the order
            # given, as the library's own function relies on too.
            # A few thousand rows a statement: the arrays of a batch of tens
            # of thousands (an IATI file), encoded at once, took a hundred MB.
            ids: list[int] = []
            for start in range(0, len(stored_events), INSERT_ROWS):
                rows = stored_events[start : start + INSERT_ROWS]
                columns = [
                    [e.originator_id for e in rows],
                    [e.originator_version for e in rows],
                    [e.topic for e in rows],
                    [e.state for e in rows],
                ]
                cursor.execute(self.insert_columns, columns)
                ids += [row["notification_id"] for row in cursor.fetchall()]
            # As the library's function does, for subscribers waiting on the log.
            cursor.execute(self.notify)
            head = self.chainer.extend(cursor, chain.records_of(ids, stored_events))
            self.signing.sign(cursor, ids, changes, head.digest, signed)
            if key_rows is not None:
                self.key_writer.write(cursor, key_rows, ids)
            end_of(trial)
            return ids

    def _check_continues(self, cursor: Any, tracking: Tracking, read: chain.Read) -> None:
        """Refuse a page whose start is not where its reader's position
        stands here: further on, another reader stored it first (a lost
        race); behind, the position read it from was stored on a primary
        since lost (LogMoved), and the positions between would be skipped."""
        name = tracking.application_name
        stored = int(self._max_tracking_id(name, cursor) or 0)
        if stored > read.after:
            raise IntegrityError(f"{name} has stored position {stored} here, past {read.after} where its page began")
        if stored < read.after:
            raise chain.LogMoved(
                f"{name} stands at position {stored} here, not at {read.after} where its page began: "
                "the store changed server"
            )

    def _check_follows(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> None:
        """Refuse, as a lost race, events decided on a history this store
        does not hold. The key on (aggregate, version) refuses an event that
        one stored already has; it cannot refuse one that follows events
        the store never got. That happens after a failover to an asynchronous
        standby: a writer that read an aggregate on the lost primary, where
        later events stood, stores its decision on the promoted standby,
        leaving a gap no replay gets past. Refused, the writer reloads the
        aggregate from what the store holds and decides again."""
        first: dict[Any, int] = {}
        for event in stored_events:
            version = first.get(event.originator_id)
            if version is None or event.originator_version < version:
                first[event.originator_id] = event.originator_version
        following = {aggregate: version for aggregate, version in first.items() if version > 1}
        if not following:
            return
        cursor.execute(self.find_gap, [list(following), list(following.values())], prepare=False)
        row = cursor.fetchone()
        if row is not None:
            aggregate = row["id"]
            raise IntegrityError(
                f"aggregate {aggregate} has no version {following[aggregate] - 1} here to follow: "
                "it was decided on events this store does not hold"
            )


# Settings a store keeps about itself (beside its events), e.g. whose name
# goes with each event.
STORE_TABLE = "accord_store"


def writer_group(database: str) -> str:
    """The group role of a store's writers (one per database)."""
    return f"{database}_writer"


def enforce_append_only(db: str, writers: Sequence[str]) -> str:
    """Make the database itself keep the log append-only, and let `writers`
    (login roles) record through a group role that may insert and read the
    events, their chain and their keys but never change or remove them: UPDATE is
    granted only because the library locks the events table to insert (a
    lock PostgreSQL allows only to roles that may change the table), and a
    trigger its owner keeps refuses every UPDATE and DELETE; DELETE and
    TRUNCATE are not granted at all. From then on each event's actor is the
    database user who recorded it. Run by the store's owner; returns the
    group role's name."""
    import psycopg
    from psycopg import sql

    settings = library_settings(db, create_tables=False)
    group = writer_group(settings["POSTGRES_DBNAME"])
    schema = settings.get("POSTGRES_SCHEMA", "public")
    name = sql.Identifier
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo("", **postgres_address(db).connection()), autocommit=False) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(name(group)))
        conn.execute(
            sql.SQL(
                """
                CREATE OR REPLACE FUNCTION {schema}.accord_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the event log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
                END $$
                """
            ).format(schema=name(schema))
        )
        for table in ("accord_events", CHAIN_TABLE, keys.TABLE, signatures.SIGNATURES, signatures.SIGNERS):
            conn.execute(sql.SQL("REVOKE ALL ON {}.{} FROM PUBLIC").format(name(schema), name(table)))
            conn.execute(
                sql.SQL("DROP TRIGGER IF EXISTS accord_append_only ON {}.{}").format(name(schema), name(table))
            )
            conn.execute(
                sql.SQL(
                    "CREATE TRIGGER accord_append_only BEFORE UPDATE OR DELETE ON {}.{} "
                    "FOR EACH ROW EXECUTE FUNCTION {}.accord_refuse_change()"
                ).format(name(schema), name(table), name(schema))
            )
        # The latest moment moves on; where the check began (`since`) never does.
        conn.execute(
            sql.SQL(
                """
                CREATE OR REPLACE FUNCTION {schema}.accord_keep_since() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' OR NEW.since <> OLD.since OR NEW.log <> OLD.log THEN
                        RAISE EXCEPTION 'where the log''s moments are held in order from is kept: % refused', TG_OP;
                    END IF;
                    RETURN NEW;
                END $$
                """
            ).format(schema=name(schema))
        )
        conn.execute(sql.SQL("REVOKE ALL ON {}.{} FROM PUBLIC").format(name(schema), name(moments.TABLE)))
        conn.execute(
            sql.SQL("DROP TRIGGER IF EXISTS accord_keep_since ON {}.{}").format(name(schema), name(moments.TABLE))
        )
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER accord_keep_since BEFORE UPDATE OR DELETE ON {}.{} "
                "FOR EACH ROW EXECUTE FUNCTION {}.accord_keep_since()"
            ).format(name(schema), name(moments.TABLE), name(schema))
        )
        grants = [
            ("SELECT, INSERT, UPDATE", "accord_events"),
            ("SELECT, INSERT, UPDATE", moments.TABLE),
            ("SELECT, INSERT", CHAIN_TABLE),
            ("SELECT, INSERT", keys.TABLE),
            ("SELECT, INSERT", signatures.SIGNATURES),
            ("SELECT, INSERT", signatures.SIGNERS),
            ("SELECT, INSERT, UPDATE", "accord_tracking"),
        ]
        for privileges, table in grants:
            conn.execute(
                sql.SQL(f"GRANT {privileges} ON {{}}.{{}} TO {{}}").format(name(schema), name(table), name(group))
            )
        conn.execute(
            sql.SQL("GRANT USAGE ON SEQUENCE {}.{} TO {}").format(
                name(schema), name("accord_events_notification_id_seq"), name(group)
            )
        )
        # The read models, the snapshots and the bookkeeping are the writers'
        # own: they create, rebuild and drop them (all derived from the log).
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(name(schema), name(group)))
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND (tablename LIKE 'view\\_%%' "
            "OR tablename IN ('accord_views', 'accord_failures', 'accord_keycheck', 'accord_ticks', "
            "'accord_outbox', 'accord_snapshots', %s))",
            (schema, STORE_TABLE),
        ).fetchall()
        conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {}.{} (name TEXT PRIMARY KEY, value TEXT NOT NULL)").format(
                name(schema), name(STORE_TABLE)
            )
        )
        for (table,) in [*tables, (STORE_TABLE,)]:
            conn.execute(sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(name(schema), name(table), name(group)))
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.{} (name, value) VALUES ('actors', 'database') "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ).format(name(schema), name(STORE_TABLE))
        )
        for writer in writers:
            conn.execute(sql.SQL("GRANT {} TO {}").format(name(group), name(writer)))
            # Each writer acts as the group, so what one creates another may rebuild.
            conn.execute(sql.SQL("ALTER ROLE {} SET role = {}").format(name(writer), sql.Literal(group)))
        conn.commit()
    return group


def logged_in_actor(db: Database) -> str | None:
    """The database user, where the store was set up so that each event's
    actor is who logged in (`accord init --writer`); None elsewhere."""
    [row] = db.query(f"SELECT to_regclass('{STORE_TABLE}') IS NOT NULL AS present, session_user AS login")
    if not row["present"]:
        return None
    rows = db.query(f"SELECT value FROM {STORE_TABLE} WHERE name = 'actors'")
    return str(row["login"]) if rows and rows[0]["value"] == "database" else None


def wal_written(db: Database) -> str:
    """How far a primary has written its log of changes (its WAL), as PostgreSQL names a place in it."""
    [row] = db.query("SELECT pg_current_wal_lsn()::text AS written")
    return str(row["written"])


def wal_replayed(db: Database, written: str) -> bool:
    """Whether a standby has replayed its primary's changes up to `written`
    (a server that is no standby has nothing to replay)."""
    [row] = db.query("SELECT COALESCE(pg_last_wal_replay_lsn() >= ?::pg_lsn, true) AS replayed", (written,))
    return bool(row["replayed"])
