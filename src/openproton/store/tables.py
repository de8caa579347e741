"""The schema. Alembic's migrations create exactly this; a test compares the two.

Timestamps are integer epoch milliseconds: exact, portable between SQLite and PostgreSQL, and the wire's
own precision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

environment_account_connections = Table(
    "environment_account_connections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(32), nullable=False),
    Column("environment_account_id", String(12), nullable=False),
    Column("management_account_id", String(12), nullable=False),
    Column("environment_name", String(100), nullable=False),
    Column("role_arn", String(2048)),
    Column("codebuild_role_arn", String(2048)),
    Column("component_role_arn", String(2048)),
    Column("status", String(16), nullable=False),
    Column("requested_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    # Deleted connections are kept (as tombstones) so that a repeated Delete can return their last state.
    Column("deleted_at", BigInteger),
    # The two list queries, one per side of the connection, walk these in (requested_at, id) order.
    Index("ix_eac_by_environment_account", "region", "environment_account_id", "requested_at", "id"),
    Index("ix_eac_by_management_account", "region", "management_account_id", "requested_at", "id"),
)

environment_account_connection_events = Table(
    "environment_account_connection_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", BigInteger, nullable=False),
    Column("region", String(32), nullable=False),
    Column("connection_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("previous_status", String(16)),
    Column("environment_account_id", String(12), nullable=False),
    Column("management_account_id", String(12), nullable=False),
)

resource_tags = Table(
    "resource_tags",
    metadata,
    Column("resource_arn", String(1011), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
)

client_tokens = Table(
    "client_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("token", String(64), primary_key=True),
    Column("parameters_digest", String(64), nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Every mutating call, in order: who, what, when and how it ended (strict deployments read it as their trail).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("occurred_at", BigInteger, nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("access_key", String(128)),
    Column("region", String(32), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("resource", String(1011)),
    Column("outcome", String(64), nullable=False),
    Column("request_id", String(36), nullable=False),
)


def _template_tables(kind: str, provisioning: str, *version_columns: Column) -> tuple[Table, Table]:
    """A family's templates and their versions (environment and service templates share their shape)."""
    templates = Table(
        f"{kind}_templates",
        metadata,
        Column("account_id", String(12), primary_key=True),
        Column("region", String(32), primary_key=True),
        Column("name", String(100), primary_key=True),
        Column("display_name", Text),
        Column("description", Text),
        Column("encryption_key", String(200)),
        # Who provisions: environment templates' `provisioning`, service templates' `pipeline_provisioning`
        # (CUSTOMER_MANAGED: its services have no pipeline).
        Column(provisioning, String(32)),
        # What Create was called with, so that a repeated Create can tell a retry from a mismatch.
        Column("parameters_digest", String(64), nullable=False),
        Column("created_at", BigInteger, nullable=False),
        Column("last_modified_at", BigInteger, nullable=False),
    )
    versions = Table(
        f"{kind}_template_versions",
        metadata,
        Column("account_id", String(12), primary_key=True),
        Column("region", String(32), primary_key=True),
        Column("template_name", String(100), primary_key=True),
        Column("major_version", Integer, primary_key=True),
        Column("minor_version", Integer, primary_key=True),
        Column("description", Text),
        Column("status", String(32), nullable=False),
        Column("status_message", Text),
        Column("source_bucket", String(255)),
        Column("source_key", String(1024)),
        *version_columns,
        Column("created_at", BigInteger, nullable=False),
        Column("last_modified_at", BigInteger, nullable=False),
        # When registration finishes; until then the version reads as REGISTRATION_IN_PROGRESS.
        Column("registered_at", BigInteger, nullable=False),
        # [decided] B-5: with a bundle source, how registration ended (DRAFT or REGISTRATION_FAILED, with its
        # message), read from registered_at on; the schema's text and the stored bundle's digest (B-4).
        Column("registration_status", String(32)),
        Column("registration_message", Text),
        Column("schema", Text),
        Column("bundle_sha256", String(64)),
    )
    return templates, versions


def _mirror() -> list[Column[Any]]:
    """What a deployed target (environment, service instance, pipeline, component) shows of its last attempted
    deployment; while that one is under way, reads settle it as of their time (proton/deployments.py)."""
    return [
        Column("deployment_status", String(32), nullable=False),
        Column("deployment_status_message", Text),
        Column("last_deployment_attempted_at", BigInteger, nullable=False),
        Column("last_deployment_succeeded_at", BigInteger),
        Column("last_attempted_deployment_id", String(36), nullable=False),
        Column("last_succeeded_deployment_id", String(36)),
    ]


environment_templates, environment_template_versions = _template_tables("environment", "provisioning")

environments = Table(
    "environments",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(100), primary_key=True),
    # The template version and spec in effect: those of the last deployment that succeeded (or, before
    # any has, the ones Create asked for). A deployment's target is in its own row until it succeeds.
    Column("template_name", String(100), nullable=False),
    Column("template_major_version", Integer, nullable=False),
    Column("template_minor_version", Integer, nullable=False),
    Column("spec", Text),
    Column("description", Text),
    Column("proton_service_role_arn", String(2048)),
    Column("codebuild_role_arn", String(2048)),
    Column("component_role_arn", String(2048)),
    Column("environment_account_connection_id", String(36)),
    Column("environment_account_id", String(12)),
    Column("provisioning", String(32)),
    Column("repository_provider", String(32)),
    Column("repository_name", String(100)),
    Column("repository_branch", String(200)),
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    *_mirror(),
    # A connection cannot be rejected while an environment uses it; a version cannot go while one is on it.
    Index("ix_environments_by_connection", "environment_account_connection_id"),
    Index("ix_environments_by_template", "account_id", "region", "template_name"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    # ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE or COMPONENT; the target is named by the columns that
    # follow (environment_name for an environment; service_name and service_instance_name for an instance;
    # service_name for a pipeline, whose environment_name is the one S-25 gives it, or none; component_name
    # for a component, with its environment and the instance of its target state's attachment, C-12).
    Column("target_type", String(32), nullable=False),
    Column("target_arn", String(1011), nullable=False),
    Column("environment_name", String(100)),
    Column("service_name", String(100)),
    Column("service_instance_name", String(100)),
    Column("component_name", String(100)),
    # The account the target is provisioned in (S-2): the admin view shows it.
    Column("environment_account_id", String(12)),
    Column("target_resource_created_at", BigInteger, nullable=False),
    # CREATE, UPDATE or DELETE: what the target becomes when the deployment succeeds.
    Column("kind", String(16), nullable=False),
    # [decided] P-8: what ends it, fixed when it starts: settle, none (customer-managed), cloudformation, codebuild
    # or self-managed.
    Column("provisioner", String(16)),
    Column("status", String(32), nullable=False),
    Column("status_message", Text),
    # How and when an unfinished deployment ends, fixed when it starts (the settle policy), by
    # NotifyResourceDeploymentStatusChange, by a cancel or by the admin interface. Reads past `settles_at`
    # see the outcome; the next write stores it. No outcome: it waits.
    Column("outcome", String(16)),
    Column("outcome_message", Text),
    Column("settles_at", BigInteger),
    # The states before and after (targets.py says which columns each target type's state uses): the
    # template version and spec of environments, instances and pipelines; a component's attachment, spec
    # and template file. Initial columns are empty for a create.
    Column("template_name", String(100)),
    Column("initial_major_version", Integer),
    Column("initial_minor_version", Integer),
    Column("initial_spec", Text),
    Column("target_major_version", Integer),
    Column("target_minor_version", Integer),
    Column("target_spec", Text),
    Column("initial_service_name", String(100)),
    Column("initial_service_instance_name", String(100)),
    Column("initial_template_file", Text),
    Column("target_service_name", String(100)),
    Column("target_service_instance_name", String(100)),
    Column("target_template_file", Text),
    Column("previous_attempted_id", String(36)),
    Column("previous_succeeded_id", String(36)),
    # An instance deployment's state: the environment's and the pipeline's last successful deployments at its start.
    Column("last_successful_environment_deployment_id", String(36)),
    Column("last_successful_pipeline_deployment_id", String(36)),
    # [decided] C-14: ... and the last successful deployment of the component attached to it.
    Column("last_successful_component_deployment_id", String(36)),
    # JSON lists of the model's Output and ProvisionedResource: what the deployment produced.
    Column("outputs", Text, nullable=False),
    Column("provisioned_resources", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger),
    Index("ix_deployments_by_scope", "account_id", "region", "created_at", "id"),
    Index("ix_deployments_by_environment", "account_id", "region", "environment_name", "created_at", "id"),
    Index("ix_deployments_by_service", "account_id", "region", "service_name", "created_at", "id"),
    Index("ix_deployments_by_component", "account_id", "region", "component_name", "created_at", "id"),
)

# The settle policy set at run time (admin interface, mock handle): one row, shared by every replica.
# Without a row, each process uses the policy it was started with.
settle_policy = Table(
    "settle_policy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("policy", String(16), nullable=False),
    Column("delay_ms", BigInteger, nullable=False),
    Column("message", Text),
)

# -- services (../shared/spec/services.md) -----------------------------------------------------------------

service_templates, service_template_versions = _template_tables(
    "service",
    "pipeline_provisioning",
    # JSON: the model's CompatibleEnvironmentTemplate list, and the supported component sources (or null).
    Column("compatible_environment_templates", Text, nullable=False),
    Column("supported_component_sources", Text),
)

services = Table(
    "services",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("description", Text),
    Column("template_name", String(100), nullable=False),
    Column("spec", Text, nullable=False),
    Column("repository_connection_arn", String(2048)),
    Column("repository_id", String(200)),
    Column("branch_name", String(200)),
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    # The status as last stored. While an operation (CREATE, UPDATE, DELETE) is under way, reads compute it
    # from that operation's deployments (a JSON list of their ids), as of the read's time.
    Column("status", String(40), nullable=False),
    Column("status_message", Text),
    Column("operation", String(16)),
    Column("operation_deployments", Text, nullable=False),
)

service_instances = Table(
    "service_instances",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("service_name", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("environment_name", String(100), nullable=False),
    # As for environments: the version and spec of the last deployment that succeeded (of the creating one
    # until then); a deployment's target is in its own row.
    Column("template_name", String(100), nullable=False),
    Column("template_major_version", Integer, nullable=False),
    Column("template_minor_version", Integer, nullable=False),
    Column("spec", Text),
    Column("last_client_request_token", String(64)),
    Column("last_client_request_digest", String(64)),
    Column("created_at", BigInteger, nullable=False),
    *_mirror(),
    # An environment in use by instances cannot be deleted; a version in use cannot go.
    Index("ix_service_instances_by_environment", "account_id", "region", "environment_name"),
    Index("ix_service_instances_by_template", "account_id", "region", "template_name"),
)

service_pipelines = Table(
    "service_pipelines",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("service_name", String(100), primary_key=True),
    Column("id", String(36), nullable=False),
    Column("template_name", String(100), nullable=False),
    Column("template_major_version", Integer, nullable=False),
    Column("template_minor_version", Integer, nullable=False),
    Column("spec", Text),
    Column("created_at", BigInteger, nullable=False),
    *_mirror(),
    Index("ix_service_pipelines_by_template", "account_id", "region", "template_name"),
)

account_settings = Table(
    "account_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("pipeline_service_role_arn", String(2048)),
    Column("pipeline_codebuild_role_arn", String(2048)),
    Column("repository_provider", String(32)),
    Column("repository_name", String(100)),
    Column("repository_branch", String(200)),
)

# -- components (../shared/spec/components.md) -------------------------------------------------------------

components = Table(
    "components",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(100), primary_key=True),
    # [decided] C-1: a component never changes environment.
    Column("environment_name", String(100), nullable=False),
    Column("description", Text),
    # [decided] C-2: the attachment, serviceSpec and template file of the last successful deployment (of the
    # creating request until one succeeds); a deployment under way holds its own in the deployment's row.
    Column("service_name", String(100)),
    Column("service_instance_name", String(100)),
    Column("spec", Text),
    Column("template_file", Text, nullable=False),
    Column("manifest", Text, nullable=False),
    Column("last_client_request_token", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("last_modified_at", BigInteger, nullable=False),
    *_mirror(),
    # An environment with components cannot be deleted; an instance with one attached cannot be removed.
    Index("ix_components_by_environment", "account_id", "region", "environment_name"),
)

# -- repository links and sync (../shared/spec/repositories-and-sync.md) -----------------------------------

repositories = Table(
    "repositories",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("provider", String(32), primary_key=True),
    Column("name", String(100), primary_key=True),
    # [decided] Y-2: stored and returned, never used.
    Column("connection_arn", String(200), nullable=False),
    Column("encryption_key", String(200)),
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

template_sync_configs = Table(
    "template_sync_configs",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("template_type", String(16), primary_key=True),  # ENVIRONMENT or SERVICE
    Column("template_name", String(100), primary_key=True),
    Column("repository_provider", String(32), nullable=False),
    Column("repository_name", String(100), nullable=False),
    Column("branch", String(200), nullable=False),
    Column("subdirectory", String(4096)),
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # A link cannot go while a config names it; ListRepositorySyncDefinitions lists a link's configs.
    Index("ix_template_sync_configs_by_repository", "account_id", "region", "repository_provider", "repository_name"),
)

service_sync_configs = Table(
    "service_sync_configs",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("service_name", String(100), primary_key=True),
    Column("repository_provider", String(32), nullable=False),
    Column("repository_name", String(100), nullable=False),
    Column("branch", String(200), nullable=False),
    Column("file_path", String(4096), nullable=False),
    Column("parameters_digest", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_service_sync_configs_by_repository", "account_id", "region", "repository_provider", "repository_name"),
)

# -- what sync runs remember (repositories-and-sync.md Y-6 to Y-17) -----------------------------------------

# [decided] Y-6: run-time entries of the repository map, kept here so every replica follows them.
repository_map = Table(
    "repository_map",
    metadata,
    Column("key", String(140), primary_key=True),  # "<PROVIDER>:<name>", the provider in upper case
    # Null: an entry given at start, removed at run time (the key is unmapped until it is put again).
    Column("url", Text),
    Column("mode", String(8)),  # branch or direct
    Column("accounts", Text),  # JSON list of the accounts it serves, or null: every account
    Column("updated_at", BigInteger, nullable=False),
)


# [decided] Y-8: one row per unit (a link of an account and region, a branch, a sync type): its lease, so one
# run at a time across replicas, and the heads its last run fetched, so the poller runs only units that moved.
sync_units = Table(
    "sync_units",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("repository_provider", String(32), primary_key=True),
    Column("repository_name", String(100), primary_key=True),
    Column("branch", String(200), primary_key=True),
    Column("sync_type", String(16), primary_key=True),  # TEMPLATE_SYNC or SERVICE_SYNC
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    Column("heads", Text),  # JSON {branch: sha} of the last run's fetch
)

# [decided] Y-9: repository attempts, one per run (QUEUED ones wait for the unit's lease).
sync_attempts = Table(
    "sync_attempts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("repository_provider", String(32), nullable=False),
    Column("repository_name", String(100), nullable=False),
    Column("branch", String(200), nullable=False),
    Column("sync_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of the model's RepositorySyncEvent
    Index(
        "ix_sync_attempts_by_unit",
        "account_id",
        "region",
        "repository_provider",
        "repository_name",
        "branch",
        "sync_type",
        "seq",
    ),
)

# [decided] Y-9: resource attempts, one per target a run changes or fails to change.
resource_sync_attempts = Table(
    "resource_sync_attempts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("sync_type", String(16), nullable=False),
    # "<TYPE>/<templateName>" with its major, or "<serviceName>/<instanceName>" with major "".
    Column("target", String(210), nullable=False),
    Column("major", String(20), nullable=False),
    Column("repository_attempt_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("target_revision", Text, nullable=False),  # JSON Revision
    Column("initial_revision", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of ResourceSyncEvent recorded so far
    # An instance's deployment: until it ends the attempt reads IN_PROGRESS, then as the deployment ended.
    Column("deployment_id", String(36)),
    Index("ix_resource_sync_attempts_by_target", "account_id", "region", "sync_type", "target", "major", "seq"),
)

# [decided] Y-12, Y-13, Y-16: per target, what sync last made of it and the desired state of the last run.
sync_records = Table(
    "sync_records",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("sync_type", String(16), primary_key=True),
    Column("target", String(210), primary_key=True),
    Column("major", String(20), primary_key=True),
    Column("version", String(20)),  # template sync: the last minor it created ("1.1")
    Column("tree_id", String(64)),  # and the git tree it created it from
    Column("desired_state", Text),  # JSON Revision
)

# Sync blockers ([doc]; [decided] Y-17): manual changes of a synced service stop its sync until resolved.
sync_blockers = Table(
    "sync_blockers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("service_name", String(100), nullable=False),
    Column("service_instance_name", String(100)),  # null: a blocker on the whole service
    Column("type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_reason", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("resolved_reason", Text),
    Column("resolved_at", BigInteger),
    Index("ix_sync_blockers_by_target", "account_id", "region", "service_name", "service_instance_name", "created_at"),
)

# [decided] B-4: each registered bundle, kept for later renders (and carried by export, as base64).
template_bundles = Table(
    "template_bundles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# [decided] P-6: what a deployment rendered, and (provisioners) its log.
deployment_renders = Table(
    "deployment_renders",
    metadata,
    Column("deployment_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("provisioner", String(16), nullable=False),
    Column("files", Text, nullable=False),  # JSON [{"path", "content"}]
    Column("log", Text),
    # [decided] P-22, P-23: a self-managed deployment's pushed branch, JSON {"key", "branch", "target", "commit"},
    # so a cancel can delete it after its job has ended.
    Column("pushed", Text),
    Column("created_at", BigInteger, nullable=False),
)

# [decided] P-10, P-11: a deployment a provisioner runs, written in the transaction that starts it; a worker
# claims it by lease, keeps what it must remember across a restart in `state`, and deletes it with the ending.
provisioning_jobs = Table(
    "provisioning_jobs",
    metadata,
    Column("deployment_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("provisioner", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # CREATE, UPDATE, DELETE, or CANCEL (P-23: a branch to delete)
    Column("state", Text, nullable=False),  # JSON
    # [decided] P-19: the SHA-256 of a running CodeBuild run's callback token (the token itself is never kept).
    Column("run_token", String(64), unique=True),
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    # [decided] P-17, P-23: when a cancel asked the job's provisioner to stop (it ends the deployment itself).
    Column("cancelled_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_provisioning_jobs_by_age", "created_at"),
)

# [decided] P-14: a target's stack is named once and kept for the target's life.
target_stacks = Table(
    "target_stacks",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("target_arn", String(1011), primary_key=True),
    Column("target_resource_created_at", BigInteger, primary_key=True),
    Column("stack_name", String(128), nullable=False),
    Column("stack_region", String(32), nullable=False),
)
