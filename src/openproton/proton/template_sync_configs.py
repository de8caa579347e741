"""Template sync configs (repositories-and-sync.md, [decided] Y-10) and ListRepositorySyncDefinitions (Y-13).

A config says which link and branch a template's versions sync from. It is checked and stored here; the runs
that read the repository are sync's work.
"""

from __future__ import annotations

from typing import Any

from openproton.store import repositories as repository_store
from openproton.store import sync_state
from openproton.store import template_sync_configs as store

from .call import Call
from .errors import ConflictException, ResourceNotFoundException, ValidationException
from .idempotency import digest
from .relations import Relations
from .service_templates import ServiceTemplates
from .templates import Templates

Row = dict[str, Any]
TEMPLATE_SYNC = "TEMPLATE_SYNC"


def _wire(row: Row) -> dict[str, Any]:
    return {
        "branch": row["branch"],
        "repositoryName": row["repository_name"],
        "repositoryProvider": row["repository_provider"],
        "subdirectory": row["subdirectory"],
        "templateName": row["template_name"],
        "templateType": row["template_type"],
    }


def config_not_found(template_type: str, name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested template sync config does not exist: {template_type}/{name}")


class TemplateSyncConfigs:
    def __init__(self, templates: Templates, service_templates: ServiceTemplates, relations: Relations) -> None:
        self.templates = {"ENVIRONMENT": templates, "SERVICE": service_templates}
        self.relations = relations

    def _check(self, call: Call, params: dict[str, Any]) -> None:
        """[decided] Y-10: the template exists, the link exists (Y-5), no `..` in the subdirectory."""
        templates = self.templates[params["templateType"]]
        if templates.store.get_template(call.tx, call.scope, params["templateName"]) is None:
            raise ValidationException(f"{templates.family.noun.capitalize()} {params['templateName']} does not exist")
        self.relations.check_linked(call, {"provider": params["repositoryProvider"], "name": params["repositoryName"]})
        subdirectory = params.get("subdirectory")
        if subdirectory is not None and ".." in subdirectory.split("/"):
            raise ValidationException(f"subdirectory {subdirectory!r} must not contain a `..` segment.")

    def _columns(self, params: dict[str, Any]) -> Row:
        return {
            "repository_provider": params["repositoryProvider"],
            "repository_name": params["repositoryName"],
            "branch": params["branch"],
            "subdirectory": params.get("subdirectory"),
            "parameters_digest": digest(params),
        }

    def _load(self, call: Call, params: dict[str, Any]) -> Row:
        row = store.get(call.tx, call.scope, params["templateType"], params["templateName"])
        if row is None:
            raise config_not_found(params["templateType"], params["templateName"])
        return row

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        template_type, name = params["templateType"], params["templateName"]
        self._check(call, params)  # takes the scope's lock (check_linked) before reading the config
        existing = store.get(call.tx, call.scope, template_type, name)
        if existing is not None:
            # [doc] one config per template and type; [decided] Y-3: the same members return it
            if existing["parameters_digest"] != digest(params):
                raise ConflictException(f"Template {template_type}/{name} already has a sync config")
            return {"templateSyncConfig": _wire(existing)}
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "template_type": template_type,
            "template_name": name,
            **self._columns(params),
            "created_at": call.now_ms,
        }
        store.insert(call.tx, row)
        return {"templateSyncConfig": _wire(row)}

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"templateSyncConfig": _wire(self._load(call, params))}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] Y-10: everything but the template's name and type changes, with create's checks."""
        row = self._load(call, params)  # a missing config is not found before anything else is checked
        self._check(call, params)
        changes = self._columns(params)
        store.update(call.tx, call.scope, row["template_type"], row["template_name"], changes)
        return {"templateSyncConfig": _wire({**row, **changes})}

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] Y-10: returns the config and keeps every version."""
        row = self._load(call, params)
        store.delete(call.tx, call.scope, row["template_type"], row["template_name"])
        # [decided] Y-10: its attempts and records go with it.
        sync_state.forget_target(call.tx, call.scope, "TEMPLATE_SYNC", f"{row['template_type']}/{row['template_name']}")
        return {"templateSyncConfig": _wire(row)}

    def list_definitions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] Y-13: a template sync config per definition, by type then name; an unlinked repository has
        none."""
        if params["syncType"] != TEMPLATE_SYNC:
            raise ValidationException("Only TEMPLATE_SYNC is supported")
        provider, name = params["repositoryProvider"], params["repositoryName"]
        if repository_store.get(call.tx, call.scope, provider, name) is None:
            return {"syncDefinitions": []}
        return {
            "syncDefinitions": [
                {
                    "branch": row["branch"],
                    "directory": row["subdirectory"] or "/",
                    "parent": row["template_name"],
                    "target": f"{row['template_type']}/{row['template_name']}",
                }
                for row in store.of_repository(call.tx, call.scope, provider, name)
            ]
        }
