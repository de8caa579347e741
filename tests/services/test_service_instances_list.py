"""ListServiceInstances ([decided] S-20), and the outputs and provisioned resources of service instances, in
every mode."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from support import World

from .service_helpers import (
    DEV,
    PROD,
    create_service,
    get_instance,
    missing_service,
    pipeline_of,
    proton,
    refused,
    service_template,
    setup,
    spec_of,
    template_version,
)

OUTPUTS_1 = [{"key": "url", "valueString": "https://one"}]
OUTPUTS_2 = [{"key": "url", "valueString": "https://two"}, {"key": "port", "valueString": "80"}]
RESOURCES = [{"name": "Service", "identifier": "svc-1", "provisioningEngine": "CLOUDFORMATION"}]

ALL = ["blog-dev", "shop-bad", "shop-dev", "shop-draft", "shop-prod"]


def five_instances(world: World) -> None:
    """blog-dev (template api), then in shop (template web): shop-dev, shop-prod (in prod), shop-draft (on the DRAFT
    1.1) and shop-bad (FAILED)."""
    setup(world, prod=True)
    service_template(world, "api")
    template_version(world, "api")
    create_service(world, "shop", DEV, PROD)
    create_service(world, "blog", ("blog-dev", "dev"), template="api")
    template_version(world, "web", "1", publish=False)  # 1.1, DRAFT
    client = proton(world)
    client.create_service_instance(
        name="shop-draft",
        serviceName="shop",
        spec=spec_of(("shop-draft", "dev")),
        templateMajorVersion="1",
        templateMinorVersion="1",
    )
    world.set_settle_policy("fail")
    client.create_service_instance(name="shop-bad", serviceName="shop", spec=spec_of(("shop-bad", "dev")))
    world.set_settle_policy("succeed")


def listed(world: World, **members: Any) -> list[str]:
    pages = proton(world).get_paginator("list_service_instances").paginate(**members)
    return [item["name"] for page in pages for item in page["serviceInstances"]]


def where(**filters: str | list[str]) -> list[dict[str, str]]:
    made = []
    for key, values in filters.items():
        for value in [values] if isinstance(values, str) else values:
            made.append({"key": key, "value": value})
    return made


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def summaries(world: World) -> list[dict[str, Any]]:
    return proton(world).list_service_instances()["serviceInstances"]


# -- what is listed -------------------------------------------------------------------------------------------


def test_instances_are_listed_by_service_name_then_name_as_summaries(world: World) -> None:
    five_instances(world)
    assert listed(world) == ALL
    summary = next(item for item in summaries(world) if item["name"] == "shop-prod")
    instance = get_instance(world, "shop-prod")
    assert summary == {k: v for k, v in instance.items() if k not in ("spec", "lastClientRequestToken")}


def test_the_service_name_member_restricts_and_an_unknown_one_is_not_found(world: World) -> None:
    five_instances(world)
    assert listed(world, serviceName="shop") == ["shop-bad", "shop-dev", "shop-draft", "shop-prod"]
    assert listed(world, serviceName="blog") == ["blog-dev"]
    assert refused(proton(world).list_service_instances, serviceName="nope") == missing_service("nope")


def test_the_paginator_walks_every_item_once(world: World) -> None:
    five_instances(world)
    pages = list(proton(world).get_paginator("list_service_instances").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["serviceInstances"]) for page in pages] == [2, 2, 1]
    assert [item["name"] for page in pages for item in page["serviceInstances"]] == ALL


# -- filters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (where(name=["shop-dev", "blog-dev"]), ["blog-dev", "shop-dev"]),
        (where(serviceName="blog"), ["blog-dev"]),
        (where(templateName="web", environmentName="prod"), ["shop-prod"]),
        (where(environmentName=["prod", "dev"], templateName="api"), ["blog-dev"]),
        (where(deploymentStatus="FAILED"), ["shop-bad"]),
        (where(deployedTemplateVersionStatus="DRAFT"), ["shop-draft"]),
        (where(deployedTemplateVersionStatus="PUBLISHED", serviceName="shop", deploymentStatus="SUCCEEDED"),
         ["shop-dev", "shop-prod"]),
        (where(environmentName="nowhere"), []),
        (where(deploymentStatus="BOGUS"), []),
    ],
)  # fmt: skip
def test_filters_of_one_key_are_ored_and_keys_anded(
    world: World, filters: list[dict[str, str]], expected: list[str]
) -> None:
    five_instances(world)
    assert listed(world, filters=filters) == expected


def test_filters_are_anded_with_the_service_name_member(world: World) -> None:
    five_instances(world)
    assert listed(world, serviceName="blog", filters=where(templateName="web")) == []
    assert listed(world, serviceName="shop", filters=where(environmentName="dev")) == [
        "shop-bad",
        "shop-dev",
        "shop-draft",
    ]


@pytest.mark.parametrize("field", ["createdAt", "lastDeploymentAttemptedAt"])
def test_date_filters_compare_strictly(world: World, field: str) -> None:
    five_instances(world)
    items = summaries(world)
    middle = next(item for item in items if item["name"] == "shop-draft")[field]
    before = sorted(item["name"] for item in items if item[field] < middle)
    after = sorted(item["name"] for item in items if item[field] > middle)
    assert "shop-draft" not in before + after
    by_name = sorted(ALL)
    assert sorted(listed(world, filters=where(**{f"{field}Before": rfc3339(middle)}))) == before
    assert sorted(listed(world, filters=where(**{f"{field}After": rfc3339(middle)}))) == after
    assert sorted(listed(world, filters=where(**{f"{field}After": "2000-01-01T00:00:00Z"}))) == by_name
    assert listed(world, filters=where(**{f"{field}Before": "2000-01-01T00:00:00Z"})) == []


@pytest.mark.parametrize("value", ["yesterday", "2026-01-01T00:00:00+01:00", "2026-13-01T00:00:00Z", ""])
def test_a_date_filter_that_is_not_an_rfc_3339_utc_time_is_refused(world: World, value: str) -> None:
    five_instances(world)
    assert refused(proton(world).list_service_instances, filters=where(createdAtBefore=value)) == (
        "ValidationException",
        f"Invalid value '{value}' for filter createdAtBefore: expected an RFC 3339 date-time",
        400,
    )


# -- sorting ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sort_by", ["name", "serviceName", "templateName", "environmentName", "createdAt", "lastDeploymentAttemptedAt"]
)
def test_sort_by_a_field_ties_by_service_then_name_and_descending_is_its_exact_reverse(
    world: World, sort_by: str
) -> None:
    five_instances(world)
    items = summaries(world)
    expected = [i["name"] for i in sorted(items, key=lambda i: (i[sort_by], i["serviceName"], i["name"]))]
    assert listed(world, sortBy=sort_by) == expected
    assert listed(world, sortBy=sort_by, sortOrder="ASCENDING") == expected
    assert listed(world, sortBy=sort_by, sortOrder="DESCENDING") == expected[::-1]
    pages = (
        proton(world)
        .get_paginator("list_service_instances")
        .paginate(sortBy=sort_by, sortOrder="DESCENDING", PaginationConfig={"PageSize": 2})
    )
    assert [item["name"] for page in pages for item in page["serviceInstances"]] == expected[::-1]


def test_descending_without_sort_by_reverses_the_default_order(world: World) -> None:
    five_instances(world)
    assert listed(world, sortOrder="DESCENDING") == ALL[::-1]


# -- outputs and provisioned resources ------------------------------------------------------------------------


def test_outputs_and_resources_come_from_the_last_successful_deployment_or_the_one_named(world: World) -> None:
    setup(world)
    world.set_settle_policy("manual")
    create_service(world)
    client = proton(world)
    first = get_instance(world)["lastAttemptedDeploymentId"]
    names = {"serviceName": "shop", "serviceInstanceName": "shop-dev"}
    assert client.list_service_instance_outputs(**names)["outputs"] == []
    assert client.list_service_instance_provisioned_resources(**names)["provisionedResources"] == []
    world.settle(first, outputs=OUTPUTS_1, provisioned_resources=RESOURCES)
    world.settle(pipeline_of(world)["lastAttemptedDeploymentId"])
    assert client.list_service_instance_outputs(**names)["outputs"] == OUTPUTS_1
    assert client.list_service_instance_provisioned_resources(**names)["provisionedResources"] == RESOURCES
    second = client.update_service_instance(name="shop-dev", serviceName="shop", deploymentType="CURRENT_VERSION")[
        "serviceInstance"
    ]["lastAttemptedDeploymentId"]
    assert client.list_service_instance_outputs(**names)["outputs"] == OUTPUTS_1  # not yet succeeded
    world.settle(second, outputs=OUTPUTS_2)
    assert client.list_service_instance_outputs(**names)["outputs"] == OUTPUTS_2
    assert client.list_service_instance_outputs(**names, deploymentId=first)["outputs"] == OUTPUTS_1
    assert client.list_service_instance_provisioned_resources(**names)["provisionedResources"] == []
    outputs = client.get_paginator("list_service_instance_outputs").paginate(**names)
    assert [o for page in outputs for o in page["outputs"]] == OUTPUTS_2


def test_outputs_of_another_targets_deployment_are_not_found(world: World) -> None:
    setup(world)
    create_service(world, "shop", DEV, ("shop-two", "dev"))
    client = proton(world)
    names = {"serviceName": "shop", "serviceInstanceName": "shop-dev"}
    for other in (
        get_instance(world, "shop-two")["lastAttemptedDeploymentId"],
        pipeline_of(world)["lastAttemptedDeploymentId"],
    ):
        assert refused(client.list_service_instance_outputs, **names, deploymentId=other)[0] == (
            "ResourceNotFoundException"
        )
    assert refused(client.list_service_instance_outputs, serviceName="shop", serviceInstanceName="gone")[0] == (
        "ResourceNotFoundException"
    )
