"""Environment account connections, their status-change events, resource tags and client tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "environment_account_connections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("environment_account_id", sa.String(12), nullable=False),
        sa.Column("management_account_id", sa.String(12), nullable=False),
        sa.Column("environment_name", sa.String(100), nullable=False),
        sa.Column("role_arn", sa.String(2048)),
        sa.Column("codebuild_role_arn", sa.String(2048)),
        sa.Column("component_role_arn", sa.String(2048)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("deleted_at", sa.BigInteger),
    )
    op.create_index(
        "ix_eac_by_environment_account",
        "environment_account_connections",
        ["region", "environment_account_id", "requested_at", "id"],
    )
    op.create_index(
        "ix_eac_by_management_account",
        "environment_account_connections",
        ["region", "management_account_id", "requested_at", "id"],
    )
    op.create_table(
        "environment_account_connection_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.BigInteger, nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("connection_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("previous_status", sa.String(16)),
        sa.Column("environment_account_id", sa.String(12), nullable=False),
        sa.Column("management_account_id", sa.String(12), nullable=False),
    )
    op.create_table(
        "resource_tags",
        sa.Column("resource_arn", sa.String(1011), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
    )
    op.create_table(
        "client_tokens",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("client_tokens")
    op.drop_table("resource_tags")
    op.drop_table("environment_account_connection_events")
    op.drop_index("ix_eac_by_management_account", "environment_account_connections")
    op.drop_index("ix_eac_by_environment_account", "environment_account_connections")
    op.drop_table("environment_account_connections")
