"""Provisioners: a job's cancellation request, and where a self-managed deployment's branch was pushed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provisioning_jobs") as batch:
        batch.add_column(sa.Column("cancelled_at", sa.BigInteger))
    with op.batch_alter_table("deployment_renders") as batch:
        batch.add_column(sa.Column("pushed", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("deployment_renders") as batch:
        batch.drop_column("pushed")
    with op.batch_alter_table("provisioning_jobs") as batch:
        batch.drop_column("cancelled_at")
