"""Service templates and versions, services, instances, pipelines, account settings; deployments of every target.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_MIRROR = (
    # What an instance and a pipeline show of their last attempted deployment, as environments do.
    ("deployment_status", sa.String(32), False),
    ("deployment_status_message", sa.Text, True),
    ("last_deployment_attempted_at", sa.BigInteger, False),
    ("last_deployment_succeeded_at", sa.BigInteger, True),
    ("last_attempted_deployment_id", sa.String(36), False),
    ("last_succeeded_deployment_id", sa.String(36), True),
)


def _mirror() -> list[sa.Column]:
    return [sa.Column(name, kind, nullable=nullable) for name, kind, nullable in _MIRROR]


def _partition(region: str) -> str:
    # As openproton.proton.arns.partition_for, written out: a migration must not change when the code does.
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def upgrade() -> None:
    op.create_table(
        "service_templates",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("encryption_key", sa.String(200)),
        sa.Column("pipeline_provisioning", sa.String(32)),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "service_template_versions",
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
        sa.Column("compatible_environment_templates", sa.Text, nullable=False),
        sa.Column("supported_component_sources", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "services",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("template_name", sa.String(100), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("repository_connection_arn", sa.String(2048)),
        sa.Column("repository_id", sa.String(200)),
        sa.Column("branch_name", sa.String(200)),
        sa.Column("parameters_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_modified_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("operation", sa.String(16)),
        sa.Column("operation_deployments", sa.Text, nullable=False),
    )
    op.create_table(
        "service_instances",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("service_name", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("environment_name", sa.String(100), nullable=False),
        sa.Column("template_name", sa.String(100), nullable=False),
        sa.Column("template_major_version", sa.Integer, nullable=False),
        sa.Column("template_minor_version", sa.Integer, nullable=False),
        sa.Column("spec", sa.Text),
        sa.Column("last_client_request_token", sa.String(64)),
        sa.Column("last_client_request_digest", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        *_mirror(),
    )
    op.create_index(
        "ix_service_instances_by_environment", "service_instances", ["account_id", "region", "environment_name"]
    )
    op.create_index("ix_service_instances_by_template", "service_instances", ["account_id", "region", "template_name"])
    op.create_table(
        "service_pipelines",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("service_name", sa.String(100), primary_key=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("template_name", sa.String(100), nullable=False),
        sa.Column("template_major_version", sa.Integer, nullable=False),
        sa.Column("template_minor_version", sa.Integer, nullable=False),
        sa.Column("spec", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        *_mirror(),
    )
    op.create_index("ix_service_pipelines_by_template", "service_pipelines", ["account_id", "region", "template_name"])
    op.create_table(
        "account_settings",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("pipeline_service_role_arn", sa.String(2048)),
        sa.Column("pipeline_codebuild_role_arn", sa.String(2048)),
        sa.Column("repository_provider", sa.String(32)),
        sa.Column("repository_name", sa.String(100)),
        sa.Column("repository_branch", sa.String(200)),
    )
    # Deployments of every target type. Existing rows are environment deployments. (SQLite cannot relax a
    # NOT NULL in place: batch mode copies the table.)
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("target_type", sa.String(32)))
        batch.add_column(sa.Column("target_arn", sa.String(1011)))
        batch.add_column(sa.Column("service_name", sa.String(100)))
        batch.add_column(sa.Column("service_instance_name", sa.String(100)))
        batch.add_column(sa.Column("environment_account_id", sa.String(12)))
        batch.add_column(sa.Column("last_successful_environment_deployment_id", sa.String(36)))
        batch.add_column(sa.Column("last_successful_pipeline_deployment_id", sa.String(36)))
        batch.alter_column("environment_name", existing_type=sa.String(100), nullable=True)
    op.execute(
        "UPDATE deployments SET target_type = 'ENVIRONMENT', environment_account_id = (SELECT "
        "environments.environment_account_id FROM environments WHERE environments.account_id = deployments.account_id "
        "AND environments.region = deployments.region AND environments.name = deployments.environment_name)"
    )
    connection = op.get_bind()
    for deployment_id, region, account_id, name in connection.execute(
        sa.text("SELECT id, region, account_id, environment_name FROM deployments")
    ).all():
        connection.execute(
            sa.text("UPDATE deployments SET target_arn = :arn WHERE id = :id"),
            {"arn": f"arn:{_partition(region)}:proton:{region}:{account_id}:environment/{name}", "id": deployment_id},
        )
    with op.batch_alter_table("deployments") as batch:
        batch.alter_column("target_type", existing_type=sa.String(32), nullable=False)
        batch.alter_column("target_arn", existing_type=sa.String(1011), nullable=False)
        batch.create_index("ix_deployments_by_service", ["account_id", "region", "service_name", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_index("ix_deployments_by_service")
        for name in (
            "target_type",
            "target_arn",
            "service_name",
            "service_instance_name",
            "environment_account_id",
            "last_successful_environment_deployment_id",
            "last_successful_pipeline_deployment_id",
        ):
            batch.drop_column(name)
    for table in ("account_settings", "service_pipelines", "service_instances", "services"):
        op.drop_table(table)
    op.drop_table("service_template_versions")
    op.drop_table("service_templates")
