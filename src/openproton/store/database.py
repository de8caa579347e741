"""Engines, connection settings, transactions and migrations for both backends."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.pool import StaticPool

from .sql import Statement, Tx
from .tables import metadata

_ADVISORY_LOCK = Statement(lambda: text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"))


@dataclass(frozen=True, slots=True)
class Scope:
    """Every read and write names the account and region it acts for."""

    account_id: str
    region: str


MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision; tests/test_store.py checks it against Alembic's own head.
SCHEMA_HEAD = "0013"
# Connections to a server database per process; the ASGI transport runs as many requests at once.
POOL_SIZE = 8
# A PostgreSQL connection idle in the pool this long is pinged before use (one used just now is not).
IDLE_PING_SECONDS = 1.0
_RETURNED = "openproton_returned_at"


def _configure_sqlite(engine: Engine, *, file_backed: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling would defer it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if file_backed:
            # WAL: readers never block the writer. synchronous=FULL: a commit is on disk before we answer.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        # A busy database waits for its lock instead of failing.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writing transaction takes the write lock up front, so read-then-write rules (quotas, client
        # tokens, status changes) cannot interleave with another writer.
        write = connection.get_execution_options().get("openproton_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def sqlite_path(url: str) -> str | None:
    """The file behind a sqlite URL, or None for an in-memory database."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("://", 1)[1].lstrip("/") if "://" in url else ""
    if url.startswith("sqlite:////"):
        path = "/" + path
    return path or None


class Database:
    """One database: an engine, its transactions and its migrations."""

    def __init__(self, engine: Engine | Callable[[], Engine], *, serialize: bool = False, dialect: str = "") -> None:
        """`engine`, or what makes it when first needed (an in-memory database's hot path never does); then
        `dialect` names it."""
        self._engine = engine if isinstance(engine, Engine) else None
        self._make_engine = None if isinstance(engine, Engine) else engine
        self.dialect = engine.dialect.name if isinstance(engine, Engine) else dialect
        self._sqlite = self.dialect == "sqlite"
        self._local = threading.local()
        self._opened: list[Any] = []
        self._opened_lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        # An in-memory SQLite database is one shared connection: calls from several threads take turns.
        self._lock = threading.Lock() if serialize else None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            assert self._make_engine is not None
            self._engine = self._make_engine()
        return self._engine

    @property
    def memory_connection(self) -> sqlite3.Connection | None:
        """The one connection of an in-memory database (None for any other)."""
        return self._memory

    @property
    def engine_made(self) -> bool:
        """Whether the engine exists (an in-memory database that never needed one can be used again)."""
        return self._engine is not None

    @property
    def pool_capacity(self) -> int:
        return POOL_SIZE

    @classmethod
    def from_url(cls, url: str) -> Database:
        if url.startswith("sqlite"):
            path = sqlite_path(url)
            if path is None:
                raise ValueError("use Database.in_memory() for an in-memory SQLite database")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                f"sqlite:///{path}", connect_args={"check_same_thread": False}, pool_reset_on_return=None
            )
            _configure_sqlite(engine, file_backed=True)
            return cls(engine)
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        elif not url.startswith("postgresql+"):
            raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH, sqlite:// or postgresql://...")
        try:
            # Every transaction ends in our own commit or rollback, so the pool need not roll back again.
            engine = create_engine(
                url, pool_pre_ping=False, pool_size=POOL_SIZE, max_overflow=0, pool_reset_on_return=None
            )
        except ModuleNotFoundError as error:
            raise ValueError("PostgreSQL needs psycopg 3: pip install 'openproton[postgres]'") from error
        return cls(engine)

    @classmethod
    def in_memory(cls, connection: sqlite3.Connection | None = None) -> Database:
        raw = connection or sqlite3.connect(":memory:", check_same_thread=False)

        def make_engine() -> Engine:
            # Only migrations, reset, export and import need one: a mock per test need not build it.
            engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool, pool_reset_on_return=None)
            _configure_sqlite(engine, file_backed=False)
            return engine

        database = cls(make_engine, serialize=True, dialect="sqlite")
        database._memory = raw
        raw.isolation_level = None  # as the connect hook does; the hot path does not go through the pool
        return database

    def transaction(self, *, write: bool) -> _Transaction:
        """One operation, one transaction: committed on success, rolled back on any error.

        Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so read-then-write rules (quotas, client
        tokens, status changes) cannot interleave with another writer.
        """
        return _Transaction(self, write)

    def _thread_connection(self) -> Any:
        if self._memory is not None:
            return self._memory  # one shared in-memory connection; callers take turns (self._lock)
        raw = getattr(self._local, "raw", None)
        if raw is None:
            pooled = self.engine.raw_connection()  # runs the connect-time pragmas
            raw = self._local.raw = pooled.driver_connection
            pooled.detach()
            with self._opened_lock:
                self._opened.append(raw)
        return raw

    @contextmanager
    def admin_transaction(self) -> Iterator[Connection]:
        """A writing transaction on an SQLAlchemy connection, for migrations, reset, export and import."""
        with self._lock or nullcontext(), self.engine.connect() as connection:
            connection = connection.execution_options(openproton_write=True)
            with connection.begin():
                yield connection

    def schema_version(self) -> str | None:
        """The Alembic revision the database is at, or None for an empty database."""
        with self.admin_transaction() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def migrate(self, *, replay: bool = False) -> None:
        """Bring the schema to the newest migration. An empty database is given the declared schema at once,
        stamped at the newest revision (what the migrations build, tests/test_store.py checks), without loading
        Alembic; `replay` runs every migration instead."""
        # A restart of an up-to-date database (the common case) need not load Alembic at all.
        version = self.schema_version()
        if version == SCHEMA_HEAD:
            return
        if version is None and not replay and self._create_if_empty():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        # Several replicas may start at once: one migrates, the others wait and then find nothing to do.
        # (SQLite: the write transaction's BEGIN IMMEDIATE; PostgreSQL: an advisory lock.)
        with self.admin_transaction() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('openproton:migrations', 0))"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _create_if_empty(self) -> bool:
        """Create the schema in a database with no table at all; False when it has some (Alembic decides)."""
        with self.admin_transaction() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('openproton:migrations', 0))"))
            if inspect(connection).get_table_names():
                return False  # not empty (another replica may have just made it): the migrations path decides
            metadata.create_all(connection)
            connection.exec_driver_sql(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": SCHEMA_HEAD})
        return True

    def lock(self, tx: Tx, key: str) -> None:
        """Serialize writers that share `key` for the rest of the transaction.

        SQLite's BEGIN IMMEDIATE already admits one writer at a time; PostgreSQL takes a transaction-scoped
        advisory lock on the key.
        """
        if self.dialect == "postgresql":
            if tx.raw.autocommit:
                raise RuntimeError("a lock needs a writing transaction (reading ones run in autocommit)")
            tx.scalar(_ADVISORY_LOCK, {"key": key})

    def reset(self) -> None:
        """Delete every row of every table, keeping the schema."""
        with self.admin_transaction() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())

    def _checkout(self) -> Any:
        """A pooled PostgreSQL connection, pinged first only if it sat idle in the pool for a while: a busy
        server reuses connections within milliseconds, and a ping on every checkout was a round trip in four.
        One the ping finds dead (a restarted server) is dropped and the next one tried, since its neighbours in
        the pool are likely dead too; a new connection has never been returned and needs no ping."""
        while True:
            pooled = self.engine.raw_connection()
            returned = pooled.info.get(_RETURNED)
            if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
                return pooled
            try:
                connection = pooled.driver_connection
                connection.autocommit = True
                connection.execute("SELECT 1")
                return pooled
            except Exception:  # dead: the pool drops it and connects anew in its place
                pooled.invalidate()
                pooled.close()

    def dispose(self) -> None:
        with self._opened_lock:
            for raw in self._opened:
                raw.close()
            self._opened.clear()
        if self._engine is not None:
            self._engine.dispose()


class _Transaction:
    """The context manager behind Database.transaction (a class: it runs on every request)."""

    __slots__ = ("_database", "_pooled", "_raw", "_write")

    def __init__(self, database: Database, write: bool) -> None:
        self._database = database
        self._write = write
        self._pooled: Any = None
        self._raw: Any = None

    def __enter__(self) -> Tx:
        database = self._database
        if database._lock is not None:
            database._lock.acquire()
        try:
            if database._sqlite:
                # SQLite connections are cheap to keep: one per thread, past the pool's bookkeeping.
                raw = database._thread_connection()
                raw.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
            else:
                self._pooled = database._checkout()
                raw = self._pooled.driver_connection
                # PostgreSQL's READ COMMITTED (the default, which OpenProton keeps) gives each statement its own
                # snapshot inside a transaction or out of one, so a reading transaction gains nothing from BEGIN
                # and COMMIT: it runs in autocommit, one round trip for each statement and none besides.
                if raw.autocommit == self._write:
                    raw.autocommit = not self._write
        except BaseException:
            if database._lock is not None:
                database._lock.release()
            raise
        self._raw = raw
        return Tx(raw, database.dialect)

    def _return_pooled(self) -> None:
        """Back to the pool as SQLAlchemy expects it (not in autocommit: its own transactions, migrations and
        import among them, must begin); a connection that cannot be reset is dropped."""
        pooled = self._pooled
        try:
            if self._raw.autocommit:
                self._raw.autocommit = False
        except Exception:
            pooled.invalidate()
        pooled.info[_RETURNED] = time.monotonic()
        pooled.close()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._raw.commit()
            else:
                self._raw.rollback()
        finally:
            if self._pooled is not None:
                self._return_pooled()
            if self._database._lock is not None:
                self._database._lock.release()
