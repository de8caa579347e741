"""GetResourcesSummary (components.md): the dashboard's counts of the caller's account and region.

Computed at the call from stored state, as every read sees it (deployments the policy ended count as ended),
nothing cached. Every query is keyed by the caller's scope, the leading columns of each table's primary key,
so the cost follows what the caller has, never how many other accounts there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openproton.store import components as component_store
from openproton.store import environments as environment_store
from openproton.store import services as service_store
from openproton.store.templates import ENVIRONMENT_TEMPLATES, SERVICE_TEMPLATES

from .call import Call
from .deployment_view import DELETE_FAILED, FAILED
from .deployments import Deployments
from .services import Services
from .targets import COMPONENT, ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE, Row, TargetKind
from .templates import Templates

UP_TO_DATE, BEHIND_MINOR, BEHIND_MAJOR = "upToDate", "behindMinor", "behindMajor"
# From least to most stale: a service is as stale as its stalest part ([decided] R-5).
_STALENESS = (UP_TO_DATE, BEHIND_MINOR, BEHIND_MAJOR)
# [decided] R-3: the statuses that count as failed.
FAILED_DEPLOYMENTS = (FAILED, DELETE_FAILED)
FAILED_SERVICES = (
    "CREATE_FAILED",
    "CREATE_FAILED_CLEANUP_COMPLETE",
    "CREATE_FAILED_CLEANUP_FAILED",
    "CREATE_FAILED_CLEANUP_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_FAILED_CLEANUP_COMPLETE",
    "UPDATE_FAILED_CLEANUP_FAILED",
    "UPDATE_FAILED_CLEANUP_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_FAILED",
    "DELETE_FAILED",
)


class ResourcesSummary:
    def __init__(self, deployments: Deployments, service_templates: Templates, services: Services) -> None:
        self.deployments = deployments
        self.service_templates = service_templates
        self.services = services

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        tx, scope = call.tx, call.scope
        instances = self._live(call, SERVICE_INSTANCE, service_store.all_instances(tx, scope))
        pipelines = self._live(call, SERVICE_PIPELINE, service_store.all_pipelines(tx, scope))
        components = self._live(call, COMPONENT, component_store.all_in_scope(tx, scope))
        environments = self._live(call, ENVIRONMENT, environment_store.all_environments(tx, scope))
        services = [self.services.current(call, row) for row in service_store.all_services(tx, scope)]
        staleness = _Staleness(self.service_templates, call)
        instance_staleness = [staleness.of(row) for row in instances]
        pipeline_staleness = [staleness.of(row) for row in pipelines]
        # [decided] R-5: a service is as stale as its stalest instance or pipeline; with neither, up to date.
        parts: dict[str, list[str]] = {}
        for row, stale in zip([*instances, *pipelines], [*instance_staleness, *pipeline_staleness], strict=True):
            parts.setdefault(row["service_name"], []).append(stale)
        live_services = [s for s in services if s is not None]
        service_staleness = [max(parts.get(s["name"], [UP_TO_DATE]), key=_STALENESS.index) for s in live_services]
        # [decided] R-1: every member of a row, zeros included; nothing else.
        return {
            "counts": {
                "environmentTemplates": {"total": ENVIRONMENT_TEMPLATES.count_templates(tx, scope)},
                "serviceTemplates": {"total": SERVICE_TEMPLATES.count_templates(tx, scope)},
                "environments": {"total": len(environments)},
                "components": {
                    "total": len(components),
                    "failed": _failed(row["deployment_status"] for row in components),
                },
                "serviceInstances": _deployed(instances, instance_staleness),
                "pipelines": _deployed(pipelines, pipeline_staleness),
                "services": {
                    **_counted(service_staleness),
                    "failed": sum(1 for s in live_services if s["status"] in FAILED_SERVICES),
                },
            }
        }

    def _live(self, call: Call, kind: TargetKind, rows: Iterable[Row]) -> list[Row]:
        """[decided] R-2: every resource that exists now, in any status."""
        return [row for row in (self.deployments.current(call, kind, row)[0] for row in rows) if row is not None]


class _Staleness:
    """[decided] R-4: how far a resource's version is behind its template's, each template read once."""

    def __init__(self, templates: Templates, call: Call) -> None:
        self.templates = templates
        self.call = call
        self.published: dict[str, list[tuple[int, int]]] = {}

    def of(self, row: Row) -> str:
        name = row["template_name"]
        published = self.published.get(name)
        if published is None:
            versions = self.templates.versions(self.call, name)
            published = self.published[name] = sorted((v.major, v.minor) for v in versions if v.status == "PUBLISHED")
        if not published:
            return UP_TO_DATE
        major, minor = row["template_major_version"], row["template_minor_version"]
        if published[-1][0] > major:  # the recommended version: the highest published
            return BEHIND_MAJOR
        if max((m for number, m in published if number == major), default=-1) > minor:
            return BEHIND_MINOR
        return UP_TO_DATE


def _failed(statuses: Iterable[str]) -> int:
    return sum(1 for status in statuses if status in FAILED_DEPLOYMENTS)


def _counted(staleness: list[str]) -> dict[str, int]:
    """[decided] R-4: total, and the three staleness counts that sum to it."""
    return {"total": len(staleness), **{key: staleness.count(key) for key in _STALENESS}}


def _deployed(rows: list[Row], staleness: list[str]) -> dict[str, int]:
    return {**_counted(staleness), "failed": _failed(row["deployment_status"] for row in rows)}
