"""Alembic environment: migrations run on the connection the caller hands over (Database.migrate)."""

from alembic import context

from openproton.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `openproton migrate` or Database.migrate()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
