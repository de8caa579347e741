"""Components; deployments carry a component's state (its attachment and template file) beside the versioned ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The deployment columns a component's states add (components.md C-12, C-14).
_DEPLOYMENT_COLUMNS = (
    ("component_name", sa.String(100)),
    ("initial_service_name", sa.String(100)),
    ("initial_service_instance_name", sa.String(100)),
    ("initial_template_file", sa.Text),
    ("target_service_name", sa.String(100)),
    ("target_service_instance_name", sa.String(100)),
    ("target_template_file", sa.Text),
    ("last_successful_component_deployment_id", sa.String(36)),
)
# A component's deployment has no template: these become optional.
_RELAXED = (
    ("template_name", sa.String(100)),
    ("target_major_version", sa.Integer),
    ("target_minor_version", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "components",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("environment_name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("service_name", sa.String(100)),
        sa.Column("service_instance_name", sa.String(100)),
        sa.Column("spec", sa.Text),
        sa.Column("template_file", sa.Text, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("last_client_request_token", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("deployment_status", sa.String(32), nullable=False),
        sa.Column("deployment_status_message", sa.Text),
        sa.Column("last_deployment_attempted_at", sa.BigInteger, nullable=False),
        sa.Column("last_deployment_succeeded_at", sa.BigInteger),
        sa.Column("last_attempted_deployment_id", sa.String(36), nullable=False),
        sa.Column("last_succeeded_deployment_id", sa.String(36)),
    )
    op.create_index("ix_components_by_environment", "components", ["account_id", "region", "environment_name"])
    # (SQLite cannot relax a NOT NULL in place: batch mode copies the table.)
    with op.batch_alter_table("deployments") as batch:
        for name, kind in _DEPLOYMENT_COLUMNS:
            batch.add_column(sa.Column(name, kind))
        for name, kind in _RELAXED:
            batch.alter_column(name, existing_type=kind, nullable=True)
        batch.create_index(
            "ix_deployments_by_component", ["account_id", "region", "component_name", "created_at", "id"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM deployments WHERE target_type = 'COMPONENT'")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_index("ix_deployments_by_component")
        for name, kind in _RELAXED:
            batch.alter_column(name, existing_type=kind, nullable=False)
        for name, _ in _DEPLOYMENT_COLUMNS:
            batch.drop_column(name)
    op.drop_index("ix_components_by_environment", table_name="components")
    op.drop_table("components")
