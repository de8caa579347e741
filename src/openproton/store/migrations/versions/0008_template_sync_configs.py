"""Template sync configs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_sync_configs",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("template_type", sa.String(16), primary_key=True),
        sa.Column("template_name", sa.String(100), primary_key=True),
        sa.Column("repository_provider", sa.String(32), nullable=False),
        sa.Column("repository_name", sa.String(100), nullable=False),
        sa.Column("branch", sa.String(200), nullable=False),
        sa.Column("subdirectory", sa.String(4096)),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_template_sync_configs_by_repository",
        "template_sync_configs",
        ["account_id", "region", "repository_provider", "repository_name"],
    )


def downgrade() -> None:
    op.drop_index("ix_template_sync_configs_by_repository", table_name="template_sync_configs")
    op.drop_table("template_sync_configs")
