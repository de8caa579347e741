"""The schema: Alembic's migrations build exactly the tables the code queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openproton.store import Database
from openproton.store.database import SCHEMA_HEAD
from openproton.store.tables import metadata


def _differences(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def _version(database: Database) -> str:
    with database.admin_transaction() as connection:
        return str(connection.exec_driver_sql("select version_num from alembic_version").scalar_one())


def test_migrations_create_exactly_the_declared_schema() -> None:
    database = Database.in_memory(sqlite3.connect(":memory:", check_same_thread=False))
    database.migrate(replay=True)  # every migration, from the first
    assert _differences(database) == []
    assert _version(database) == SCHEMA_HEAD


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_empty_database_gets_the_declared_schema_at_the_newest_revision(
    backend: str, postgres_databases: Callable[[str], str], tmp_path: Path
) -> None:
    """The fast path for an empty database (no Alembic) leaves what the migrations leave; on PostgreSQL the
    migrations are replayed too and compared."""
    url = f"sqlite:///{tmp_path}/fresh.sqlite3" if backend == "sqlite" else postgres_databases("fresh_schema")
    database = Database.from_url(url)
    try:
        database.migrate()
        assert _differences(database) == []
        assert _version(database) == SCHEMA_HEAD
        database.migrate()  # at the head: nothing more
        assert _version(database) == SCHEMA_HEAD
    finally:
        database.dispose()
    if backend == "postgres":
        replayed = Database.from_url(postgres_databases("replayed_schema"))
        try:
            replayed.migrate(replay=True)
            assert _differences(replayed) == []
        finally:
            replayed.dispose()


def test_migrating_twice_is_harmless() -> None:
    database = Database.in_memory(sqlite3.connect(":memory:", check_same_thread=False))
    database.migrate()
    database.migrate()
    with database.admin_transaction() as connection:
        version = connection.exec_driver_sql("select version_num from alembic_version").scalar_one()
    assert version == SCHEMA_HEAD


def test_sqlite_readers_do_not_block_the_writer_and_a_busy_database_waits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    import orjson

    from support import TARGET_PREFIX, ServerProcess, signed_headers

    path = tmp_path / "busy.sqlite3"
    server = ServerProcess(database=f"sqlite:///{path}")
    body = orjson.dumps(
        {"environmentName": "dev", "managementAccountId": "222222222222", "roleArn": "arn:aws:iam::111111111111:role/p"}
    )
    headers = signed_headers(TARGET_PREFIX + "CreateEnvironmentAccountConnection", "111111111111")
    try:
        outside = sqlite3.connect(path, isolation_level=None)
        assert outside.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # A long read transaction elsewhere: in WAL mode the server still writes.
        outside.execute("BEGIN")
        outside.execute("SELECT count(*) FROM environment_account_connections").fetchone()
        assert server.request("POST", "/", headers, body).status == 200
        outside.execute("COMMIT")

        # Another writer holds the lock: the server's write waits for it instead of failing.
        outside.execute("BEGIN IMMEDIATE")
        result: list[int] = []
        writer = threading.Thread(
            target=lambda: result.append(
                server.request("POST", "/", headers, body.replace(b'"dev"', b'"staging"')).status
            )
        )
        writer.start()
        writer.join(1.0)
        assert writer.is_alive(), "the write must wait while another writer holds the lock"
        outside.execute("COMMIT")
        writer.join(30)
        assert result == [200]
        outside.close()
    finally:
        server.stop()


def test_the_schema_head_constant_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from openproton.store.database import MIGRATIONS, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_postgresql_connections_the_database_dropped_are_replaced_after_an_idle_second(
    postgres_databases: Callable[[str], str],
) -> None:
    """Pooled connections are pinged only when they sat idle for IDLE_PING_SECONDS (not on every checkout): one
    the database dropped meanwhile (a restart, an administrator's pg_terminate_backend) is replaced before use.
    Reads run in autocommit, writes in a transaction, and neither state leaks back into the pool (migrations,
    which SQLAlchemy begins itself, still run after both)."""
    import time

    from openproton.store.database import IDLE_PING_SECONDS
    from support import _postgres_admin

    url = postgres_databases("dropped_connections")
    database = Database.from_url(url)
    pid = "SELECT pg_backend_pid()"
    try:
        with database.transaction(write=False) as read, database.transaction(write=True) as write:
            assert read.raw.autocommit and not write.raw.autocommit
            before = {read.raw.execute(pid).fetchone()[0], write.raw.execute(pid).fetchone()[0]}
        time.sleep(IDLE_PING_SECONDS + 0.2)
        name = url.rsplit("/", 1)[1]
        dropped = _postgres_admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
            "AND pid <> pg_backend_pid()"
        )
        assert len(dropped) == 2
        with database.transaction(write=False) as read, database.transaction(write=True) as write:
            after = {read.raw.execute(pid).fetchone()[0], write.raw.execute(pid).fetchone()[0]}
        assert after.isdisjoint(before) and len(after) == 2
        database.migrate()
        assert _version(database) == SCHEMA_HEAD
        # An advisory lock held by an autocommit read would end with its statement: lock() refuses it.
        with database.transaction(write=False) as read, pytest.raises(RuntimeError, match="writing transaction"):
            database.lock(read, "key")
        with database.transaction(write=True) as write:
            database.lock(write, "key")
    finally:
        database.dispose()
