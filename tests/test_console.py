"""The web console at /console, driven in real headless Chromium (Debian's /usr/bin/chromium, through Playwright).

Every test acts as a user would: it types into the forms and presses the buttons. Screenshots of each step are
kept in artifacts/console/ (uploaded as CI artifacts; ignored by git).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page, expect, sync_playwright

from strict_support import ENV_KEY, KEYS, MGMT_KEY, strict_client, strict_server
from support import ENV_ACCOUNT, MGMT_ACCOUNT, ROLE, ServerProcess, make_client, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the console tests drive Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """The console of a server on SQLite, and of one on PostgreSQL (whose requests run on threads)."""
    with serving("console" if request.param == "postgres" else None) as process:
        yield process


@pytest.fixture
def page(browser: Browser, server: ServerProcess) -> Iterator[Page]:
    context = browser.new_context(base_url=server.endpoint, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def act_as(page: Page, account: str) -> None:
    """Default mode: choose the account the console acts as, with the form in the header."""
    page.get_by_label("Account", exact=True).fill(account)
    page.get_by_role("button", name="Act as").click()
    expect(page.get_by_label("Account", exact=True)).to_have_value(account)


def request_connection(page: Page, environment_name: str) -> str:
    page.goto("/console/connections")
    page.get_by_label("Management account ID").fill(MGMT_ACCOUNT)
    page.get_by_label("Environment name").fill(environment_name)
    page.get_by_label("Role ARN", exact=True).fill(ROLE)
    page.get_by_role("button", name="Request connection").click()
    done = page.get_by_role("status")
    expect(done).to_contain_text("Requested connection")
    match = re.search(r"Requested connection ([0-9a-f-]{36})", done.inner_text())
    assert match is not None
    return match.group(1)


def row_of(page: Page, text: str) -> Any:
    return page.get_by_role("row").filter(has_text=text)


def test_a_request_sent_by_one_account_is_accepted_by_the_other(page: Page, server: ServerProcess) -> None:
    name = f"web-{uuid.uuid4().hex[:8]}"
    page.goto("/console")
    expect(page.get_by_role("note")).to_contain_text("Local mode")
    act_as(page, ENV_ACCOUNT)
    connection_id = request_connection(page, name)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Connection for {name}")
    expect(page.locator("dd").filter(has_text="PENDING")).to_be_visible()
    shot(page, "01-request-sent")

    act_as(page, MGMT_ACCOUNT)
    page.goto("/console/connections?side=management&status=PENDING")
    incoming = row_of(page, name)
    expect(incoming).to_contain_text(ENV_ACCOUNT)
    expect(incoming).to_contain_text("PENDING")
    shot(page, "02-request-arrives")

    incoming.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text(f"Accepted connection {connection_id}.")
    expect(row_of(page, name)).to_contain_text("CONNECTED")
    shot(page, "03-request-accepted")

    # The API agrees, and the change went through it: it is in the audit log as the management account's.
    api = make_client(server.endpoint, ENV_ACCOUNT, "us-east-1")
    assert api.get_environment_account_connection(id=connection_id)["environmentAccountConnection"]["status"] == (
        "CONNECTED"
    )
    page.goto(f"/console/connections/{connection_id}")
    history = page.get_by_role("table", name="Event history")
    expect(history.get_by_role("row")).to_have_count(3)  # the header, PENDING, CONNECTED
    expect(history).to_contain_text("CONNECTED")
    page.goto("/console/audit")
    expect(row_of(page, "AcceptEnvironmentAccountConnection").first).to_contain_text(connection_id)


def test_accepting_a_rejected_request_shows_the_api_error(page: Page, server: ServerProcess) -> None:
    name = f"api-{uuid.uuid4().hex[:8]}"
    created = make_client(server.endpoint, ENV_ACCOUNT, "us-east-1").create_environment_account_connection(
        managementAccountId=MGMT_ACCOUNT, environmentName=name, roleArn=ROLE
    )["environmentAccountConnection"]
    page.goto("/console")
    act_as(page, MGMT_ACCOUNT)
    page.goto(f"/console/connections/{created['id']}")
    page.get_by_role("button", name="Reject").click()
    # Rejecting cannot be undone: the console asks first, and Cancel would leave it PENDING.
    expect(page.get_by_role("heading", level=1)).to_have_text("Reject connection?")
    expect(page.get_by_role("link", name="Cancel")).to_be_visible()
    page.get_by_role("button", name="Reject connection").click()
    expect(page.get_by_role("status")).to_have_text(f"Rejected connection {created['id']}.")
    expect(page.locator("dd").filter(has_text="REJECTED")).to_be_visible()

    page.get_by_role("button", name="Accept").click()
    with pytest.raises(ClientError) as excinfo:
        make_client(server.endpoint, MGMT_ACCOUNT, "us-east-1").accept_environment_account_connection(id=created["id"])
    api_error = excinfo.value.response["Error"]
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(f"{api_error['Code']}: {api_error['Message']}")
    assert api_error["Code"] == "ConflictException"
    expect(page.locator("dd").filter(has_text="REJECTED")).to_be_visible()
    shot(page, "04-accepting-a-rejected-request")


def test_the_environment_account_updates_and_deletes_its_request(page: Page, server: ServerProcess) -> None:
    name = f"upd-{uuid.uuid4().hex[:8]}"
    page.goto("/console")
    act_as(page, ENV_ACCOUNT)
    connection_id = request_connection(page, name)
    component_role = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-components"
    page.get_by_label("Component role ARN").fill(component_role)
    page.get_by_role("button", name="Update connection").click()
    expect(page.get_by_role("status")).to_have_text(f"Updated connection {connection_id}.")
    expect(page.locator("dd").filter(has_text=component_role)).to_be_visible()
    api = make_client(server.endpoint, ENV_ACCOUNT, "us-east-1")
    assert (
        api.get_environment_account_connection(id=connection_id)["environmentAccountConnection"]["componentRoleArn"]
        == component_role
    )

    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete connection?")
    page.get_by_role("button", name="Delete connection").click()
    expect(page.get_by_role("status")).to_have_text(f"Deleted connection {connection_id}.")
    expect(page.get_by_role("row").filter(has_text=name)).to_have_count(0)
    with pytest.raises(ClientError) as excinfo:
        api.get_environment_account_connection(id=connection_id)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_form_without_its_token_is_refused(page: Page, server: ServerProcess) -> None:
    page.goto("/console")
    # A page elsewhere could post this form, but not read the token: the console refuses it.
    response = page.request.post(
        "/console/connections",
        form={"managementAccountId": MGMT_ACCOUNT, "environmentName": "forged", "roleArn": ROLE},
    )
    assert response.status == 403
    assert "could not be verified" in response.text()
    listed = make_client(server.endpoint, "123456789012", "us-east-1").list_environment_account_connections(
        requestedBy="ENVIRONMENT_ACCOUNT", environmentName="forged"
    )
    assert listed["environmentAccountConnections"] == []


def test_environments_and_templates_show_their_deployments_and_versions(page: Page, server: ServerProcess) -> None:
    suffix = uuid.uuid4().hex[:8]
    api = make_client(server.endpoint, MGMT_ACCOUNT, "us-east-1")
    template = f"vpc-{suffix}"
    api.create_environment_template(name=template, displayName="Shared VPC")
    api.create_environment_template_version(templateName=template, source={"s3": {"bucket": "bundles", "key": "v"}})
    api.update_environment_template_version(
        templateName=template, majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    environment = f"env-{suffix}"
    created = api.create_environment(
        name=environment,
        templateName=template,
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\n",
        protonServiceRoleArn="arn:aws:iam::222222222222:role/proton-service",
    )["environment"]
    page.goto("/console")
    act_as(page, MGMT_ACCOUNT)
    page.get_by_role("link", name="Environments").click()
    listed = row_of(page, environment)
    expect(listed).to_contain_text(f"{template} 1.0")
    expect(listed).to_contain_text("SUCCEEDED")
    listed.get_by_role("link", name=environment).click()
    deployments = page.get_by_role("table", name="Deployments")
    expect(deployments).to_contain_text(created["lastAttemptedDeploymentId"])
    expect(deployments).to_contain_text("SUCCEEDED")
    shot(page, "05-environment")

    page.get_by_role("link", name="Templates").click()
    row_of(page, template).get_by_role("link", name=template).click()
    versions = page.get_by_role("table", name="Versions")
    expect(versions).to_contain_text("1.0")
    expect(versions).to_contain_text("PUBLISHED")


def test_the_console_works_by_keyboard_on_a_narrow_screen(browser: Browser, server: ServerProcess) -> None:
    name = f"kb-{uuid.uuid4().hex[:8]}"
    created = make_client(server.endpoint, ENV_ACCOUNT, "us-east-1").create_environment_account_connection(
        managementAccountId=MGMT_ACCOUNT, environmentName=name, roleArn=ROLE
    )["environmentAccountConnection"]
    context = browser.new_context(base_url=server.endpoint, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto("/console")
        act_as(page, MGMT_ACCOUNT)
        page.goto(f"/console/connections/{created['id']}")
        # Nothing is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        accept = page.get_by_role("button", name="Accept")
        for _ in range(40):  # Tab through the page until the Accept button has the focus
            if accept.evaluate("button => button === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(accept).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text(f"Accepted connection {created['id']}.")
        shot(page, "06-narrow-screen")
    finally:
        context.close()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = strict_server(tmp_path_factory.mktemp("console-strict"))
    yield process
    process.stop()


def sign_in(page: Page, key: str, secret: str) -> None:
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.get_by_label("Access key ID").fill(key)
    page.get_by_label("Secret access key").fill(secret)
    page.get_by_role("button", name="Sign in").click()


def test_strict_mode_signs_in_with_a_key_and_acts_only_as_its_account(browser: Browser, strict: ServerProcess) -> None:
    mine = strict_client(strict.endpoint, ENV_KEY).create_environment_account_connection(
        managementAccountId=MGMT_ACCOUNT, environmentName=f"s-{uuid.uuid4().hex[:8]}", roleArn=ROLE
    )["environmentAccountConnection"]
    context = browser.new_context(base_url=strict.endpoint)
    try:
        page = context.new_page()
        sign_in(page, MGMT_KEY, "not-the-secret")
        expect(page.get_by_role("alert")).to_have_text("The access key ID or secret access key is not valid.")
        shot(page, "07-strict-sign-in-refused")

        sign_in(page, MGMT_KEY, KEYS[MGMT_KEY][0])
        expect(page.locator(".who")).to_contain_text(f"Signed in as {MGMT_KEY} (account {MGMT_ACCOUNT})")
        expect(page.get_by_label("Account", exact=True)).to_have_count(0)  # no account to choose: the key decides
        expect(page.get_by_role("note")).to_have_count(0)
        page.goto("/console/connections?side=management")
        row_of(page, mine["id"]).get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_have_text(f"Accepted connection {mine['id']}.")
        shot(page, "08-strict-accepted")

        # As the management account, the environment account's Delete is refused by the API, with its message.
        page.goto(f"/console/connections/{mine['id']}")
        expect(page.get_by_role("button", name="Delete")).to_have_count(0)
        token = page.locator("input[name=csrf]").first.get_attribute("value")
        refused = page.request.post(
            f"/console/connections/{mine['id']}/delete", form={"csrf": token or "", "confirm": "yes"}
        )
        assert refused.status == 400  # the status the API gives AccessDeniedException (wire.md)
        assert (
            f"AccessDeniedException</strong>: Only the environment account {ENV_ACCOUNT} can delete environment "
            f"account connection {mine['id']}" in refused.text()
        )

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/console/login$"))
        page.goto("/console/connections")
        expect(page).to_have_url(re.compile(r"/console/login$"))
    finally:
        context.close()


# For each text of the matching elements: the characters just before each line break (none: one line).
LINE_BREAKS = """cells => cells.map(cell => {
    const before = [];
    let top = null, previous = "";
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getBoundingClientRect();
            if (top !== null && rect.top > top + 2) before.push(previous);
            top = rect.top;
            previous = node.data[i];
        }
    }
    return before;
})"""


@pytest.mark.parametrize("width", [1280, 800, 390])
def test_the_audit_table_keeps_regions_on_one_line_and_breaks_arns_between_parts(
    browser: Browser, server: ServerProcess, width: int
) -> None:
    # An account of its own per width: each run adds connections, and an account may have only five a region.
    account = f"4444444{width:05d}"
    for region in ("us-east-1", "ap-southeast-2"):
        make_client(server.endpoint, account, region).create_environment_account_connection(
            managementAccountId=MGMT_ACCOUNT,
            environmentName=f"au-{uuid.uuid4().hex[:8]}",
            roleArn=f"arn:aws:iam::{account}:role/proton-environment",
        )
    context = browser.new_context(base_url=server.endpoint, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto("/console")
        act_as(page, account)
        page.goto("/console/audit")
        audit = page.get_by_role("table", name="Audit log")
        expect(audit.get_by_role("row").filter(has_text="ap-southeast-2").first).to_be_visible()
        shot(page, f"09-audit-{width}")
        regions = audit.locator("td[data-label=Region]").evaluate_all(LINE_BREAKS)
        assert regions and all(breaks == [] for breaks in regions), regions  # each region on one line
        arns = audit.locator("td[data-label=Resource]").evaluate_all(LINE_BREAKS)
        # An ARN breaks after its ':' or '/', or a hyphen; never between two letters or digits.
        assert arns and all(set(breaks) <= {":", "/", "-"} for breaks in arns), arns
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Nor is the table wider than its box: nothing in it is cut off or scrolled out of sight.
        assert audit.evaluate("table => table.offsetWidth <= table.parentElement.clientWidth")
    finally:
        context.close()
