"""Services: the list in the caller's account and region, one service with its open sync blockers, spec, pipeline,
instances and deployments, and one service instance with its spec, attached component, outputs and deployments.
Read-only, as the API gives them (services.md, repositories-and-sync.md); the service templates are on the templates
page (templates.py), components on theirs (components.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openproton.protocol.pipeline import HttpResponse

from .. import PREFIX
from ..api import ApiError, ConsoleApi
from ..html import arn, details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit, plain
from .deployments import deployment_link

DEPLOYMENTS_SHOWN = 100


def version(item: dict[str, Any]) -> str:
    """A resource's template version as `name major.minor`, escaped."""
    major, minor = item.get("templateMajorVersion"), item.get("templateMinorVersion")
    return e(f"{item.get('templateName', '')} {major}.{minor}" if major is not None else item.get("templateName"))


def spec_block(spec: Any, *, empty: str = "No spec.") -> str:
    """A spec document as the API returns it, verbatim and escaped, in a box that scrolls sideways."""
    if not spec:
        return f"<p>{e(empty)}</p>"
    return f'<div class="card scroll"><pre class="mono">{e(spec)}</pre></div>'


def outputs_table(outputs: Iterable[dict[str, Any]], caption: str) -> str:
    return table(
        ["Key", "Value"],
        ([e(o.get("key")), e(o.get("valueString"))] for o in outputs),
        empty="No outputs.",
        caption=caption,
    )


def instance_link(service: str, instance: str) -> str:
    return f'<a href="{url("services", service, "instances", instance)}">{e(instance)}</a>'


def component_link(name: Any) -> str:
    return f'<a href="{url("components", name)}">{e(name)}</a>' if name else ""


def attachment(item: dict[str, Any]) -> str:
    """Where a component is attached: its service instance as `service/instance`, linked, or detached."""
    service, instance = item.get("serviceName"), item.get("serviceInstanceName")
    if not (service and instance):
        return "detached"
    return f'<a href="{url("services", service)}">{e(service)}</a>/{instance_link(service, instance)}'


def environment_link(name: Any) -> str:
    return f'<a href="{url("environments", name)}">{e(name)}</a>' if name else ""


def deployments_table(history: Iterable[dict[str, Any]], *, targets: bool) -> str:
    """Deployments newest first, as ListDeployments gives them; with `targets`, what each one deployed."""
    headers = ["Deployment", *(["Target"] if targets else []), "Status", "Created", "Completed"]
    rows = []
    for d in history:
        target: list[str] = []
        if targets:
            if d.get("targetResourceType") == "SERVICE_PIPELINE":
                target = ["Pipeline"]
            elif d.get("serviceInstanceName"):
                target = [instance_link(d["serviceName"], d["serviceInstanceName"])]
            else:
                target = [e(d.get("targetResourceType"))]
        rows.append(
            [
                deployment_link(d["id"]),
                *target,
                status(d["deploymentStatus"]),
                when(d.get("createdAt")),
                when(d.get("completedAt")),
            ]
        )
    return table(headers, rows, empty="No deployments.", caption="Deployments")


def active_blockers(api: ConsoleApi, service: str, instances: Iterable[str]) -> list[tuple[str | None, Any]]:
    """The ACTIVE sync blockers of the service (instance None) and of each of its instances, with their target.

    The API gives them one target at a time (GetServiceSyncBlockerSummary: the ACTIVE one first, then resolved
    ones), so this asks for the service's own and then for each instance's.
    """
    found: list[tuple[str | None, Any]] = []
    for instance in [None, *instances]:
        params = {"serviceName": service, "serviceInstanceName": instance}
        try:
            summary = api.call("GetServiceSyncBlockerSummary", params)["serviceSyncBlockerSummary"]
        except ApiError as failure:
            if instance is not None and failure.code == "ResourceNotFoundException":
                continue  # its deletion ended since the list was read: it has no blockers any more
            raise
        found += [(instance, b) for b in summary.get("latestBlockers", []) if b.get("status") == "ACTIVE"]
    return found


def blockers_section(service: str, blockers: list[tuple[str | None, Any]]) -> str:
    """The open sync blockers, or nothing at all when there are none (a service without sync has none)."""
    if not blockers:
        return ""
    rows = (
        [
            instance_link(service, instance) if instance else f"Service {e(service)}",
            e(blocker.get("createdReason")),
            when(blocker.get("createdAt")),
            f'<span class="mono">{e(blocker.get("id"))}</span>',
        ]
        for instance, blocker in blockers
    )
    listed = table(["Target", "Reason", "Created", "Blocker"], rows, empty="", caption="Sync blockers")
    return (
        "<h2>Sync blockers</h2><p>Manual changes stop git sync of their target (a service blocker: of the whole "
        "service) until the blocker is resolved with UpdateServiceSyncBlocker.</p>" + listed
    )


class ServicePages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {
            ("services", 1, "GET"): self.services,
            ("services", 2, "GET"): self.service_page,
            ("services", 4, "GET"): self.instance_page,
        }

    def services(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self.api(visit).pages("ListServices", {}, "services")
        except ApiError as failure:
            items, error = [], failure
        rows = [
            [
                f'<a href="{url("services", item["name"])}">{e(item["name"])}</a>',
                f'<a href="{url("service-templates", item["templateName"])}">{e(item["templateName"])}</a>',
                status(item.get("status")),
                e(item.get("statusMessage")),
                when(item.get("lastModifiedAt")),
            ]
            for item in items
        ]
        content = table(
            ["Service", "Template", "Status", "Status message", "Last modified"],
            rows,
            empty="No services in this account and region.",
            caption="Services",
        )
        return self.render(visit, "Services", content, section="services", error=error)

    def service_page(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self.api(visit)
        try:
            item = api.call("GetService", {"name": name})["service"]
            instances = api.pages("ListServiceInstances", {"serviceName": name}, "serviceInstances")
            history = api.pages("ListDeployments", {"serviceName": name}, "deployments", limit=DEPLOYMENTS_SHOWN)
            pipeline = item.get("pipeline")
            produced = api.call("ListServicePipelineOutputs", {"serviceName": name})["outputs"] if pipeline else []
            blockers = active_blockers(api, name, (i["name"] for i in instances))
        except ApiError as failure:
            return self.unreadable(
                visit,
                "Service",
                f'<p><a href="{url("services")}">All services</a></p>',
                section="services",
                error=failure,
            )
        repository = item.get("repositoryId")
        facts = details(
            [
                ("Status", status(item.get("status"))),
                ("Status message", e(item.get("statusMessage"))),
                ("Description", e(item.get("description"))),
                (
                    "Template",
                    f'<a href="{url("service-templates", item["templateName"])}">{e(item["templateName"])}</a>',
                ),
                ("Repository", e(f"{repository} ({item.get('branchName')})" if repository else None)),
                ("Repository connection", arn(item.get("repositoryConnectionArn"))),
                ("Created", when(item.get("createdAt"))),
                ("Last modified", when(item.get("lastModifiedAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        if pipeline:
            pipeline_html = (
                '<div class="card">'
                + details(
                    [
                        ("Template version", version(pipeline)),
                        ("Deployment status", status(pipeline.get("deploymentStatus"))),
                        ("Status message", e(pipeline.get("deploymentStatusMessage"))),
                        ("Last attempted", when(pipeline.get("lastDeploymentAttemptedAt"))),
                        ("Last succeeded", when(pipeline.get("lastDeploymentSucceededAt"))),
                        ("ARN", arn(pipeline.get("arn"))),
                    ]
                )
                + f"</div><h3>Pipeline outputs</h3>{outputs_table(produced, 'Pipeline outputs')}"
            )
        else:
            pipeline_html = "<p>This service has no pipeline: its template's pipeline is managed by the customer.</p>"
        members = table(
            ["Instance", "Environment", "Template version", "Deployment", "Last attempted"],
            (
                [
                    instance_link(name, i["name"]),
                    environment_link(i.get("environmentName")),
                    version(i),
                    status(i.get("deploymentStatus")),
                    when(i.get("lastDeploymentAttemptedAt")),
                ]
                for i in instances
            ),
            empty="No instances.",
            caption="Instances",
        )
        content = (
            f'<p><a href="{url("services")}">All services</a></p><div class="card">{facts}</div>'
            f"{blockers_section(name, blockers)}"
            f"<h2>Spec</h2>{spec_block(item.get('spec'))}"
            f"<h2>Pipeline</h2>{pipeline_html}"
            f"<h2>Instances</h2>{members}"
            f"<h2>Deployments</h2>{deployments_table(history, targets=True)}"
        )
        return self.render(visit, f"Service {name}", content, section="services")

    def instance_page(self, visit: Visit) -> HttpResponse:
        service, kind, name = visit.parts[1], visit.parts[2], visit.parts[3]
        if kind != "instances":
            return plain(404, f"There is no console page at {PREFIX}/{'/'.join(visit.parts)}.")
        api = self.api(visit)
        back = (
            f'<p><a href="{url("services", service)}">Service {e(service)}</a> · '
            f'<a href="{url("services")}">All services</a></p>'
        )
        wanted = {"serviceName": service, "serviceInstanceName": name}
        try:
            item = api.call("GetServiceInstance", {"serviceName": service, "name": name})["serviceInstance"]
            produced = api.call("ListServiceInstanceOutputs", wanted)["outputs"]
            history = api.pages("ListDeployments", wanted, "deployments", limit=DEPLOYMENTS_SHOWN)
            # One component at most is attached to an instance (components.md C-3).
            attached = api.call("ListComponents", wanted)["components"]
        except ApiError as failure:
            return self.unreadable(visit, "Service instance", back, section="services", error=failure)
        facts = details(
            [
                ("Service", f'<a href="{url("services", service)}">{e(service)}</a>'),
                ("Environment", environment_link(item.get("environmentName"))),
                ("Deployment status", status(item.get("deploymentStatus"))),
                ("Status message", e(item.get("deploymentStatusMessage"))),
                ("Template version", version(item)),
                ("Component", ", ".join(component_link(c["name"]) for c in attached) or "None attached"),
                ("Created", when(item.get("createdAt"))),
                ("Last attempted", when(item.get("lastDeploymentAttemptedAt"))),
                ("Last succeeded", when(item.get("lastDeploymentSucceededAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        content = (
            f'{back}<div class="card">{facts}</div>'
            f"<h2>Spec</h2>{spec_block(item.get('spec'))}"
            f"<h2>Outputs</h2>{outputs_table(produced, 'Outputs')}"
            f"<h2>Deployments</h2>{deployments_table(history, targets=False)}"
        )
        return self.render(visit, f"Service instance {name}", content, section="services")
