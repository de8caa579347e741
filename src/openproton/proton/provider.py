"""The thin provider: operation name -> the family that answers it, inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openproton.protocol.errors import NotImplementedException
from openproton.protocol.pipeline import RequestContext
from openproton.settings import Settings
from openproton.store import Database, Scope

from . import account_connections, deployments, environments, templates
from .account_connections import AccountConnections
from .audit import AuditLog
from .call import Call
from .clock import Clock
from .deployments import Deployments, SettlePolicy
from .environments import Environments
from .idempotency import ClientTokens
from .tagging import Tags
from .templates import EnvironmentTemplates

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
    "NotifyResourceDeploymentStatusChange": ("environments", "notify", WRITE),
    "GetDeployment": ("deployments", "get", READ),
    "ListDeployments": ("deployments", "list", READ),
    "DeleteDeployment": ("deployments", "delete", WRITE),
    "ListTagsForResource": ("tags", "list_tags_for_resource", READ),
    "TagResource": ("tags", "tag_resource", WRITE),
    "UntagResource": ("tags", "untag_resource", WRITE),
}


class ProtonProvider:
    def __init__(self, database: Database, settings: Settings, clock: Clock, audit: AuditLog) -> None:
        self.database = database
        self.clock = clock
        self.audit = audit
        self.tags = Tags()
        self.connections = AccountConnections(settings, ClientTokens(settings.client_token_ttl_seconds), self.tags)
        self.tags.register(account_connections.RESOURCE_TYPE, self.connections.check_tagging)
        self.templates = EnvironmentTemplates(self.connections.tokens, self.tags)
        self.tags.register(templates.RESOURCE_TYPE, self.templates.check_tagging)
        self.deployments = Deployments(
            SettlePolicy(settings.settle_policy, round(settings.settle_delay_seconds * 1000)), self.tags, clock
        )
        self.environments = Environments(settings.environment_quota, self.templates, self.deployments, self.tags)
        self.tags.register(environments.RESOURCE_TYPE, self.environments.check_tagging)
        self.tags.register(deployments.RESOURCE_TYPE, self.deployments.check_tagging)
        # The rules that join families: a connection or a version in use by an environment stays.
        self.deployments.find_environment = self.environments.find
        self.connections.environments_using = self.environments.using_connection
        self.templates.environments_using = self.environments.using_version
        self.operations: dict[str, tuple[Handler, bool]] = {
            name: (getattr(getattr(self, family), method), write) for name, (family, method, write) in ROUTES.items()
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
        with self.database.transaction(write=write) as tx:
            call = Call(context, self.database, tx, scope, self.clock.now_ms(), write)
            result = handler(call, params)
            # The record commits with the change it describes, or neither does.
            self.audit.record_success(tx, context, params, result)
            return result
