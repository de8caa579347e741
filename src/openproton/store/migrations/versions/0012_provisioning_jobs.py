"""Provisioners: each deployment's provisioner, the jobs workers run, and the stacks targets keep.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("provisioner", sa.String(16)))
    op.create_table(
        "provisioning_jobs",
        sa.Column("deployment_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("provisioner", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("run_token", sa.String(64), unique=True),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_provisioning_jobs_by_age", "provisioning_jobs", ["created_at"])
    op.create_table(
        "target_stacks",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("target_arn", sa.String(1011), primary_key=True),
        sa.Column("target_resource_created_at", sa.BigInteger, primary_key=True),
        sa.Column("stack_name", sa.String(128), nullable=False),
        sa.Column("stack_region", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("target_stacks")
    op.drop_index("ix_provisioning_jobs_by_age", "provisioning_jobs")
    op.drop_table("provisioning_jobs")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("provisioner")
