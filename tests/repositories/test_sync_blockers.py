"""Sync blockers ([doc]; [decided] Y-17): which manual changes raise them, the summary and resolving, in every mode."""

from __future__ import annotations

import re
from typing import Any

from repositories.test_links import link
from services.service_helpers import (
    DEV,
    body,
    create_service,
    missing_instance,
    missing_service,
    proton,
    refused,
    setup,
    spec_of,
)
from support import OTHER_ACCOUNT, World

LINK = {"repositoryProvider": "GITHUB", "repositoryName": "acme/ops"}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def synced(world: World) -> None:
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    proton(world).create_service_sync_config(serviceName="shop", **LINK, branch="main", filePath="ops.yaml")


def blockers(world: World, instance: str | None = None) -> list[dict[str, Any]]:
    members = {} if instance is None else {"serviceInstanceName": instance}
    summary = proton(world).get_service_sync_blocker_summary(serviceName="shop", **members)
    return summary["serviceSyncBlockerSummary"]["latestBlockers"]


def update_instance(world: World, port: int | None, kind: str = "CURRENT_VERSION") -> None:
    spec = {} if port is None else {"spec": spec_of(("shop-dev", "dev", {"port": port}))}
    proton(world).update_service_instance(serviceName="shop", name="shop-dev", deploymentType=kind, **spec)


def test_a_manual_instance_update_raises_one_active_blocker_with_its_context(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    update_instance(world, 82)  # at most one ACTIVE per target
    (blocker,) = blockers(world, "shop-dev")
    assert UUID4.fullmatch(blocker["id"])
    assert {k: v for k, v in blocker.items() if k not in ("id", "createdAt")} == {
        "contexts": [{"key": "serviceInstanceName", "value": "shop-dev"}],
        "createdReason": "Manual update of service instance shop-dev",
        "status": "ACTIVE",
        "type": "AUTOMATED",
    }
    assert blockers(world) == []  # the service's own: none
    summary = body(proton(world).get_service_sync_blocker_summary(serviceName="shop", serviceInstanceName="shop-dev"))
    assert set(summary["serviceSyncBlockerSummary"]) == {"serviceName", "serviceInstanceName", "latestBlockers"}


def test_none_deployments_and_services_without_a_config_raise_none(world: World) -> None:
    setup(world)
    create_service(world)
    update_instance(world, 81)
    assert blockers(world, "shop-dev") == []
    link(world, name="acme/ops")
    proton(world).create_service_sync_config(serviceName="shop", **LINK, branch="main", filePath="ops.yaml")
    update_instance(world, None, kind="NONE")
    assert blockers(world, "shop-dev") == []


def test_creation_deletion_and_pipeline_changes_raise_their_blockers(world: World) -> None:
    synced(world)
    proton(world).create_service_instance(
        serviceName="shop", name="shop-new", spec=spec_of(DEV, ("shop-new", "dev", {"port": 1}))
    )
    assert [b["createdReason"] for b in blockers(world, "shop-new")] == ["Manual creation of service instance shop-new"]
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    assert [b["createdReason"] for b in blockers(world)] == ["Manual update of the pipeline of service shop"]


def test_update_service_adding_and_removing_instances_raises_blockers(world: World) -> None:
    synced(world)
    text = spec_of(("shop-b", "dev", {"port": 5}))
    proton(world).update_service(name="shop", spec=text)
    assert [b["createdReason"] for b in blockers(world, "shop-b")] == ["Manual creation of service instance shop-b"]
    assert [b["createdReason"] for b in blockers(world)] == ["Manual deletion of service instance shop-dev"]


def test_resolving_a_blocker_and_the_summary_of_the_last_five(world: World) -> None:
    synced(world)
    ids = []
    for port in range(7):
        update_instance(world, 100 + port)
        (active,) = [b for b in blockers(world, "shop-dev") if b["status"] == "ACTIVE"]
        answer = body(proton(world).update_service_sync_blocker(id=active["id"], resolvedReason=f"fixed {port}"))
        assert answer["serviceName"] == "shop" and answer["serviceInstanceName"] == "shop-dev"
        resolved = answer["serviceSyncBlocker"]
        assert (resolved["status"], resolved["resolvedReason"], "resolvedAt" in resolved) == (
            "RESOLVED",
            f"fixed {port}",
            True,
        )
        ids.append(active["id"])
    update_instance(world, 200)
    latest = blockers(world, "shop-dev")
    assert [b["status"] for b in latest] == ["ACTIVE"] + ["RESOLVED"] * 5
    assert [b["id"] for b in latest[1:]] == list(reversed(ids))[:5]
    assert refused(proton(world).update_service_sync_blocker, id=ids[0], resolvedReason="again") == (
        "ConflictException",
        f"Sync blocker {ids[0]} is already resolved",
        400,
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    assert refused(proton(world).update_service_sync_blocker, id=unknown, resolvedReason="x") == (
        "ResourceNotFoundException",
        f"The requested sync blocker does not exist: {unknown}",
        400,
    )
    other = proton(world, account=OTHER_ACCOUNT)
    assert refused(other.update_service_sync_blocker, id=latest[0]["id"], resolvedReason="x")[0] == (
        "ResourceNotFoundException"
    )


def test_blockers_stay_when_the_config_goes_and_go_with_the_service(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    proton(world).delete_service_sync_config(serviceName="shop")
    assert len(blockers(world, "shop-dev")) == 1
    assert refused(proton(world).get_service_sync_blocker_summary, serviceName="shop", serviceInstanceName="nope") == (
        missing_instance("nope")
    )
    assert refused(proton(world).get_service_sync_blocker_summary, serviceName="nope") == missing_service("nope")
    proton(world).delete_service(name="shop")  # its deletion ends at once under the default settle policy
    create_service(world)
    assert blockers(world, "shop-dev") == []
