"""The audit log of mutating calls.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.BigInteger, nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("access_key", sa.String(128)),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(1011)),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
