"""The console's read-only component pages (/console/components/<name>, and the components on an environment's page
and on an instance's): set up through boto3, then read as a browser would, in every mode: in-process through
Console.handle, against `openproton serve` on SQLite and PostgreSQL, and in headless Chromium, as
test_console_services.py reads the service pages."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from console_support import Reader, deployment_ids, main_of, section, shot
from services.service_helpers import (
    DEV,
    create_service,
    deployments,
    env_template,
    environment,
    pipeline_roles,
    proton,
    service_template,
    template_version,
)
from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, ServerWorld, World

COMPONENT_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-component"
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
    "      rendering_engine: jinja\n      template_language: cloudformation\n"
)
# Markers in the manifest and template file that no page may show: the API never returns either.
TEMPLATE_FILE = "Resources:\n  Queue: {Type: 'AWS::SQS::Queue', Properties: {QueueName: never-shown-template}}\n"
SERVICE_SPEC = "proton: ComponentSpec\nsize: large\n"
COMPONENT_ARN = f"arn:aws:proton:us-east-1:{MGMT_ACCOUNT}:component"


def ready(world: World) -> None:
    """Environment `dev` with a component role, and service `shop` on web 1.0 (which supports directly defined
    components) with its instance shop-dev in dev, all deployed."""
    env_template(world)
    environment(world, "dev", componentRoleArn=COMPONENT_ROLE)
    pipeline_roles(world)
    service_template(world)
    template_version(world, supportedComponentSources=["DIRECTLY_DEFINED"])
    create_service(world, "shop", DEV)


def create_component(world: World, name: str, **members: Any) -> dict[str, Any]:
    return proton(world).create_component(name=name, manifest=MANIFEST, templateFile=TEMPLATE_FILE, **members)[
        "component"
    ]


def components(world: World) -> dict[str, Any]:
    """Component `cache` attached to shop-dev, with a service spec, deployed twice (its create, then a redeploy),
    each ending with an output; and component `solo`, detached in dev, whose create is still under way. Returns
    the redeploy's id."""
    ready(world)
    world.set_settle_policy("manual")
    create_component(
        world,
        "cache",
        serviceName="shop",
        serviceInstanceName="shop-dev",
        serviceSpec=SERVICE_SPEC,
        description="The shop's cache",
    )
    world.settle(world.deployments_under_way()[0]["id"], outputs=[{"key": "endpoint", "valueString": "first"}])
    redeploy = proton(world).update_component(name="cache", deploymentType="CURRENT_VERSION")["component"]
    world.settle(
        redeploy["lastAttemptedDeploymentId"], outputs=[{"key": "endpoint", "valueString": "cache.internal:6379"}]
    )
    create_component(world, "solo", environmentName="dev")
    return {"redeploy": redeploy["lastAttemptedDeploymentId"]}


def test_the_environment_page_lists_its_components_attached_and_detached(world: World, reader: Reader) -> None:
    components(world)
    status, page = reader.get("/console/environments/dev")
    assert status == 200
    listed = section(page, "Components")
    rows = re.findall(r"<tr><td.*?</tr>", listed)
    assert len(rows) == 2  # by name, as ListComponents gives them
    cache, solo = rows
    assert '<a href="/console/components/cache">cache</a>' in cache
    assert (
        '<a href="/console/services/shop">shop</a>/<a href="/console/services/shop/instances/shop-dev">shop-dev</a>'
        in cache
    )
    assert '<span class="status SUCCEEDED">SUCCEEDED</span>' in cache
    assert "<time datetime=" in cache  # its last deployment
    assert '<a href="/console/components/solo">solo</a>' in solo
    assert '<td data-label="Attached to">detached</td>' in solo
    assert '<span class="status IN_PROGRESS">IN_PROGRESS</span>' in solo


def test_an_environment_without_components_says_so(world: World, reader: Reader) -> None:
    ready(world)
    status, page = reader.get("/console/environments/dev")
    assert status == 200
    assert "No components in this environment." in section(page, "Components")


def test_the_instance_page_links_to_its_attached_component(world: World, reader: Reader) -> None:
    ready(world)
    status, page = reader.get("/console/services/shop/instances/shop-dev")
    assert status == 200
    assert "<dt>Component</dt><dd>None attached</dd>" in main_of(page)
    create_component(world, "cache", serviceName="shop", serviceInstanceName="shop-dev")
    create_component(world, "solo", environmentName="dev")  # in the same environment, but not attached
    status, page = reader.get("/console/services/shop/instances/shop-dev")
    assert status == 200
    assert '<dt>Component</dt><dd><a href="/console/components/cache">cache</a></dd>' in main_of(page)
    assert "/console/components/solo" not in page


def test_the_component_page_shows_its_members_outputs_and_deployments(world: World, reader: Reader) -> None:
    redeploy = components(world)["redeploy"]
    status, page = reader.get("/console/components/cache")
    assert status == 200
    body = main_of(page)
    assert "<h1>Component cache</h1>" in body
    assert '<dt>Environment</dt><dd><a href="/console/environments/dev">dev</a></dd>' in body
    assert '<a href="/console/services/shop/instances/shop-dev">shop-dev</a>' in body
    assert "<dt>Description</dt><dd>The shop&#x27;s cache</dd>" in body
    assert '<span class="status SUCCEEDED">SUCCEEDED</span>' in body
    assert f"{COMPONENT_ARN}/" in body.replace("<wbr>", "")
    assert f'<pre class="mono">{escape(SERVICE_SPEC)}</pre>' in section(page, "Service spec")
    # The outputs of its last successful deployment, the redeploy's only.
    outputs = section(page, "Outputs")
    assert "cache.internal:6379" in outputs
    assert "first" not in outputs
    listed_ids = [d["id"] for d in deployments(world, componentName="cache")]
    assert deployment_ids(page) == listed_ids
    assert len(listed_ids) == 2
    assert listed_ids[0] == redeploy

    status, page = reader.get("/console/components/solo")
    assert status == 200
    body = main_of(page)
    assert "<dt>Attached to</dt><dd>detached</dd>" in body
    assert '<span class="status IN_PROGRESS">IN_PROGRESS</span>' in body
    assert "No service spec." in body
    assert "No outputs." in body
    assert len(deployment_ids(page)) == 1


def test_no_page_shows_a_manifest_or_template_file(world: World, reader: Reader) -> None:
    components(world)
    for path in (
        "/console/components/cache",
        "/console/components/solo",
        "/console/environments/dev",
        "/console/services/shop/instances/shop-dev",
    ):
        status, page = reader.get(path)
        assert status == 200
        assert "never-shown-template" not in page
        assert "rendering_engine" not in page


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/console/components/nope", f"The requested component does not exist: {COMPONENT_ARN}/nope"),
        ("/console/components", "There is no console page at /console/components"),
        ("/console/components/cache/deployments", "There is no console page at /console/components/cache/deployments"),
    ],
)
def test_a_missing_component_is_404(world: World, reader: Reader, path: str, message: str) -> None:
    ready(world)
    create_component(world, "cache", serviceName="shop", serviceInstanceName="shop-dev")
    status, page = reader.get(path)
    assert status == 404
    assert escape(message) in page


def test_another_account_sees_nothing_of_a_component(world: World, reader: Reader) -> None:
    components(world)
    for account in (OTHER_ACCOUNT, ENV_ACCOUNT):
        status, page = reader.get("/console/components/cache", account)
        assert status == 404
        assert "ResourceNotFoundException" in page
        assert "cache.internal" not in page
        assert "ComponentSpec" not in page


def test_a_component_spec_description_message_and_outputs_are_shown_escaped(world: World, reader: Reader) -> None:
    ready(world)
    hostile = "</pre><script>alert(1)</script>"
    world.set_settle_policy("manual")
    create_component(
        world,
        "cache",
        serviceName="shop",
        serviceInstanceName="shop-dev",
        serviceSpec=f"note: {hostile}\n",
        description="<b onmouseover=x>cache</b>",
    )
    outputs = [{"key": "<i>k</i>", "valueString": "<script>alert(2)</script>"}]
    world.settle(world.deployments_under_way()[0]["id"], outputs=outputs)
    redeploy = proton(world).update_component(name="cache", deploymentType="CURRENT_VERSION")["component"]
    world.settle(redeploy["lastAttemptedDeploymentId"], "FAILED", message="<img src=x onerror=alert(3)>")
    status, page = reader.get("/console/components/cache")
    assert status == 200
    for raw in ("<script", "<b ", "<img", "<i>"):
        assert raw not in page
    for shown in (hostile, "<b onmouseover=x>cache</b>", "<img src=x onerror=alert(3)>", "<i>k</i>"):
        assert escape(shown) in page
    assert '<span class="status FAILED">FAILED</span>' in page
    for path in ("/console/environments/dev", "/console/services/shop/instances/shop-dev"):
        status, page = reader.get(path)
        assert status == 200
        assert "<script" not in page


def test_a_name_in_the_path_is_escaped_in_the_error(world: World, reader: Reader) -> None:
    status, page = reader.get("/console/components/<b>x")
    assert status == 400  # GetComponent refuses the name: a ValidationException, shown as the API gives it
    assert "ValidationException" in page
    assert "<b>" not in page


# -- in Chromium -------------------------------------------------------------------------------------------


def test_a_user_clicks_from_an_environment_to_its_component_and_its_instance(page: Page, served: ServerWorld) -> None:
    redeploy = components(served)["redeploy"]
    page.goto("/console")
    page.get_by_label("Account", exact=True).fill(MGMT_ACCOUNT)
    page.get_by_role("button", name="Act as").click()
    expect(page.get_by_label("Account", exact=True)).to_have_value(MGMT_ACCOUNT)

    page.get_by_role("link", name="Environments").click()
    page.get_by_role("row").filter(has_text="dev").get_by_role("link", name="dev").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Environment dev")
    listed = page.get_by_role("table", name="Components")
    expect(listed.get_by_role("row")).to_have_count(3)  # the header, cache, solo
    expect(listed.get_by_role("row").filter(has_text="solo")).to_contain_text("detached")
    shot(page, "14-environment-components")

    listed.get_by_role("link", name="cache").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Component cache")
    expect(page.locator("pre")).to_contain_text("proton: ComponentSpec")
    expect(page.get_by_role("table", name="Outputs")).to_contain_text("cache.internal:6379")
    expect(page.get_by_role("table", name="Deployments").get_by_role("row").nth(1)).to_contain_text(redeploy)
    shot(page, "15-component")

    page.get_by_role("link", name="shop-dev", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service instance shop-dev")
    page.get_by_role("link", name="cache", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Component cache")

    # On a narrow screen nothing is wider than the screen: the spec scrolls in its own box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/console/components/cache")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "16-component-narrow")
