"""The schema: Alembic's migrations build exactly the tables the code queries."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openproton.store import Database
from openproton.store.tables import metadata


def test_migrations_create_exactly_the_declared_schema() -> None:
    database = Database.in_memory(sqlite3.connect(":memory:", check_same_thread=False))
    database.migrate()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_migrating_twice_is_harmless() -> None:
    database = Database.in_memory(sqlite3.connect(":memory:", check_same_thread=False))
    database.migrate()
    database.migrate()
    with database.transaction(write=False) as connection:
        version = connection.exec_driver_sql("select version_num from alembic_version").scalar_one()
    assert version == "0001"
