"""One deployment: what the API says of it, which provisioner runs it, the files it rendered and (codebuild) its
log (bundles-and-provisioning.md P-6, P-8). The deployment is read with GetDeployment first, so a caller sees only
its own account's; the rendered files and the log come from the admin facade, the console's way beyond the API."""

from __future__ import annotations

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit


def deployment_link(deployment_id: str) -> str:
    return f'<a class="mono" href="{url("deployments", deployment_id)}">{e(deployment_id)}</a>'


class DeploymentPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {("deployments", 2, "GET"): self.deployment}

    def deployment(self, visit: Visit) -> HttpResponse:
        deployment_id = visit.parts[1]
        try:
            item = self.api(visit).call("GetDeployment", {"id": deployment_id})["deployment"]
        except ApiError as failure:
            return self.unreadable(visit, "Deployment", "", section="environments", error=failure)
        rendered = self.admin.rendered(deployment_id)
        log = self.admin.log(deployment_id)
        facts = details(
            [
                ("Status", status(item["deploymentStatus"])),
                ("Status message", e(item.get("deploymentStatusMessage"))),
                ("Target", e(f"{item['targetResourceType']} {item['targetArn']}")),
                ("Provisioner", e(self.admin.provisioner(deployment_id))),
                ("Pushed", e(_pushed(rendered))),
                ("Created", when(item.get("createdAt"))),
                ("Completed", when(item.get("completedAt"))),
            ]
        )
        files = (rendered or {}).get("files") or []
        listing = table(
            ["File", "Size"],
            (
                [f'<a href="#file-{n}">{e(f["path"])}</a>', e(f"{len(f['content'])} characters")]
                for n, f in enumerate(files)
            ),
            empty="This deployment rendered no files.",
            caption="Rendered files",
        )
        shown = "".join(
            f'<h3 id="file-{n}">{e(f["path"])}</h3>'
            f'<div class="card scroll"><pre class="mono">{e(f["content"])}</pre></div>'
            for n, f in enumerate(files)
        )
        logged = (
            f'<h2>Log</h2><div class="card scroll"><pre class="mono">{e(log)}</pre></div>' if log is not None else ""
        )
        content = f'<div class="card">{facts}</div><h2>Rendered files</h2>{listing}{shown}{logged}'
        return self.render(visit, f"Deployment {deployment_id}", content, section="environments")


def _pushed(rendered: dict | None) -> str | None:
    """Where a self-managed deployment's commit went (P-22), for the automation that picks it up."""
    pushed = (rendered or {}).get("pushed")
    if not pushed:
        return None
    return f"branch {pushed['branch']} of {pushed['key']} (commit {pushed['commit'][:12]})"
