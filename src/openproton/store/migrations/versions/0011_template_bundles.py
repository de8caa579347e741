"""Template bundles: how registration ended, the schema and bundle of a version; stored bundles; renders.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_VERSIONS = ("environment_template_versions", "service_template_versions")


def upgrade() -> None:
    for table in _VERSIONS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("registration_status", sa.String(32)))
            batch.add_column(sa.Column("registration_message", sa.Text))
            batch.add_column(sa.Column("schema", sa.Text))
            batch.add_column(sa.Column("bundle_sha256", sa.String(64)))
    op.create_table(
        "template_bundles",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "deployment_renders",
        sa.Column("deployment_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("provisioner", sa.String(16), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("log", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deployment_renders")
    op.drop_table("template_bundles")
    for table in _VERSIONS:
        with op.batch_alter_table(table) as batch:
            for column in ("bundle_sha256", "schema", "registration_message", "registration_status"):
                batch.drop_column(column)
