"""The thin provider: operation name -> the family that answers it, inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openproton.bundles.sources import source_from
from openproton.protocol.errors import NotImplementedException
from openproton.protocol.pipeline import RequestContext
from openproton.settings import Settings
from openproton.store import Database, Scope

from . import (
    account_connections,
    components,
    deployment_records,
    environments,
    repositories,
    service_templates,
    services,
    templates,
)
from .account_connections import AccountConnections
from .account_settings import AccountSettings
from .audit import AuditLog
from .call import Call
from .clock import Clock
from .components import Components
from .deployment_records import DeploymentRecords, Finders
from .deployments import Deployments, SettlePolicy
from .environments import Environments
from .idempotency import ClientTokens
from .provisioners import JOBS_POSTED, JobBoard
from .relations import Relations
from .rendering import Renderer
from .repositories import Repositories
from .resources_summary import ResourcesSummary
from .service_deployments import ServiceParts, fail_pipeline_with_instance
from .service_instances import ServiceInstances
from .service_pipelines import ServicePipelines
from .service_sync_configs import ServiceSyncConfigs
from .service_templates import ServiceTemplates
from .services import Services
from .sync_blockers import ManualChanges, SyncBlockers
from .sync_status import SyncStatus
from .tagging import Tags
from .targets import SERVICE_INSTANCE
from .template_bundles import TemplateBundles
from .template_sync_configs import TemplateSyncConfigs
from .templates import Templates

Handler = Callable[[Call, dict[str, Any]], dict[str, Any]]

READ, WRITE = False, True

# Operation -> (family attribute, method, whether it writes). Writers take the write lock up front.
ROUTES: dict[str, tuple[str, str, bool]] = {
    "AcceptEnvironmentAccountConnection": ("connections", "accept", WRITE),
    "CreateEnvironmentAccountConnection": ("connections", "create", WRITE),
    "DeleteEnvironmentAccountConnection": ("connections", "delete", WRITE),
    "GetEnvironmentAccountConnection": ("connections", "get", READ),
    "ListEnvironmentAccountConnections": ("connections", "list", READ),
    "RejectEnvironmentAccountConnection": ("connections", "reject", WRITE),
    "UpdateEnvironmentAccountConnection": ("connections", "update", WRITE),
    "CreateEnvironmentTemplate": ("templates", "create_template", WRITE),
    "GetEnvironmentTemplate": ("templates", "get_template", READ),
    "ListEnvironmentTemplates": ("templates", "list_templates", READ),
    "UpdateEnvironmentTemplate": ("templates", "update_template", WRITE),
    "DeleteEnvironmentTemplate": ("templates", "delete_template", WRITE),
    "CreateEnvironmentTemplateVersion": ("templates", "create_version", WRITE),
    "GetEnvironmentTemplateVersion": ("templates", "get_version", READ),
    "ListEnvironmentTemplateVersions": ("templates", "list_versions", READ),
    "UpdateEnvironmentTemplateVersion": ("templates", "update_version", WRITE),
    "DeleteEnvironmentTemplateVersion": ("templates", "delete_version", WRITE),
    "CreateEnvironment": ("environments", "create", WRITE),
    "GetEnvironment": ("environments", "get", READ),
    "ListEnvironments": ("environments", "list", READ),
    "UpdateEnvironment": ("environments", "update", WRITE),
    "DeleteEnvironment": ("environments", "delete", WRITE),
    "CancelEnvironmentDeployment": ("environments", "cancel", WRITE),
    "ListEnvironmentOutputs": ("environments", "list_outputs", READ),
    "ListEnvironmentProvisionedResources": ("environments", "list_provisioned_resources", READ),
    "NotifyResourceDeploymentStatusChange": ("deployment_records", "notify", WRITE),
    "GetDeployment": ("deployment_records", "get", READ),
    "ListDeployments": ("deployment_records", "list", READ),
    "DeleteDeployment": ("deployment_records", "delete", WRITE),
    "ListTagsForResource": ("tags", "list_tags_for_resource", READ),
    "TagResource": ("tags", "tag_resource", WRITE),
    "UntagResource": ("tags", "untag_resource", WRITE),
    "CreateServiceTemplate": ("service_templates", "create_template", WRITE),
    "GetServiceTemplate": ("service_templates", "get_template", READ),
    "ListServiceTemplates": ("service_templates", "list_templates", READ),
    "UpdateServiceTemplate": ("service_templates", "update_template", WRITE),
    "DeleteServiceTemplate": ("service_templates", "delete_template", WRITE),
    "CreateServiceTemplateVersion": ("service_templates", "create_version", WRITE),
    "GetServiceTemplateVersion": ("service_templates", "get_version", READ),
    "ListServiceTemplateVersions": ("service_templates", "list_versions", READ),
    "UpdateServiceTemplateVersion": ("service_templates", "update_version", WRITE),
    "DeleteServiceTemplateVersion": ("service_templates", "delete_version", WRITE),
    "CreateService": ("services", "create", WRITE),
    "GetService": ("services", "get", READ),
    "ListServices": ("services", "list", READ),
    "UpdateService": ("services", "update", WRITE),
    "DeleteService": ("services", "delete", WRITE),
    "CreateServiceInstance": ("instances", "create", WRITE),
    "GetServiceInstance": ("instances", "get", READ),
    "ListServiceInstances": ("instances", "list", READ),
    "UpdateServiceInstance": ("instances", "update", WRITE),
    "CancelServiceInstanceDeployment": ("instances", "cancel", WRITE),
    "ListServiceInstanceOutputs": ("instances", "list_outputs", READ),
    "ListServiceInstanceProvisionedResources": ("instances", "list_provisioned_resources", READ),
    "UpdateServicePipeline": ("pipelines", "update", WRITE),
    "CancelServicePipelineDeployment": ("pipelines", "cancel", WRITE),
    "ListServicePipelineOutputs": ("pipelines", "list_outputs", READ),
    "ListServicePipelineProvisionedResources": ("pipelines", "list_provisioned_resources", READ),
    "GetAccountSettings": ("account_settings", "get", READ),
    "UpdateAccountSettings": ("account_settings", "update", WRITE),
    "CreateComponent": ("components", "create", WRITE),
    "GetComponent": ("components", "get", READ),
    "ListComponents": ("components", "list", READ),
    "UpdateComponent": ("components", "update", WRITE),
    "DeleteComponent": ("components", "delete", WRITE),
    "CancelComponentDeployment": ("components", "cancel", WRITE),
    "ListComponentOutputs": ("components", "list_outputs", READ),
    "ListComponentProvisionedResources": ("components", "list_provisioned_resources", READ),
    "GetResourcesSummary": ("resources_summary", "get", READ),
    "CreateRepository": ("repositories", "create", WRITE),
    "GetRepository": ("repositories", "get", READ),
    "ListRepositories": ("repositories", "list", READ),
    "DeleteRepository": ("repositories", "delete", WRITE),
    "CreateTemplateSyncConfig": ("template_sync_configs", "create", WRITE),
    "GetTemplateSyncConfig": ("template_sync_configs", "get", READ),
    "UpdateTemplateSyncConfig": ("template_sync_configs", "update", WRITE),
    "DeleteTemplateSyncConfig": ("template_sync_configs", "delete", WRITE),
    "ListRepositorySyncDefinitions": ("template_sync_configs", "list_definitions", READ),
    "CreateServiceSyncConfig": ("service_sync_configs", "create", WRITE),
    "GetServiceSyncConfig": ("service_sync_configs", "get", READ),
    "UpdateServiceSyncConfig": ("service_sync_configs", "update", WRITE),
    "DeleteServiceSyncConfig": ("service_sync_configs", "delete", WRITE),
    "GetRepositorySyncStatus": ("sync_status", "repository", READ),
    "GetTemplateSyncStatus": ("sync_status", "template", READ),
    "GetServiceInstanceSyncStatus": ("sync_status", "service_instance", READ),
    "GetServiceSyncBlockerSummary": ("sync_blockers", "summary", READ),
    "UpdateServiceSyncBlocker": ("sync_blockers", "update", WRITE),
}


class ProtonProvider:
    def __init__(self, database: Database, settings: Settings, clock: Clock, audit: AuditLog) -> None:
        self.database = database
        self.clock = clock
        self.audit = audit
        # Families are built in the order they depend on each other, each handed what it uses; relations.py
        # holds the rules that join them ("in use by", "provisioned in"), so no family reaches into another.
        self.tags = tags = Tags()
        # [decided] P-10: where deployments' jobs are announced to the worker that runs them.
        self.board = JobBoard()
        tokens = ClientTokens(settings.client_token_ttl_seconds)
        self.deployments = Deployments(
            SettlePolicy(settings.settle_policy, round(settings.settle_delay_seconds * 1000)),
            tags,
            clock,
            on_failed={},
        )
        # [decided] S-14: a failed instance fails its service's pipeline deployment under way.
        self.deployments.on_failed[SERVICE_INSTANCE.type] = fail_pipeline_with_instance(self.deployments)
        relations = Relations(self.deployments)
        # [decided] B-1 to B-3: the bundle source, if any; both template families register through it.
        bundles = TemplateBundles(source_from(settings))
        self.connections = AccountConnections(settings, tokens, tags, relations.environments_using_connection)
        self.templates = Templates(
            tokens, tags, relations.environments_on_version, on_deleted=relations.template_deleted, bundles=bundles
        )
        self.service_templates = ServiceTemplates(
            tokens,
            tags,
            relations.service_template_version_users,
            self.templates,
            on_deleted=relations.template_deleted,
            bundles=bundles,
        )
        # [decided] P-1: every deployment of a bundle version is rendered as it starts.
        renderer = Renderer(
            self.templates,
            self.service_templates,
            relations,
            timeout_seconds=settings.render_timeout_seconds,
            provisioners=frozenset(settings.provisioners),
        )
        self.environments = Environments(
            settings.environment_quota, self.templates, self.deployments, relations, tags, renderer
        )
        parts = ServiceParts(self.service_templates, self.deployments, relations, renderer)
        # [decided] Y-17: the rule that raises sync blockers, handed to each family whose calls are manual changes.
        manual_changes = ManualChanges()
        self.services = Services(
            (settings.service_quota, settings.service_instance_quota),
            self.service_templates,
            parts,
            relations,
            tags,
            manual_changes,
        )
        self.instances = ServiceInstances(self.services, parts, tokens, tags, manual_changes)
        self.pipelines = ServicePipelines(self.services, parts, manual_changes)
        self.account_settings = AccountSettings(relations)
        self.components = Components(settings.component_quota, parts, tokens, tags)
        self.repositories = Repositories(relations, tags)
        self.service_sync_configs = ServiceSyncConfigs(self.services, relations)
        self.template_sync_configs = TemplateSyncConfigs(self.templates, self.service_templates, relations)
        self.sync_status = SyncStatus(self.instances)
        self.sync_blockers = SyncBlockers(self.services, self.instances)
        self.resources_summary = ResourcesSummary(self.deployments, self.service_templates, self.services)
        self.deployment_records = DeploymentRecords(
            self.deployments,
            Finders(
                environment=self.environments.find,
                service=self.services.find,
                instance=self.instances.find,
                pipeline=self.pipelines.find,
                component=self.components.find,
            ),
            tags,
        )
        # Who may tag which ARNs: each family checks its own.
        for resource_type, check in (
            (account_connections.RESOURCE_TYPE, self.connections.check_tagging),
            (templates.RESOURCE_TYPE, self.templates.check_tagging),
            (environments.RESOURCE_TYPE, self.environments.check_tagging),
            (deployment_records.RESOURCE_TYPE, self.deployment_records.check_tagging),
            (service_templates.RESOURCE_TYPE, self.service_templates.check_tagging),
            (services.RESOURCE_TYPE, self.services.check_tagging),
            (components.RESOURCE_TYPE, self.components.check_tagging),
            (repositories.RESOURCE_TYPE, self.repositories.check_tagging),
        ):
            tags.register(resource_type, check)
        self.operations: dict[str, tuple[Handler, bool]] = {
            name: (getattr(getattr(self, family), method), write) for name, (family, method, write) in ROUTES.items()
        }
        # [decided] B-5: operations that bring something from outside the process before their transaction.
        self.bundle_families: dict[str, Templates] = {
            "CreateEnvironmentTemplateVersion": self.templates,
            "CreateServiceTemplateVersion": self.service_templates,
        }

    @staticmethod
    def operation_names() -> frozenset[str]:
        return frozenset(ROUTES)

    def dispatch(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        entry = self.operations.get(context.operation)
        if entry is None:
            # [decided] W-2
            raise NotImplementedException(
                f"OpenProton does not implement {context.operation} yet; see `openproton coverage`."
            )
        handler, write = entry
        scope = Scope(context.account_id, context.region)
        prepared = self._prepare(context, scope, params)
        with self.database.transaction(write=write) as tx:
            call = Call(context, self.database, tx, scope, self.clock.now_ms(), write, prepared=prepared)
            result = handler(call, params)
            # The record commits with the change it describes, or neither does.
            self.audit.record_success(tx, context, params, result)
        if call.memo.get(JOBS_POSTED):
            self.board.posted()  # committed: a worker may claim the call's jobs now
        return result

    def _prepare(self, context: RequestContext, scope: Scope, params: dict[str, Any]) -> Any:
        """[decided] B-5: a version's bundle is fetched before the Create's transaction opens (no transaction
        waits on S3); what a short read decides first (a retry fetches nothing) is read again inside it."""
        family = self.bundle_families.get(context.operation)
        if family is None or family.bundles is None:
            return None
        with self.database.transaction(write=False) as tx:
            call = Call(context, self.database, tx, scope, self.clock.now_ms(), False)
            location = family.bundle_wanted(call, params)
        if location is None:
            return None
        return family.fetch_bundle(context.account_id, context.region, location)
