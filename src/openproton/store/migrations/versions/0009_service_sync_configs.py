"""Service sync configs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_sync_configs",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("service_name", sa.String(100), primary_key=True),
        sa.Column("repository_provider", sa.String(32), nullable=False),
        sa.Column("repository_name", sa.String(100), nullable=False),
        sa.Column("branch", sa.String(200), nullable=False),
        sa.Column("file_path", sa.String(4096), nullable=False),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_service_sync_configs_by_repository",
        "service_sync_configs",
        ["account_id", "region", "repository_provider", "repository_name"],
    )


def downgrade() -> None:
    op.drop_index("ix_service_sync_configs_by_repository", table_name="service_sync_configs")
    op.drop_table("service_sync_configs")
