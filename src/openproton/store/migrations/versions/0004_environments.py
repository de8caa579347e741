"""Environments, their deployments and the run-time settle policy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "environments",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("template_name", sa.String(100), nullable=False),
        sa.Column("template_major_version", sa.Integer, nullable=False),
        sa.Column("template_minor_version", sa.Integer, nullable=False),
        sa.Column("spec", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("proton_service_role_arn", sa.String(2048)),
        sa.Column("codebuild_role_arn", sa.String(2048)),
        sa.Column("component_role_arn", sa.String(2048)),
        sa.Column("environment_account_connection_id", sa.String(36)),
        sa.Column("environment_account_id", sa.String(12)),
        sa.Column("provisioning", sa.String(32)),
        sa.Column("repository_provider", sa.String(32)),
        sa.Column("repository_name", sa.String(100)),
        sa.Column("repository_branch", sa.String(200)),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("deployment_status", sa.String(32), nullable=False),
        sa.Column("deployment_status_message", sa.Text),
        sa.Column("last_deployment_attempted_at", sa.BigInteger, nullable=False),
        sa.Column("last_deployment_succeeded_at", sa.BigInteger),
        sa.Column("last_attempted_deployment_id", sa.String(36), nullable=False),
        sa.Column("last_succeeded_deployment_id", sa.String(36)),
    )
    op.create_index("ix_environments_by_connection", "environments", ["environment_account_connection_id"])
    op.create_index("ix_environments_by_template", "environments", ["account_id", "region", "template_name"])
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("environment_name", sa.String(100), nullable=False),
        sa.Column("target_resource_created_at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("outcome", sa.String(16)),
        sa.Column("outcome_message", sa.Text),
        sa.Column("settles_at", sa.BigInteger),
        sa.Column("template_name", sa.String(100), nullable=False),
        sa.Column("initial_major_version", sa.Integer),
        sa.Column("initial_minor_version", sa.Integer),
        sa.Column("initial_spec", sa.Text),
        sa.Column("target_major_version", sa.Integer, nullable=False),
        sa.Column("target_minor_version", sa.Integer, nullable=False),
        sa.Column("target_spec", sa.Text),
        sa.Column("previous_attempted_id", sa.String(36)),
        sa.Column("previous_succeeded_id", sa.String(36)),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("provisioned_resources", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("completed_at", sa.BigInteger),
    )
    op.create_index("ix_deployments_by_scope", "deployments", ["account_id", "region", "created_at", "id"])
    op.create_index(
        "ix_deployments_by_environment", "deployments", ["account_id", "region", "environment_name", "created_at", "id"]
    )
    op.create_table(
        "settle_policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("delay_ms", sa.BigInteger, nullable=False),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("settle_policy")
    op.drop_index("ix_deployments_by_scope", table_name="deployments")
    op.drop_index("ix_deployments_by_environment", table_name="deployments")
    op.drop_table("deployments")
    op.drop_index("ix_environments_by_connection", table_name="environments")
    op.drop_index("ix_environments_by_template", table_name="environments")
    op.drop_table("environments")
