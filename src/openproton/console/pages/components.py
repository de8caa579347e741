"""Components: one directly defined component with its attachment, service spec, outputs and deployments.
Read-only, as the API gives them (components.md); a component is listed on its environment's page and on the page
of the instance it is attached to.

The API never returns a component's manifest or template file, so neither does this page: what it shows is only
GetComponent's members, ListComponentOutputs and ListDeployments.
"""

from __future__ import annotations

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, details, e, status, url, when
from .base import Handler, Pages, Route, Visit
from .services import DEPLOYMENTS_SHOWN, attachment, deployments_table, environment_link, outputs_table, spec_block


class ComponentPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {("components", 2, "GET"): self.component}

    def component(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self.api(visit)
        try:
            item = api.call("GetComponent", {"name": name})["component"]
            produced = api.call("ListComponentOutputs", {"componentName": name})["outputs"]
            history = api.pages("ListDeployments", {"componentName": name}, "deployments", limit=DEPLOYMENTS_SHOWN)
        except ApiError as failure:
            return self.unreadable(
                visit,
                "Component",
                f'<p><a href="{url("environments")}">All environments</a></p>',
                section="environments",
                error=failure,
            )
        environment = item.get("environmentName")
        facts = details(
            [
                ("Environment", environment_link(environment)),
                ("Attached to", attachment(item)),
                ("Description", e(item.get("description"))),
                ("Deployment status", status(item.get("deploymentStatus"))),
                ("Status message", e(item.get("deploymentStatusMessage"))),
                ("Created", when(item.get("createdAt"))),
                ("Last modified", when(item.get("lastModifiedAt"))),
                ("Last attempted", when(item.get("lastDeploymentAttemptedAt"))),
                ("Last succeeded", when(item.get("lastDeploymentSucceededAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        back = f'<p><a href="{url("environments", environment)}">Environment {e(environment)}</a></p>'
        content = (
            f'{back}<div class="card">{facts}</div>'
            f"<h2>Service spec</h2>{spec_block(item.get('serviceSpec'), empty='No service spec.')}"
            f"<h2>Outputs</h2>{outputs_table(produced, 'Outputs')}"
            f"<h2>Deployments</h2>{deployments_table(history, targets=False)}"
        )
        return self.render(visit, f"Component {name}", content, section="environments")
