"""The schema. Alembic's migrations create exactly this; a test compares the two.

Timestamps are integer epoch milliseconds: exact, portable between SQLite and PostgreSQL, and the wire's
own precision.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

environment_account_connections = Table(
    "environment_account_connections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(32), nullable=False),
    Column("environment_account_id", String(12), nullable=False),
    Column("management_account_id", String(12), nullable=False),
    Column("environment_name", String(100), nullable=False),
    Column("role_arn", String(2048)),
    Column("codebuild_role_arn", String(2048)),
    Column("component_role_arn", String(2048)),
    Column("status", String(16), nullable=False),
    Column("requested_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    # Deleted connections are kept (as tombstones) so that a repeated Delete can return their last state.
    Column("deleted_at", BigInteger),
    # The two list queries, one per side of the connection, walk these in (requested_at, id) order.
    Index("ix_eac_by_environment_account", "region", "environment_account_id", "requested_at", "id"),
    Index("ix_eac_by_management_account", "region", "management_account_id", "requested_at", "id"),
)

environment_account_connection_events = Table(
    "environment_account_connection_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", BigInteger, nullable=False),
    Column("region", String(32), nullable=False),
    Column("connection_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("previous_status", String(16)),
    Column("environment_account_id", String(12), nullable=False),
    Column("management_account_id", String(12), nullable=False),
)

resource_tags = Table(
    "resource_tags",
    metadata,
    Column("resource_arn", String(1011), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
)

client_tokens = Table(
    "client_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("token", String(64), primary_key=True),
    Column("parameters_digest", String(64), nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Every mutating call, in order: who, what, when and how it ended (strict deployments read it as their trail).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", BigInteger, nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("access_key", String(128)),
    Column("region", String(32), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("resource", String(1011)),
    Column("outcome", String(64), nullable=False),
    Column("request_id", String(36), nullable=False),
)

environment_templates = Table(
    "environment_templates",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("display_name", Text),
    Column("description", Text),
    Column("encryption_key", String(200)),
    Column("provisioning", String(32)),
    # What Create was called with, so that a repeated Create can tell a retry from a mismatch.
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
)

environment_template_versions = Table(
    "environment_template_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("template_name", String(100), primary_key=True),
    Column("major_version", Integer, primary_key=True),
    Column("minor_version", Integer, primary_key=True),
    Column("description", Text),
    Column("status", String(32), nullable=False),
    Column("status_message", Text),
    Column("source_bucket", String(255)),
    Column("source_key", String(1024)),
    Column("created_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    # When registration finishes; until then the version reads as REGISTRATION_IN_PROGRESS.
    Column("registered_at", BigInteger, nullable=False),
)
