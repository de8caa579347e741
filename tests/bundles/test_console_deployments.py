"""The console's deployment page: provisioner, rendered files (P-6, P-8), reached from an environment's page, in
every mode with a bundle source; another account gets the API's not-found."""

from __future__ import annotations

from bundles.bundle_library import environment_files
from bundles.bundle_support import Bundles
from console_support import Reader, main_of, section
from support import MGMT_ACCOUNT, OTHER_ACCOUNT


def test_an_environments_deployment_page_shows_its_provisioner_and_rendered_files(bundles: Bundles) -> None:
    bundles.publish("vpc", environment_files())
    deployment = bundles.create_environment("dev", "vpc", "proton: EnvironmentSpec\n")["lastAttemptedDeploymentId"]
    reader = Reader(bundles.world)
    code, html = reader.get("/console/environments/dev", account=MGMT_ACCOUNT)
    assert code == 200
    assert f'href="/console/deployments/{deployment}"' in section(html, "Deployments")
    code, html = reader.get(f"/console/deployments/{deployment}", account=MGMT_ACCOUNT)
    assert code == 200
    page = main_of(html)
    assert "settle" in page  # no provisioner enabled here: the settle policy ends it
    assert "cloudformation.yaml" in section(html, "Rendered files")
    assert "CidrBlock: &#x27;10.0.0.0/16&#x27;" in page  # the rendered file, escaped
    assert "<h2>Log</h2>" not in page  # settle keeps no log
    code, html = reader.get(f"/console/deployments/{deployment}", account=OTHER_ACCOUNT)
    assert code == 404
    assert "The requested deployment does not exist" in html
