"""Templates: the environment and service templates in the caller's account and region, and one template of
either kind with its versions (a service template's with the environment templates each is compatible with)."""

from __future__ import annotations

from typing import Any

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit


class TemplatePages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {
            ("templates", 1, "GET"): self.templates,
            ("templates", 2, "GET"): self.template,
            ("service-templates", 2, "GET"): self.service_template,
        }

    def templates(self, visit: Visit) -> HttpResponse:
        error = None
        api = self.api(visit)
        try:
            items = api.pages("ListEnvironmentTemplates", {}, "templates")
        except ApiError as failure:
            items, error = [], failure
        try:
            services = api.pages("ListServiceTemplates", {}, "templates")
        except ApiError as failure:
            services, error = [], error or failure
        rows = [
            [
                f'<a href="{url("templates", item["name"])}">{e(item["name"])}</a>',
                e(item.get("displayName")),
                e(item.get("recommendedVersion")),
                e(item.get("provisioning")),
                when(item.get("createdAt")),
            ]
            for item in items
        ]
        environment_templates = table(
            ["Template", "Display name", "Recommended version", "Provisioning", "Created"],
            rows,
            empty="No environment templates in this account and region.",
            caption="Environment templates",
        )
        service_templates = table(
            ["Template", "Display name", "Recommended version", "Pipeline", "Created"],
            (
                [
                    f'<a href="{url("service-templates", item["name"])}">{e(item["name"])}</a>',
                    e(item.get("displayName")),
                    e(item.get("recommendedVersion")),
                    _pipeline(item),
                    when(item.get("createdAt")),
                ]
                for item in services
            ),
            empty="No service templates in this account and region.",
            caption="Service templates",
        )
        content = f"<h2>Environment templates</h2>{environment_templates}<h2>Service templates</h2>{service_templates}"
        return self.render(visit, "Templates", content, section="templates", error=error)

    def template(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self.api(visit)
        try:
            item = api.call("GetEnvironmentTemplate", {"name": name})["environmentTemplate"]
            versions = api.pages("ListEnvironmentTemplateVersions", {"templateName": name}, "templateVersions")
        except ApiError as failure:
            return self.unreadable(
                visit,
                "Template",
                f'<p><a href="{url("templates")}">All templates</a></p>',
                section="templates",
                error=failure,
            )
        facts = details(
            [
                ("Display name", e(item.get("displayName"))),
                ("Description", e(item.get("description"))),
                ("Recommended version", e(item.get("recommendedVersion"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        rows = table(
            ["Version", "Status", "Recommended minor", "Created"],
            (
                [
                    e(f"{v['majorVersion']}.{v['minorVersion']}"),
                    status(v["status"]),
                    e(v.get("recommendedMinorVersion")),
                    when(v.get("createdAt")),
                ]
                for v in versions
            ),
            empty="No versions.",
            caption="Versions",
        )
        content = (
            f'<p><a href="{url("templates")}">All templates</a></p><div class="card">{facts}</div>'
            f"<h2>Versions</h2>{rows}"
        )
        return self.render(visit, f"Template {name}", content, section="templates")

    def service_template(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self.api(visit)
        try:
            item = api.call("GetServiceTemplate", {"name": name})["serviceTemplate"]
            listed = api.pages("ListServiceTemplateVersions", {"templateName": name}, "templateVersions", limit=100)
            # The summaries leave out the compatible environment templates: each version's own read has them.
            versions = [
                api.call(
                    "GetServiceTemplateVersion",
                    {"templateName": name, "majorVersion": v["majorVersion"], "minorVersion": v["minorVersion"]},
                )["serviceTemplateVersion"]
                for v in listed
            ]
        except ApiError as failure:
            return self.unreadable(
                visit,
                "Service template",
                f'<p><a href="{url("templates")}">All templates</a></p>',
                section="templates",
                error=failure,
            )
        facts = details(
            [
                ("Display name", e(item.get("displayName"))),
                ("Description", e(item.get("description"))),
                ("Recommended version", e(item.get("recommendedVersion"))),
                ("Pipeline", _pipeline(item)),
                ("ARN", arn(item["arn"])),
            ]
        )
        rows = table(
            ["Version", "Status", "Recommended minor", "Compatible environment templates", "Created"],
            (
                [
                    e(f"{v['majorVersion']}.{v['minorVersion']}"),
                    status(v["status"]),
                    e(v.get("recommendedMinorVersion")),
                    ", ".join(
                        f'<a href="{url("templates", c["templateName"])}">{e(c["templateName"])}</a> '
                        f"{e(c['majorVersion'])}"
                        for c in v.get("compatibleEnvironmentTemplates", [])
                    ),
                    when(v.get("createdAt")),
                ]
                for v in versions
            ),
            empty="No versions.",
            caption="Versions",
        )
        content = (
            f'<p><a href="{url("templates")}">All templates</a></p><div class="card">{facts}</div>'
            f"<h2>Versions</h2>{rows}"
        )
        return self.render(visit, f"Service template {name}", content, section="templates")


def _pipeline(item: dict[str, Any]) -> str:
    """Whether a service template's services get a pipeline from Proton (no `pipelineProvisioning`)."""
    return "Customer managed" if item.get("pipelineProvisioning") == "CUSTOMER_MANAGED" else "Provisioned by Proton"
