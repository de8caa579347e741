"""Environment templates and their versions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "environment_templates",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("encryption_key", sa.String(200)),
        sa.Column("provisioning", sa.String(32)),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "environment_template_versions",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("template_name", sa.String(100), primary_key=True),
        sa.Column("major_version", sa.Integer, primary_key=True),
        sa.Column("minor_version", sa.Integer, primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("source_bucket", sa.String(255)),
        sa.Column("source_key", sa.String(1024)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("environment_template_versions")
    op.drop_table("environment_templates")
