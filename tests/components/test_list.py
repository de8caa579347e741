"""ListComponents (components.md, "ListComponents"; C-16, and the list items of "The object"), in every mode."""

from __future__ import annotations

from services.service_helpers import (
    DEV,
    create_service,
    environment,
    proton,
    refused,
    settle_all,
)
from support import World

from .component_helpers import (
    COMPONENT_ROLE,
    SERVICE_SPEC,
    TWO,
    component_names,
    component_world,
    create_component,
    detached,
    get_component,
    summary_item,
    update_component,
)


def some_components(world: World) -> None:
    """shop (shop-dev, shop-two in dev; shop-stage in stage) and cart (cart-dev in dev); components: queue on
    shop/shop-dev, cache on shop/shop-stage, cart-q on cart/cart-dev, bucket detached in dev, logs in stage."""
    component_world(world, service=False)
    environment(world, "stage", componentRoleArn=COMPONENT_ROLE)
    create_service(world, "shop", DEV, TWO, ("shop-stage", "stage"), pipeline=False)
    create_service(world, "cart", ("cart-dev", "dev"), pipeline=False)
    create_component(world, "queue", serviceSpec=SERVICE_SPEC, description="the queue")
    create_component(world, "cache", instance="shop-stage")
    create_component(world, "cart-q", service="cart", instance="cart-dev")
    detached(world, "bucket")
    detached(world, "logs", "stage")


def test_list_items_are_the_components_without_description_inputs_and_token_by_name(world: World) -> None:
    some_components(world)
    listed = proton(world).list_components()
    assert "nextToken" not in listed
    names = ["bucket", "cache", "cart-q", "logs", "queue"]
    assert [item["name"] for item in listed["components"]] == names
    assert listed["components"] == [summary_item(get_component(world, name)) for name in names]
    queue = listed["components"][-1]
    assert not {"description", "serviceSpec", "lastClientRequestToken"} & set(queue)
    assert (queue["serviceName"], queue["serviceInstanceName"]) == ("shop", "shop-dev")


def test_the_filters_and_together_and_a_name_matching_nothing_lists_nothing(world: World) -> None:
    some_components(world)
    assert component_names(world, environmentName="dev") == ["bucket", "cart-q", "queue"]
    assert component_names(world, environmentName="stage") == ["cache", "logs"]
    assert component_names(world, serviceName="shop") == ["cache", "queue"]
    assert component_names(world, serviceName="shop", serviceInstanceName="shop-dev") == ["queue"]
    assert component_names(world, serviceName="shop", environmentName="stage") == ["cache"]
    assert component_names(world, serviceName="cart", environmentName="stage") == []
    assert component_names(world, serviceName="shop", serviceInstanceName="shop-two") == []
    assert component_names(world, environmentName="nope") == []
    assert component_names(world, serviceName="nope") == []
    assert component_names(world, serviceName="shop", serviceInstanceName="nope") == []
    code, _, status = refused(proton(world).list_components, serviceInstanceName="shop-dev")
    assert (code, status) == ("ValidationException", 400)


def test_the_filters_see_the_attachment_a_component_shows(world: World) -> None:
    component_world(world, DEV, TWO)
    create_component(world)
    detached(world)
    world.set_settle_policy("manual")
    update_component(world, "CURRENT_VERSION", "bucket", serviceName="shop", serviceInstanceName="shop-two")
    update_component(world, "CURRENT_VERSION", serviceName="", serviceInstanceName="")
    # Until the deployments succeed, bucket is detached and queue attached.
    assert component_names(world, serviceName="shop") == ["queue"]
    settle_all(world)
    assert component_names(world, serviceName="shop") == ["bucket"]
    assert component_names(world, serviceName="shop", serviceInstanceName="shop-two") == ["bucket"]
    assert component_names(world, environmentName="dev") == ["bucket", "queue"]


def test_components_are_paginated(world: World) -> None:
    component_world(world, service=False)
    names = [f"c{n}" for n in range(5)]
    for name in reversed(names):
        detached(world, name)
    client = proton(world)
    seen: list[str] = []
    tokens: list[str] = []
    page = client.list_components(maxResults=2)
    while True:
        seen += [item["name"] for item in page["components"]]
        assert len(page["components"]) <= 2
        if "nextToken" not in page:
            break
        assert page["nextToken"] and page["nextToken"] not in tokens
        tokens.append(page["nextToken"])
        page = client.list_components(maxResults=2, nextToken=page["nextToken"])
    assert (seen, len(tokens)) == (names, 2)
    assert component_names(world) == names
    code, _, status = refused(client.list_components, nextToken="bm90LWEtdG9rZW4=")
    assert (code, status) == ("ValidationException", 400)
    code, _, status = refused(proton(world).list_components, maxResults=2, nextToken=tokens[0], environmentName="dev")
    assert (code, status) == ("ValidationException", 400)  # a token of another query
    for value in (0, 101):
        response = world.call("ListComponents", {"maxResults": value}, account="222222222222")
        assert (response.status, response.json()["__type"].split("#")[1]) == (400, "ValidationException")
