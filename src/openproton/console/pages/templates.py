"""Environment templates: the list in the caller's account and region, and one template with its versions."""

from __future__ import annotations

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit


class TemplatePages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {
            ("templates", 1, "GET"): self.templates,
            ("templates", 2, "GET"): self.template,
        }

    def templates(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self.api(visit).pages("ListEnvironmentTemplates", {}, "templates")
        except ApiError as failure:
            items, error = [], failure
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
        content = table(
            ["Template", "Display name", "Recommended version", "Provisioning", "Created"],
            rows,
            empty="No environment templates in this account and region.",
            caption="Environment templates",
        )
        return self.render(visit, "Environment templates", content, section="templates", error=error)

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
