"""The console's read-only service pages (/console/services, a service, an instance; service templates on the
templates page): set up through boto3, then read as a browser would, in every mode: in-process through
Console.handle, against `openproton serve` on SQLite and PostgreSQL, in strict mode, and in headless Chromium."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from console_support import HOST, Reader, deployment_ids, main_of, shot
from openproton import mock_proton
from openproton.console.pages import Console
from openproton.settings import Settings
from services.service_helpers import (
    DEV,
    PROD,
    create_service,
    deployments,
    proton,
    service_arn,
    setup,
    spec_of,
)
from strict_support import ADMIN_TOKEN, KEYS, MGMT_KEY, OTHER_KEY, strict_client, write_credentials
from support import ENV_ACCOUNT, MGMT_ACCOUNT, OTHER_ACCOUNT, InProcessWorld, ServerWorld, World


def shop(world: World) -> dict[str, Any]:
    """Service `shop` with instances shop-dev (in dev) and shop-prod (in prod, through a connection) and a
    pipeline, each deployment ending with an output naming its target; then an update of shop-prod, the newest
    deployment. Returns the update's deployment id."""
    setup(world, prod=True)
    world.set_settle_policy("manual")
    create_service(world, "shop", DEV, PROD)
    for deployment in world.deployments_under_way():
        target = deployment.get("serviceInstanceName") or "pipeline"
        world.settle(deployment["id"], outputs=[{"key": "url", "valueString": f"https://{target}.example"}])
    updated = proton(world).update_service_instance(
        name="shop-prod", serviceName="shop", deploymentType="CURRENT_VERSION"
    )["serviceInstance"]
    # An instance's outputs are its last successful deployment's: the update gives its own.
    world.settle(
        updated["lastAttemptedDeploymentId"], outputs=[{"key": "url", "valueString": "https://shop-prod.example"}]
    )
    return {"update": updated["lastAttemptedDeploymentId"]}


def test_the_service_pages_show_a_service_its_pipeline_and_its_instances(world: World, reader: Reader) -> None:
    update = shop(world)["update"]

    status, listed = reader.get("/console/services")
    assert status == 200
    assert '<a href="/console/services/shop">shop</a>' in listed
    assert '<a href="/console/service-templates/web">web</a>' in listed
    assert '<span class="status ACTIVE">ACTIVE</span>' in listed
    assert "aria-current=page>Services</a>" in listed  # the navigation has the section, current

    status, service = reader.get("/console/services/shop")
    assert status == 200
    body = main_of(service)
    assert "<h1>Service shop</h1>" in body
    assert escape(proton(world).get_service(name="shop")["service"]["spec"]) in body  # the spec, verbatim
    pipeline = body.split("<h2>Pipeline</h2>", 1)[1].split("<h2>Instances</h2>", 1)[0]
    assert "web 1.0" in pipeline
    assert '<span class="status SUCCEEDED">SUCCEEDED</span>' in pipeline
    assert "https://pipeline.example" in pipeline  # its outputs
    for name, environment in (DEV, PROD):
        assert f'<a href="/console/services/shop/instances/{name}">{name}</a>' in body
        assert f'<a href="/console/environments/{environment}">{environment}</a>' in body
    # Every deployment of the service, newest first as the API lists them: the update, then the three creates.
    listed_ids = [d["id"] for d in deployments(world, serviceName="shop")]
    assert deployment_ids(service) == listed_ids
    assert len(listed_ids) == 4
    assert listed_ids[0] == update

    status, instance = reader.get("/console/services/shop/instances/shop-prod")
    assert status == 200
    body = main_of(instance)
    assert "<h1>Service instance shop-prod</h1>" in body
    assert '<a href="/console/services/shop">shop</a>' in body
    assert "https://shop-prod.example" in body
    assert "https://shop-dev.example" not in body
    assert "web 1.0" in body
    instance_ids = [d["id"] for d in deployments(world, serviceName="shop", serviceInstanceName="shop-prod")]
    assert deployment_ids(instance) == instance_ids
    assert len(instance_ids) == 2
    assert instance_ids[0] == update

    # The environment's page links to the instance that runs in it, and only that one.
    status, environment = reader.get("/console/environments/dev")
    assert status == 200
    assert '<a href="/console/services/shop/instances/shop-dev">shop-dev</a>' in environment
    assert "shop-prod" not in environment


def test_the_templates_page_lists_service_templates_and_their_versions(world: World, reader: Reader) -> None:
    setup(world)
    status, templates = reader.get("/console/templates")
    assert status == 200
    services = main_of(templates).split("<h2>Service templates</h2>", 1)[1]
    assert '<a href="/console/service-templates/web">web</a>' in services
    assert '<td data-label="Recommended version">1.0</td>' in services
    status, template = reader.get("/console/service-templates/web")
    assert status == 200
    body = main_of(template)
    assert "<h1>Service template web</h1>" in body
    assert '<span class="status PUBLISHED">PUBLISHED</span>' in body
    assert '<a href="/console/templates/vpc">vpc</a> 1' in body  # its compatible environment template


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/console/services/nope", f"The requested service does not exist: {service_arn('nope')}"),
        (
            "/console/services/shop/instances/nope",
            f"The requested service instance does not exist: {service_arn('shop')}/service-instance/nope",
        ),
        (
            "/console/service-templates/nope",
            "The requested service template does not exist: "
            f"arn:aws:proton:us-east-1:{MGMT_ACCOUNT}:service-template/nope",
        ),
        ("/console/services/shop/deployments/x", "There is no console page at /console/services/shop/deployments/x"),
    ],
)
def test_a_missing_service_or_instance_is_404(world: World, reader: Reader, path: str, message: str) -> None:
    setup(world)
    create_service(world, "shop", DEV)
    status, page = reader.get(path)
    assert status == 404
    assert escape(message) in page


def test_another_account_sees_nothing_of_a_service(world: World, reader: Reader) -> None:
    shop(world)
    for account in (OTHER_ACCOUNT, ENV_ACCOUNT):  # the environment account too, though shop-prod runs there
        status, listed = reader.get("/console/services", account)
        assert status == 200
        assert "No services in this account and region." in listed
        assert "/console/services/shop" not in listed
        for path in ("/console/services/shop", "/console/services/shop/instances/shop-prod"):
            status, page = reader.get(path, account)
            assert status == 404
            assert "ResourceNotFoundException" in page
            assert "https://" not in page


def test_a_spec_is_shown_escaped(world: World, reader: Reader) -> None:
    setup(world)
    hostile = "</pre><script>alert(1)</script>"
    spec = spec_of(("shop-dev", "dev", {"note": hostile}), pipeline={"banner": "<b onmouseover=x>"})
    create_service(world, "shop", spec=spec, description="<script>alert(2)</script>")
    for path in ("/console/services/shop", "/console/services/shop/instances/shop-dev"):
        status, page = reader.get(path)
        assert status == 200
        assert "<script" not in page
        assert "<b " not in page
        assert escape(hostile) in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in reader.get("/console/services/shop")[1]


# -- strict mode -------------------------------------------------------------------------------------------


class StrictInProcessWorld(InProcessWorld):
    """The helpers' world with every account's client signed with its real key."""

    def __init__(self, mock: Any) -> None:
        super().__init__(mock)
        self.clients: dict[tuple[str, str], Any] = {}

    def client(self, account: str = ENV_ACCOUNT, region: str = "us-east-1", *, validate: bool = True) -> Any:
        key = next(key for key, (_secret, owner, _token) in KEYS.items() if owner == account)
        if (key, region) not in self.clients:
            self.clients[key, region] = strict_client(None, key, region=region)
        return self.clients[key, region]


class SignedIn:
    """A browser signed in to the strict console with one key: its cookies and the form token."""

    def __init__(self, console: Console, key: str) -> None:
        self.console = console
        self.jar: dict[str, str] = {}
        self.request("GET", "/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', self.last).group(1)  # type: ignore[union-attr]
        form = {"csrf": token, "accessKeyId": key, "secretAccessKey": KEYS[key][0]}
        assert self.request("POST", "/console/login", urlencode(form)) == 303

    def request(self, method: str, path: str, body: str = "") -> int:
        headers = {"host": HOST, "cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        answer = self.console.handle(method, path, "", headers, body.encode())
        for name, value in answer.headers:
            if name == "set-cookie":
                cookie, _, rest = value.partition("=")
                self.jar[cookie] = rest.split(";", 1)[0]
        self.last = answer.body.decode()
        return answer.status


def test_strict_mode_shows_a_service_only_to_the_key_of_its_account(tmp_path: Path) -> None:
    settings = Settings(
        database_url="sqlite://",
        auth="strict",
        credentials_file=str(write_credentials(tmp_path)),
        admin_token=ADMIN_TOKEN,
    )
    with mock_proton(settings=settings) as mock:
        world = StrictInProcessWorld(mock)
        setup(world)
        create_service(world, "shop", DEV)
        owner, other = SignedIn(Console(mock.service), MGMT_KEY), SignedIn(Console(mock.service), OTHER_KEY)
        assert owner.request("GET", "/console/services") == 200
        assert '<a href="/console/services/shop">shop</a>' in owner.last
        assert owner.request("GET", "/console/services/shop/instances/shop-dev") == 200
        assert other.request("GET", "/console/services") == 200
        assert "/console/services/shop" not in other.last
        for path in ("/console/services/shop", "/console/services/shop/instances/shop-dev"):
            assert other.request("GET", path) == 404


# -- in Chromium -------------------------------------------------------------------------------------------


def test_a_user_clicks_from_the_services_list_to_a_service_and_an_instance(page: Page, served: ServerWorld) -> None:
    update = shop(served)["update"]
    page.goto("/console")
    page.get_by_label("Account", exact=True).fill(MGMT_ACCOUNT)
    page.get_by_role("button", name="Act as").click()
    expect(page.get_by_label("Account", exact=True)).to_have_value(MGMT_ACCOUNT)

    page.get_by_role("link", name="Services").click()
    listed = page.get_by_role("row").filter(has_text="shop")
    expect(listed).to_contain_text("ACTIVE")
    shot(page, "10-services")
    listed.get_by_role("link", name="shop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service shop")
    expect(page.locator("pre")).to_contain_text("proton: ServiceSpec")
    instances = page.get_by_role("table", name="Instances")
    expect(instances.get_by_role("row")).to_have_count(3)  # the header, shop-dev, shop-prod
    expect(page.get_by_role("table", name="Pipeline outputs")).to_contain_text("https://pipeline.example")
    expect(page.get_by_role("table", name="Deployments").get_by_role("row").nth(1)).to_contain_text(update)
    shot(page, "11-service")

    instances.get_by_role("link", name="shop-prod").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service instance shop-prod")
    expect(page.get_by_role("table", name="Outputs")).to_contain_text("https://shop-prod.example")
    expect(page.get_by_role("table", name="Deployments").get_by_role("row")).to_have_count(3)  # header, 2
    shot(page, "12-service-instance")
    page.get_by_role("link", name="prod", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Environment prod")
    expect(page.get_by_role("table", name="Service instances")).to_contain_text("shop-prod")

    # On a narrow screen nothing is wider than the screen: the spec scrolls in its own box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/console/services/shop")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "13-service-narrow")
