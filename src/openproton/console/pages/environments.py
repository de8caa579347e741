"""Environments: the list in the caller's account and region, and one environment with its deployments, the
service instances that run in it and its components."""

from __future__ import annotations

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit
from .deployments import deployment_link
from .services import attachment, component_link


class EnvironmentPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {
            ("environments", 1, "GET"): self.environments,
            ("environments", 2, "GET"): self.environment,
        }

    def environments(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self.api(visit).pages("ListEnvironments", {}, "environments")
        except ApiError as failure:
            items, error = [], failure
        rows = [
            [
                f'<a href="{url("environments", item["name"])}">{e(item["name"])}</a>',
                e(f"{item['templateName']} {item['templateMajorVersion']}.{item['templateMinorVersion']}"),
                status(item["deploymentStatus"]),
                e(item.get("environmentAccountId")),
                when(item.get("lastDeploymentAttemptedAt")),
            ]
            for item in items
        ]
        content = table(
            ["Environment", "Template version", "Deployment", "Environment account", "Last attempted"],
            rows,
            empty="No environments in this account and region.",
            caption="Environments",
        )
        return self.render(visit, "Environments", content, section="environments", error=error)

    def environment(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self.api(visit)
        try:
            item = api.call("GetEnvironment", {"name": name})["environment"]
            history = api.pages("ListDeployments", {"environmentName": name}, "deployments", limit=100)
            outputs = api.call("ListEnvironmentOutputs", {"environmentName": name})["outputs"]
            running = api.pages(
                "ListServiceInstances", {"filters": [{"key": "environmentName", "value": name}]}, "serviceInstances"
            )
            components = api.pages("ListComponents", {"environmentName": name}, "components")
        except ApiError as failure:
            return self.unreadable(
                visit,
                "Environment",
                f'<p><a href="{url("environments")}">All environments</a></p>',
                section="environments",
                error=failure,
            )
        facts = details(
            [
                ("Deployment status", status(item["deploymentStatus"])),
                ("Status message", e(item.get("deploymentStatusMessage"))),
                (
                    "Template",
                    e(f"{item['templateName']} {item['templateMajorVersion']}.{item['templateMinorVersion']}"),
                ),
                ("Connection", e(item.get("environmentAccountConnectionId"))),
                ("Environment account", e(item.get("environmentAccountId"))),
                ("Created", when(item.get("createdAt"))),
                ("Last attempted", when(item.get("lastDeploymentAttemptedAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        deployments = table(
            ["Deployment", "Status", "Created", "Completed"],
            (
                [
                    deployment_link(d["id"]),
                    status(d["deploymentStatus"]),
                    when(d.get("createdAt")),
                    when(d.get("completedAt")),
                ]
                for d in history
            ),
            empty="No deployments.",
            caption="Deployments",
        )
        produced = table(
            ["Key", "Value"],
            ([e(o.get("key")), e(o.get("valueString"))] for o in outputs),
            empty="No outputs.",
            caption="Outputs",
        )
        instances = table(
            ["Instance", "Service", "Deployment"],
            (
                [
                    f'<a href="{url("services", i["serviceName"], "instances", i["name"])}">{e(i["name"])}</a>',
                    f'<a href="{url("services", i["serviceName"])}">{e(i["serviceName"])}</a>',
                    status(i.get("deploymentStatus")),
                ]
                for i in running
            ),
            empty="No service instances run in this environment.",
            caption="Service instances",
        )
        # Attached or detached, as ListComponents shows them (the attachment of their last successful deployment).
        members = table(
            ["Component", "Attached to", "Deployment", "Last attempted"],
            (
                [
                    component_link(c["name"]),
                    attachment(c),
                    status(c.get("deploymentStatus")),
                    when(c.get("lastDeploymentAttemptedAt")),
                ]
                for c in components
            ),
            empty="No components in this environment.",
            caption="Components",
        )
        content = (
            f'<p><a href="{url("environments")}">All environments</a></p><div class="card">{facts}</div>'
            f"<h2>Deployments</h2>{deployments}<h2>Outputs</h2>{produced}<h2>Service instances</h2>{instances}"
            f"<h2>Components</h2>{members}"
        )
        return self.render(visit, f"Environment {name}", content, section="environments")
