"""The open sync blockers on a service's console page ([decided] Y-17): set up through boto3, then read as a browser
would, in every mode (in-process through Console.handle, against `openproton serve` on SQLite and PostgreSQL) and in
headless Chromium, as test_console_services.py reads the service pages."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import orjson
from playwright.sync_api import Page, expect

from console_support import Reader, main_of, section, shot
from repositories.test_links import link
from repositories.test_service_sync_configs import configure
from services.service_helpers import DEV, create_service, proton, setup, spec_of
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, InProcessWorld, ServerWorld, World

SHOP = "/console/services/shop"


def blocked(world: World) -> dict[str, Any]:
    """Service shop with shop-dev and shop-qa in dev and its sync config; open blockers on the service (a manual
    pipeline update) and on shop-dev (a manual update), and one on shop-qa that was resolved. Returns them."""
    setup(world)
    create_service(world, "shop", DEV, ("shop-qa", "dev"))
    link(world, name="acme/ops")
    configure(world)
    client = proton(world)
    client.update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    for name in ("shop-dev", "shop-qa"):
        client.update_service_instance(serviceName="shop", name=name, deploymentType="CURRENT_VERSION")

    def only(instance: str | None = None) -> dict[str, Any]:
        members = {} if instance is None else {"serviceInstanceName": instance}
        summary = client.get_service_sync_blocker_summary(serviceName="shop", **members)["serviceSyncBlockerSummary"]
        (blocker,) = summary["latestBlockers"]
        return blocker

    resolved = client.update_service_sync_blocker(id=only("shop-qa")["id"], resolvedReason="fine")
    return {"service": only(), "shop-dev": only("shop-dev"), "resolved": resolved["serviceSyncBlocker"]}


def rows(html: str) -> list[str]:
    return re.findall(r"<tr><td.*?</tr>", section(html, "Sync blockers"))


def test_the_service_page_lists_the_open_blockers_of_the_service_and_its_instances(
    world: World, reader: Reader
) -> None:
    found = blocked(world)
    status, page = reader.get(SHOP)
    assert status == 200
    # Right after the service's facts, before its spec.
    assert main_of(page).index("<h2>Sync blockers</h2>") < main_of(page).index("<h2>Spec</h2>")
    service_row, instance_row = rows(page)  # the service's own first, then its instances by name
    assert '<td data-label="Target">Service shop</td>' in service_row
    assert '<td data-label="Reason">Manual update of the pipeline of service shop</td>' in service_row
    assert f'<span class="mono">{found["service"]["id"]}</span>' in service_row
    assert '<td data-label="Target"><a href="/console/services/shop/instances/shop-dev">shop-dev</a></td>' in (
        instance_row
    )
    assert '<td data-label="Reason">Manual update of service instance shop-dev</td>' in instance_row
    assert f'<span class="mono">{found["shop-dev"]["id"]}</span>' in instance_row
    for row, blocker in ((service_row, found["service"]), (instance_row, found["shop-dev"])):
        created = blocker["createdAt"].astimezone(UTC)  # boto3 gives it in the local zone; the console in UTC
        assert f'<td data-label="Created"><time datetime="{created.isoformat()}">{created:%Y-%m-%d %H:%M:%S} UTC' in row
    # A resolved blocker is not open: it is not listed.
    assert found["resolved"]["id"] not in page


def test_no_section_when_nothing_is_blocked(world: World, reader: Reader) -> None:
    setup(world)
    create_service(world)
    proton(world).update_service_instance(serviceName="shop", name="shop-dev", deploymentType="CURRENT_VERSION")
    _, page = reader.get(SHOP)  # no sync config: the manual change raised nothing
    assert "Sync blockers" not in page
    link(world, name="acme/ops")
    configure(world)
    status, page = reader.get(SHOP)  # synced, nothing changed by hand since
    assert status == 200
    assert "Sync blockers" not in page


def test_resolving_the_blockers_empties_the_section(world: World, reader: Reader) -> None:
    found = blocked(world)
    for blocker in (found["service"], found["shop-dev"]):
        proton(world).update_service_sync_blocker(id=blocker["id"], resolvedReason="done")
    _, page = reader.get(SHOP)
    assert "Sync blockers" not in page


def test_the_blockers_are_read_through_the_api(world: World, reader: Reader) -> None:
    """The page asks GetServiceSyncBlockerSummary through the pipeline, so a fault on it reaches the page."""
    blocked(world)
    rule = {"action": "throttle", "operation": "GetServiceSyncBlockerSummary", "count": 1}
    if isinstance(world, InProcessWorld):
        world.mock.faults.add(rule)
    else:
        assert isinstance(world, ServerWorld)
        assert world.server.request("POST", "/_openproton/faults", {}, orjson.dumps(rule)).status == 200
    status, page = reader.get(SHOP)
    assert status == 400
    assert "ThrottlingException" in page
    assert "Sync blockers" not in page
    status, page = reader.get(SHOP)  # the rule was for one call
    assert status == 200
    assert len(rows(page)) == 2


def test_another_account_sees_none_of_the_blockers(world: World, reader: Reader) -> None:
    found = blocked(world)
    status, page = reader.get(SHOP, OTHER_ACCOUNT)
    assert status == 404
    for blocker in found.values():
        assert blocker["id"] not in page


# -- in Chromium -------------------------------------------------------------------------------------------


def test_a_user_sees_the_open_blockers_on_the_service_page(page: Page, served: ServerWorld) -> None:
    found = blocked(served)
    page.goto("/console")
    page.get_by_label("Account", exact=True).fill(MGMT_ACCOUNT)
    page.get_by_role("button", name="Act as").click()
    expect(page.get_by_label("Account", exact=True)).to_have_value(MGMT_ACCOUNT)
    page.get_by_role("link", name="Services").click()
    page.get_by_role("row").filter(has_text="shop").get_by_role("link", name="shop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service shop")
    listed = page.get_by_role("table", name="Sync blockers")
    expect(listed.get_by_role("row")).to_have_count(3)  # the header, the service's, shop-dev's
    expect(listed.get_by_role("row").nth(1)).to_contain_text(found["service"]["id"])
    expect(listed.get_by_role("row").nth(2)).to_contain_text("Manual update of service instance shop-dev")
    shot(page, "18-service-sync-blockers")
    listed.get_by_role("link", name="shop-dev").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service instance shop-dev")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(SHOP)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
