"""Service templates and their versions (services.md): the template code of templates.py, plus what a service
template version carries, the environment templates it runs in and the component sources it supports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from openproton.store.templates import SERVICE_TEMPLATES

from .call import Call
from .errors import ValidationException
from .idempotency import ClientTokens
from .tagging import Tags
from .template_bundles import TemplateBundles
from .templates import TemplateFamily, Templates, Version, VersionUsers, version_number

RESOURCE_TYPE = "service-template"

SERVICE_TEMPLATE = TemplateFamily(
    resource_type=RESOURCE_TYPE,
    noun="service template",
    wire_template="serviceTemplate",
    wire_version="serviceTemplateVersion",
    provisioning="pipelineProvisioning",
    store=SERVICE_TEMPLATES,
    names_by_arn=True,
    template_type="SERVICE",
)


DIRECTLY_DEFINED = "DIRECTLY_DEFINED"


def supports_directly_defined(row: dict[str, Any]) -> bool:
    """[doc] Whether the version's supportedComponentSources admits directly defined components."""
    sources = row["supported_component_sources"]
    return sources is not None and DIRECTLY_DEFINED in orjson.loads(sources)


def no_directly_defined(template: str, major: int, minor: int, detail: str = "") -> ValidationException:
    """[doc] The answer to a component on a version whose supportedComponentSources lacks DIRECTLY_DEFINED."""
    return ValidationException(
        f"Service template version {template}:{major}.{minor} doesn't support directly defined components{detail}"
    )


def compatible_of(row: dict[str, Any]) -> list[tuple[str, int]]:
    """A version's compatible environment templates as (name, major)."""
    return [
        (item["templateName"], int(item["majorVersion"]))
        for item in orjson.loads(row["compatible_environment_templates"])
    ]


class ServiceTemplates(Templates):
    family = SERVICE_TEMPLATE

    def __init__(
        self,
        tokens: ClientTokens,
        tags: Tags,
        users: VersionUsers,
        environment_templates: Templates,
        *,
        registration_delay_ms: int = 0,
        on_deleted: Callable[[Call, str, str], None] | None = None,
        bundles: TemplateBundles | None = None,
    ) -> None:
        super().__init__(
            tokens, tags, users, registration_delay_ms=registration_delay_ms, on_deleted=on_deleted, bundles=bundles
        )
        self.environment_templates = environment_templates

    def _version_columns(self, call: Call, params: dict[str, Any], version: Version | None) -> dict[str, Any]:
        columns: dict[str, Any] = {}
        if version is None or params.get("compatibleEnvironmentTemplates") is not None:
            columns["compatible_environment_templates"] = orjson.dumps(
                self._compatible(call, params["compatibleEnvironmentTemplates"])
            ).decode()
        if params.get("supportedComponentSources") is not None:
            # Returned as last given; its effect is the components spec's.
            columns["supported_component_sources"] = orjson.dumps(params["supportedComponentSources"]).decode()
        elif version is None:
            columns["supported_component_sources"] = None
        return columns

    def _compatible(self, call: Call, entries: list[dict[str, str]]) -> list[dict[str, str]]:
        """[decided] S-7: each entry names an environment template with a version in that major; once each."""
        kept: list[dict[str, str]] = []
        for entry in entries:
            name, major = entry["templateName"], entry["majorVersion"]
            item = {"majorVersion": major, "templateName": name}
            if item in kept:
                continue
            found = self.environment_templates.store.get_template(call.tx, call.scope, name) is not None and any(
                v.major == version_number(major) for v in self.environment_templates.versions(call, name)
            )
            if not found:
                raise ValidationException(f"Compatible environment template {name}:{major} does not exist")
            kept.append(item)
        return kept

    def _version_extra_wire(self, row: dict[str, Any], *, summary: bool) -> dict[str, Any]:
        if summary:
            return {}  # [doc] summaries omit the compatible list, the component sources and the schema
        sources = row["supported_component_sources"]
        return {
            "compatibleEnvironmentTemplates": orjson.loads(row["compatible_environment_templates"]),
            "supportedComponentSources": orjson.loads(sources) if sources is not None else None,
        }
