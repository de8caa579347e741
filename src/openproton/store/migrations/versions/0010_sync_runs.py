"""What sync runs remember: the run-time repository map, units and their leases, attempts, records, blockers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_UNIT = ["account_id", "region", "repository_provider", "repository_name", "branch", "sync_type"]


def _unit_columns(primary_key: bool) -> list[sa.Column]:
    kind = {"primary_key": True} if primary_key else {"nullable": False}
    return [
        sa.Column("account_id", sa.String(12), **kind),
        sa.Column("region", sa.String(32), **kind),
        sa.Column("repository_provider", sa.String(32), **kind),
        sa.Column("repository_name", sa.String(100), **kind),
        sa.Column("branch", sa.String(200), **kind),
        sa.Column("sync_type", sa.String(16), **kind),
    ]


def upgrade() -> None:
    op.create_table(
        "repository_map",
        sa.Column("key", sa.String(140), primary_key=True),
        sa.Column("url", sa.Text),
        sa.Column("mode", sa.String(8)),
        sa.Column("accounts", sa.Text),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sync_units",
        *_unit_columns(True),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.BigInteger),
        sa.Column("heads", sa.Text),
    )
    op.create_table(
        "sync_attempts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        *_unit_columns(False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
    )
    op.create_index("ix_sync_attempts_by_unit", "sync_attempts", [*_UNIT, "seq"])
    op.create_table(
        "resource_sync_attempts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("sync_type", sa.String(16), nullable=False),
        sa.Column("target", sa.String(210), nullable=False),
        sa.Column("major", sa.String(20), nullable=False),
        sa.Column("repository_attempt_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("target_revision", sa.Text, nullable=False),
        sa.Column("initial_revision", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("deployment_id", sa.String(36)),
    )
    op.create_index(
        "ix_resource_sync_attempts_by_target",
        "resource_sync_attempts",
        ["account_id", "region", "sync_type", "target", "major", "seq"],
    )
    op.create_table(
        "sync_records",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("sync_type", sa.String(16), primary_key=True),
        sa.Column("target", sa.String(210), primary_key=True),
        sa.Column("major", sa.String(20), primary_key=True),
        sa.Column("version", sa.String(20)),
        sa.Column("tree_id", sa.String(64)),
        sa.Column("desired_state", sa.Text),
    )
    op.create_table(
        "sync_blockers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("service_name", sa.String(100), nullable=False),
        sa.Column("service_instance_name", sa.String(100)),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("resolved_reason", sa.Text),
        sa.Column("resolved_at", sa.BigInteger),
    )
    op.create_index(
        "ix_sync_blockers_by_target",
        "sync_blockers",
        ["account_id", "region", "service_name", "service_instance_name", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_sync_blockers_by_target", table_name="sync_blockers")
    op.drop_table("sync_blockers")
    op.drop_table("sync_records")
    op.drop_index("ix_resource_sync_attempts_by_target", table_name="resource_sync_attempts")
    op.drop_table("resource_sync_attempts")
    op.drop_index("ix_sync_attempts_by_unit", table_name="sync_attempts")
    op.drop_table("sync_attempts")
    op.drop_table("sync_units")
    op.drop_table("repository_map")
