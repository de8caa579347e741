"""Sync blockers (repositories-and-sync.md, [doc] and [decided] Y-17): which manual changes raise them, the summary,
resolving them, and what takes them away, in every mode of `world`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from repositories.git_support import GitRepo
from repositories.test_links import link
from repositories.test_service_sync_configs import CONFIG, configure
from services.service_helpers import (
    DEV,
    OTHER_REGION,
    PIPELINE_INPUTS,
    UUID4,
    body,
    create_service,
    get_instance,
    missing_instance,
    missing_service,
    pipeline_of,
    proton,
    refused,
    settle_all,
    setup,
    spec_of,
)
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, REGION, World

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def synced(world: World, *instances: tuple[str, str]) -> None:
    """Service shop (instances: shop-dev in dev unless given) with its service sync config, the link unmapped:
    nothing runs, but manual changes raise blockers ([decided] Y-7)."""
    setup(world)
    create_service(world, "shop", *instances)
    link(world, name="acme/ops")
    configure(world)


def summary(world: World, instance: str | None = None, **client: str) -> dict[str, Any]:
    members = {} if instance is None else {"serviceInstanceName": instance}
    return body(proton(world, **client).get_service_sync_blocker_summary(serviceName="shop", **members))


def latest(world: World, instance: str | None = None) -> list[dict[str, Any]]:
    return summary(world, instance)["serviceSyncBlockerSummary"]["latestBlockers"]


def update_instance(world: World, port: int, name: str = "shop-dev") -> None:
    """UpdateServiceInstance CURRENT_VERSION with new inputs: a manual change of the instance."""
    proton(world).update_service_instance(
        serviceName="shop", name=name, deploymentType="CURRENT_VERSION", spec=spec_of((name, "dev", {"port": port}))
    )


def now() -> datetime:
    return datetime.now(UTC)


def made(blocker: dict[str, Any], since: datetime) -> dict[str, Any]:
    """The members no test can know in advance, checked: a lowercase UUID4 id and a createdAt of the test's time
    (the server runs on this machine). Returns them, to build the whole expected blocker with."""
    assert UUID4.fullmatch(blocker["id"]), blocker["id"]
    assert since - timedelta(seconds=1) <= blocker["createdAt"] <= now() + timedelta(seconds=1)
    return {"id": blocker["id"], "createdAt": blocker["createdAt"]}


def on_instance(name: str) -> dict[str, Any]:
    return {"contexts": [{"key": "serviceInstanceName", "value": name}]}


def active(reason: str, **members: Any) -> dict[str, Any]:
    return {"createdReason": reason, "status": "ACTIVE", "type": "AUTOMATED", **members}


# -- what raises a blocker --------------------------------------------------------------------------------------


def test_create_service_instance_raises_a_blocker_on_the_new_instance(world: World) -> None:
    synced(world)
    since = now()
    proton(world).create_service_instance(
        serviceName="shop", name="shop-new", spec=spec_of(("shop-new", "dev", {"port": 1}))
    )
    (blocker,) = latest(world, "shop-new")
    assert summary(world, "shop-new") == {
        "serviceSyncBlockerSummary": {
            "serviceName": "shop",
            "serviceInstanceName": "shop-new",
            "latestBlockers": [
                active(
                    "Manual creation of service instance shop-new", **on_instance("shop-new"), **made(blocker, since)
                )
            ],
        }
    }
    assert summary(world) == {"serviceSyncBlockerSummary": {"serviceName": "shop", "latestBlockers": []}}
    assert latest(world, "shop-dev") == []


def test_update_service_adding_an_instance_raises_a_blocker_on_it(world: World) -> None:
    synced(world)
    since = now()
    proton(world).update_service(name="shop", spec=spec_of(DEV, ("shop-b", "dev")))
    (blocker,) = latest(world, "shop-b")
    assert blocker == active(
        "Manual creation of service instance shop-b", **on_instance("shop-b"), **made(blocker, since)
    )
    assert latest(world) == []  # nothing was removed
    assert latest(world, "shop-dev") == []  # kept as it was


def test_update_service_instance_raises_a_blocker_on_the_instance(world: World) -> None:
    synced(world)
    since = now()
    update_instance(world, 81)
    (blocker,) = latest(world, "shop-dev")
    assert summary(world, "shop-dev") == {
        "serviceSyncBlockerSummary": {
            "serviceName": "shop",
            "serviceInstanceName": "shop-dev",
            "latestBlockers": [
                active("Manual update of service instance shop-dev", **on_instance("shop-dev"), **made(blocker, since))
            ],
        }
    }
    assert latest(world) == []  # a service-only summary gives the service's own blockers only


def test_update_service_removing_an_instance_raises_one_blocker_on_the_service(world: World) -> None:
    synced(world, ("shop-a", "dev"), ("shop-b", "dev"))
    since = now()
    proton(world).update_service(name="shop", spec=spec_of(pipeline=PIPELINE_INPUTS))  # removes both
    (blocker,) = latest(world)
    # One per target: the first instance removed (by name) names it; a service blocker has no contexts.
    assert summary(world) == {
        "serviceSyncBlockerSummary": {
            "serviceName": "shop",
            "latestBlockers": [active("Manual deletion of service instance shop-a", **made(blocker, since))],
        }
    }
    # The removal has ended (the settle policy ends deployments at once): the instances are gone.
    assert refused(
        proton(world).get_service_sync_blocker_summary, serviceName="shop", serviceInstanceName="shop-a"
    ) == (missing_instance("shop-a"))


def test_update_service_pipeline_raises_a_blocker_on_the_service(world: World) -> None:
    synced(world)
    since = now()
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    (blocker,) = latest(world)
    assert blocker == active("Manual update of the pipeline of service shop", **made(blocker, since))
    assert latest(world, "shop-dev") == []


def test_at_most_one_active_blocker_per_target_and_its_first_reason_stays(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    (first,) = latest(world, "shop-dev")
    update_instance(world, 82)
    proton(world).update_service_instance(serviceName="shop", name="shop-dev", deploymentType="CURRENT_VERSION")
    assert latest(world, "shop-dev") == [first]
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    (service_blocker,) = latest(world)
    proton(world).update_service(name="shop", spec=spec_of(pipeline={"stages": 2}))  # removes shop-dev
    assert latest(world) == [service_blocker]
    assert service_blocker["createdReason"] == "Manual update of the pipeline of service shop"


def test_none_deployments_and_changes_that_deploy_nothing_raise_none(world: World) -> None:
    synced(world)
    client = proton(world)
    client.update_service_instance(serviceName="shop", name="shop-dev", deploymentType="NONE")  # [decided] D-5
    client.update_service_pipeline(serviceName="shop", deploymentType="NONE", spec=spec_of(DEV, pipeline={"x": 1}))
    client.update_service(name="shop", description="only the description")
    client.update_service(name="shop", spec=spec_of(DEV))  # [decided] S-16: the same spec, stored, nothing deployed
    assert latest(world) == []
    assert latest(world, "shop-dev") == []


def test_a_service_without_a_sync_config_gets_no_blockers(world: World) -> None:
    setup(world)
    create_service(world)
    client = proton(world)
    update_instance(world, 81)
    client.update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    client.create_service_instance(serviceName="shop", name="shop-new", spec=spec_of(("shop-new", "dev")))
    client.update_service(name="shop", spec=spec_of(("shop-new", "dev"), ("shop-b", "dev"), pipeline={"stages": 2}))
    # ...and a config made afterwards finds none.
    link(world, name="acme/ops")
    configure(world)
    for instance in (None, "shop-new", "shop-b"):
        assert latest(world, instance) == [], instance


def test_a_refused_call_raises_no_blocker(world: World) -> None:
    synced(world)
    client = proton(world)
    no_major_2 = ("ValidationException", "Service template web has no published major version above 1.", 400)
    assert refused(
        client.update_service_instance, serviceName="shop", name="shop-dev", deploymentType="MAJOR_VERSION"
    ) == (no_major_2)
    pipeline_spec = spec_of(DEV, pipeline={"stages": 2})
    assert refused(
        client.update_service_pipeline, serviceName="shop", deploymentType="MAJOR_VERSION", spec=pipeline_spec
    ) == (no_major_2)
    assert refused(client.update_service, name="shop", spec=spec_of(("shop-dev", "dev", {"port": 1}))) == (
        "ValidationException",
        "UpdateService can't modify existing service instance shop-dev; use UpdateServiceInstance",  # S-16
        400,
    )
    assert refused(
        client.create_service_instance, serviceName="shop", name="shop-x", spec=spec_of(("shop-x", "nope"))
    ) == (
        "ValidationException",
        "Invalid spec: 1 validation error detected: instances[shop-x].environment: environment nope does not exist",
        400,
    )
    assert latest(world) == []
    assert latest(world, "shop-dev") == []
    # Refused because a deployment is under way ([decided] S-17), after the first blocker was resolved.
    world.set_settle_policy("manual")
    update_instance(world, 81)
    (blocker,) = latest(world, "shop-dev")
    resolved = client.update_service_sync_blocker(id=blocker["id"], resolvedReason="ok")["serviceSyncBlocker"]
    code, _, _ = refused(
        client.update_service_instance,
        serviceName="shop",
        name="shop-dev",
        deploymentType="CURRENT_VERSION",
        spec=spec_of(("shop-dev", "dev", {"port": 82})),
    )
    assert code == "ConflictException"
    assert latest(world, "shop-dev") == [resolved]
    # Made without the config, shop-x shows that the refused create left nothing behind for it either.
    settle_all(world)
    client.delete_service_sync_config(serviceName="shop")
    client.create_service_instance(serviceName="shop", name="shop-x", spec=spec_of(("shop-x", "dev")))
    assert latest(world, "shop-x") == []


def test_sync_own_calls_raise_no_blockers(world: World, repo: GitRepo) -> None:
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    world.map_repository("GITHUB", "acme/ops", repo.url)  # still empty: the config's own run finds no branch
    configure(world)
    world.sync("GITHUB", "acme/ops")
    ops = "".join(
        f"      {name}:\n        branch: main\n        spec: shop/{name}.yaml\n" for name in ("shop-dev", "shop-new")
    )
    repo.commit(
        {
            CONFIG["filePath"]: f"sync:\n  services:\n    shop:\n{ops}",
            "shop/shop-dev.yaml": spec_of(("shop-dev", "dev", {"port": 2}), pipeline={"stages": 4}),
            "shop/shop-new.yaml": spec_of(("shop-new", "dev", {"port": 3})),
        }
    )
    world.sync("GITHUB", "acme/ops")
    # Sync updated shop-dev and the pipeline and created shop-new, through the operations that would raise
    # blockers for a client.
    assert '"port": 2' in get_instance(world)["spec"]
    assert get_instance(world, "shop-new")["deploymentStatus"] == "SUCCEEDED"
    assert "stages" in pipeline_of(world)["spec"]
    for instance in (None, "shop-dev", "shop-new"):
        assert latest(world, instance) == [], instance


# -- the summary ------------------------------------------------------------------------------------------------


def test_the_summary_gives_the_active_blocker_then_the_last_five_resolved_newest_first(world: World) -> None:
    synced(world)
    answers = []
    for port in range(7):
        update_instance(world, 100 + port)
        (blocker, *_) = latest(world, "shop-dev")
        assert blocker["status"] == "ACTIVE"
        answers.append(
            body(proton(world).update_service_sync_blocker(id=blocker["id"], resolvedReason=f"fixed {port}"))
        )
    assert [b["status"] for b in latest(world, "shop-dev")] == ["RESOLVED"] * 5
    update_instance(world, 200)
    newest = latest(world, "shop-dev")
    assert newest[0]["status"] == "ACTIVE"
    # The RESOLVED ones read as resolving them answered, newest first, only the last five.
    assert newest[1:] == [answer["serviceSyncBlocker"] for answer in reversed(answers)][:5]
    created = [b["createdAt"] for b in newest]
    assert created == sorted(created, reverse=True) and len(set(created)) == len(created)
    assert latest(world) == []


def test_an_unknown_service_or_instance_is_not_found(world: World) -> None:
    synced(world)
    client = proton(world)
    assert refused(client.get_service_sync_blocker_summary, serviceName="nope") == missing_service("nope")
    assert refused(client.get_service_sync_blocker_summary, serviceName="nope", serviceInstanceName="shop-dev") == (
        missing_service("nope")
    )
    assert refused(client.get_service_sync_blocker_summary, serviceName="shop", serviceInstanceName="nope") == (
        missing_instance("nope")
    )


# -- resolving --------------------------------------------------------------------------------------------------


def test_resolving_an_instance_blocker_answers_it_resolved_and_the_next_change_raises_a_new_one(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    (blocker,) = latest(world, "shop-dev")
    since = now()
    answer = body(proton(world).update_service_sync_blocker(id=blocker["id"], resolvedReason="back to git"))
    resolved_at = answer["serviceSyncBlocker"]["resolvedAt"]
    assert since - timedelta(seconds=1) <= resolved_at <= now() + timedelta(seconds=1)
    assert resolved_at >= blocker["createdAt"]
    assert answer == {
        "serviceName": "shop",
        "serviceInstanceName": "shop-dev",
        "serviceSyncBlocker": {
            **blocker,
            "status": "RESOLVED",
            "resolvedAt": resolved_at,
            "resolvedReason": "back to git",
        },
    }
    assert latest(world, "shop-dev") == [answer["serviceSyncBlocker"]]
    update_instance(world, 82)
    renewed, resolved = latest(world, "shop-dev")
    assert (renewed["status"], renewed["createdReason"], resolved) == (
        "ACTIVE",
        "Manual update of service instance shop-dev",
        answer["serviceSyncBlocker"],
    )
    assert renewed["id"] != blocker["id"]


def test_resolving_a_service_blocker_answers_without_an_instance(world: World) -> None:
    synced(world)
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    (blocker,) = latest(world)
    answer = body(proton(world).update_service_sync_blocker(id=blocker["id"], resolvedReason="fine"))
    assert answer == {
        "serviceName": "shop",
        "serviceSyncBlocker": {
            **blocker,
            "status": "RESOLVED",
            "resolvedAt": answer["serviceSyncBlocker"]["resolvedAt"],
            "resolvedReason": "fine",
        },
    }


def test_a_resolved_blocker_is_a_conflict_and_an_unknown_one_not_found(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    (blocker,) = latest(world, "shop-dev")
    client = proton(world)
    resolved = client.update_service_sync_blocker(id=blocker["id"], resolvedReason="once")["serviceSyncBlocker"]
    assert refused(client.update_service_sync_blocker, id=blocker["id"], resolvedReason="twice") == (
        "ConflictException",
        f"Sync blocker {blocker['id']} is already resolved",
        400,
    )
    assert latest(world, "shop-dev") == [resolved]  # the first reason and time stay
    assert refused(client.update_service_sync_blocker, id=UNKNOWN_ID, resolvedReason="x") == (
        "ResourceNotFoundException",
        f"The requested sync blocker does not exist: {UNKNOWN_ID}",
        400,
    )


def test_another_account_or_region_can_neither_see_nor_resolve_a_blocker(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    (blocker,) = latest(world, "shop-dev")
    for account, region in ((OTHER_ACCOUNT, REGION), (MGMT_ACCOUNT, OTHER_REGION)):
        other = proton(world, account, region)
        assert refused(other.update_service_sync_blocker, id=blocker["id"], resolvedReason="mine now") == (
            "ResourceNotFoundException",
            f"The requested sync blocker does not exist: {blocker['id']}",
            400,
        )
        # Its own service shop does not exist: the message names the caller's ARN, not the owner's.
        assert refused(other.get_service_sync_blocker_summary, serviceName="shop", serviceInstanceName="shop-dev") == (
            "ResourceNotFoundException",
            f"The requested service does not exist: arn:aws:proton:{region}:{account}:service/shop",
            400,
        )
    assert latest(world, "shop-dev") == [blocker]


# -- what takes blockers away -----------------------------------------------------------------------------------


def test_blockers_stay_when_the_sync_config_is_deleted(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    before = (latest(world), latest(world, "shop-dev"))
    proton(world).delete_service_sync_config(serviceName="shop")
    assert (latest(world), latest(world, "shop-dev")) == before
    update_instance(world, 82)  # no config: no manual change any more, and nothing new
    assert latest(world, "shop-dev") == before[1]
    (instance_blocker,) = before[1]
    answer = proton(world).update_service_sync_blocker(id=instance_blocker["id"], resolvedReason="later")
    assert answer["serviceSyncBlocker"]["status"] == "RESOLVED"


def test_deleting_the_service_deletes_its_blockers(world: World) -> None:
    synced(world)
    update_instance(world, 81)
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 2})
    )
    ids = [b["id"] for b in (*latest(world), *latest(world, "shop-dev"))]
    assert len(ids) == 2
    proton(world).delete_service(name="shop")  # its deletion ends at once under the default settle policy
    assert refused(proton(world).get_service_sync_blocker_summary, serviceName="shop") == missing_service()
    for blocker_id in ids:
        assert refused(proton(world).update_service_sync_blocker, id=blocker_id, resolvedReason="x") == (
            "ResourceNotFoundException",
            f"The requested sync blocker does not exist: {blocker_id}",
            400,
        )
    # A new service of the same name, synced again, starts with none.
    create_service(world)
    configure(world)
    assert latest(world) == []
    assert latest(world, "shop-dev") == []
