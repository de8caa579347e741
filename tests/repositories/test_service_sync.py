"""Service sync from a real git repository (repositories-and-sync.md, [doc] and [decided] Y-15, Y-16, Y-17), in
every mode: an OPS file and spec files update a service's instances and pipeline through the API's own code."""

from __future__ import annotations

from typing import Any

from repositories.git_support import GitRepo
from repositories.test_links import link
from services.service_helpers import (
    DEV,
    PIPELINE_INPUTS,
    body,
    create_service,
    get_instance,
    pipeline_of,
    proton,
    refused,
    setup,
    spec_of,
)
from support import World

LINK = {"repositoryProvider": "GITHUB", "repositoryName": "acme/ops"}
OPS = "sync:\n  services:\n    shop:\n      shop-dev:\n        branch: main\n        spec: ./shop/dev.yaml\n"


def synced_service(world: World, repo: GitRepo, *, ops: str = OPS, files: dict[str, str] | None = None) -> str:
    """Service shop with instance shop-dev in dev, its sync config, the repository mapped; the first commit."""
    setup(world)
    create_service(world)
    link(world, name="acme/ops")
    world.map_repository("GITHUB", "acme/ops", repo.url)  # still empty: the config's own run finds no branch
    proton(world).create_service_sync_config(serviceName="shop", **LINK, branch="main", filePath="proton-ops.yaml")
    world.sync("GITHUB", "acme/ops")  # runs or waits for that run (see test_template_sync.configured)
    return repo.commit({"proton-ops.yaml": ops, **(files or {})})


def only(items: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, items
    return items[0]


def run(world: World) -> dict[str, Any]:
    return only(world.sync("GITHUB", "acme/ops"))


def sync_status(world: World, instance: str = "shop-dev") -> dict[str, Any]:
    return body(proton(world).get_service_instance_sync_status(serviceName="shop", serviceInstanceName=instance))


def test_a_spec_commit_deploys_the_instance_and_an_unchanged_one_nothing(world: World, repo: GitRepo) -> None:
    synced_service(world, repo)
    assert sync_status(world) == {}  # never seen
    sha = repo.commit({"shop/dev.yaml": spec_of(("shop-dev", "dev", {"port": 8080}))})
    attempt = run(world)
    assert (attempt["status"], attempt["syncType"]) == ("SUCCEEDED", "SERVICE_SYNC")
    resource = only(attempt["resourceAttempts"])
    assert resource["target"] == "shop/shop-dev"
    assert resource["status"] == "SUCCEEDED"  # the settle policy ends deployments at once
    assert [e["type"] for e in resource["events"]] == ["SYNC_STARTED", "DEPLOYMENT_STARTED", "SYNC_SUCCEEDED"]
    deployment_id = resource["events"][1]["externalId"]
    assert resource["events"][1]["event"] == f"Started deployment {deployment_id}"
    instance = get_instance(world)
    assert instance["lastSucceededDeploymentId"] == deployment_id
    assert "8080" in instance["spec"]
    revision = {"branch": "main", "directory": "shop/dev.yaml", **LINK, "sha": sha}
    found = sync_status(world)
    assert found["desiredState"] == revision
    assert found["latestSync"] == found["latestSuccessfulSync"]
    assert found["latestSync"]["targetRevision"] == revision
    repo.commit({"README.md": "unrelated\n"})
    assert run(world)["resourceAttempts"] == []  # [decided] Y-16: equal, nothing
    assert get_instance(world)["lastSucceededDeploymentId"] == deployment_id


def test_a_deployment_under_way_reads_in_progress_until_it_ends(world: World, repo: GitRepo) -> None:
    synced_service(world, repo)
    world.set_settle_policy("manual")
    repo.commit({"shop/dev.yaml": spec_of(("shop-dev", "dev", {"port": 81}))})
    resource = only(run(world)["resourceAttempts"])
    assert resource["status"] == "IN_PROGRESS"
    deployment_id = resource["events"][1]["externalId"]
    assert sync_status(world)["latestSync"]["status"] == "IN_PROGRESS"
    assert "latestSuccessfulSync" not in sync_status(world)
    world.settle(deployment_id, "FAILED", message="stack failed")
    latest = sync_status(world)["latestSync"]
    assert latest["status"] == "FAILED"
    assert latest["events"][-1]["type"] == "SYNC_FAILED"


def test_an_instance_listed_but_missing_is_created_and_unlisted_ones_are_left_alone(
    world: World, repo: GitRepo
) -> None:
    ops = OPS + "      shop-new:\n        branch: main\n        spec: shop/new.yaml\n"
    synced_service(world, repo, ops=ops)
    repo.commit(
        {
            "shop/dev.yaml": spec_of(DEV),  # as deployed: nothing to do
            "shop/new.yaml": spec_of(("shop-new", "dev", {"port": 9})),
        }
    )
    resource = only(run(world)["resourceAttempts"])
    assert resource["target"] == "shop/shop-new"
    assert get_instance(world, "shop-new")["deploymentStatus"] == "SUCCEEDED"


def test_refusals_fail_the_instance_attempt_with_their_message(world: World, repo: GitRepo) -> None:
    ops = OPS + "      shop-x:\n        branch: main\n        spec: shop/none.yaml\n"
    synced_service(world, repo, ops=ops)
    repo.commit({"shop/dev.yaml": spec_of(("shop-dev", "prod", {"port": 1}))})
    attempt = run(world)
    assert attempt["status"] == "SUCCEEDED"
    reasons = {r["target"]: (r["status"], r["events"][-1]["event"]) for r in attempt["resourceAttempts"]}
    assert reasons == {
        "shop/shop-dev": ("FAILED", "Service instance shop-dev is in environment dev; the spec file names prod"),
        "shop/shop-x": ("FAILED", "Spec file shop/none.yaml does not exist on branch main"),
    }


def test_an_unusable_ops_file_fails_the_run(world: World, repo: GitRepo) -> None:
    synced_service(world, repo, ops="sync: [1, 2]\n")
    attempt = run(world)
    assert attempt["status"] == "FAILED"
    assert attempt["events"][-1]["type"] == "OPS_FILE_INVALID"
    assert attempt["events"][-1]["event"] == (
        "Proton Ops file proton-ops.yaml is not valid: it must be a mapping with sync.services"
    )
    repo.commit({"proton-ops.yaml": None})
    assert run(world)["events"][-1]["event"] == "Proton Ops file proton-ops.yaml is not valid: the file does not exist"


def test_the_pipeline_follows_the_spec_file_on_the_configs_branch(world: World, repo: GitRepo) -> None:
    synced_service(world, repo)
    inputs = {**PIPELINE_INPUTS, "stages": 3}
    repo.commit({"shop/dev.yaml": spec_of(DEV, pipeline=inputs)})
    attempt = run(world)
    assert attempt["resourceAttempts"] == []  # the instance is as the file says
    event = attempt["events"][-1]
    assert event["type"] == "PIPELINE_DEPLOYMENT_STARTED"
    pipeline = pipeline_of(world)
    assert event["event"] == f"Started deployment {pipeline['lastAttemptedDeploymentId']} of the pipeline of shop"
    assert "stages" in pipeline["spec"]
    assert [e["type"] for e in run(world)["events"]] == ["CLONE_STARTED", "STARTING_SYNC"]  # now equal


def test_a_manual_update_blocks_the_instance_until_the_blocker_is_resolved(world: World, repo: GitRepo) -> None:
    synced_service(world, repo, files={"shop/dev.yaml": spec_of(("shop-dev", "dev", {"port": 2}))})
    run(world)
    proton(world).update_service_instance(
        serviceName="shop",
        name="shop-dev",
        deploymentType="CURRENT_VERSION",
        spec=spec_of(("shop-dev", "dev", {"port": 3})),
    )
    summary = proton(world).get_service_sync_blocker_summary(serviceName="shop", serviceInstanceName="shop-dev")
    blocker = summary["serviceSyncBlockerSummary"]["latestBlockers"][0]
    assert (blocker["status"], blocker["createdReason"]) == ("ACTIVE", "Manual update of service instance shop-dev")
    attempt = run(world)
    assert attempt["events"][-1] == {
        **attempt["events"][-1],
        "type": "SYNC_BLOCKED",
        "event": f"Service instance shop/shop-dev is blocked by sync blocker {blocker['id']}",
        "externalId": blocker["id"],
    }
    assert attempt["resourceAttempts"] == []
    assert '"port": 3' in get_instance(world)["spec"]
    proton(world).update_service_sync_blocker(id=blocker["id"], resolvedReason="back to git")
    resource = only(run(world)["resourceAttempts"])
    assert resource["status"] == "SUCCEEDED"
    assert '"port": 2' in get_instance(world)["spec"]  # the next run overwrote the manual change


def test_a_manual_pipeline_update_blocks_the_whole_service(world: World, repo: GitRepo) -> None:
    synced_service(world, repo, files={"shop/dev.yaml": spec_of(("shop-dev", "dev", {"port": 2}))})
    proton(world).update_service_pipeline(
        serviceName="shop", deploymentType="CURRENT_VERSION", spec=spec_of(DEV, pipeline={"stages": 9})
    )
    blocker = proton(world).get_service_sync_blocker_summary(serviceName="shop")["serviceSyncBlockerSummary"][
        "latestBlockers"
    ][0]
    attempt = run(world)
    assert attempt["events"][-1]["event"] == f"Service shop is blocked by sync blocker {blocker['id']}"
    assert attempt["resourceAttempts"] == []


def test_status_of_an_unknown_instance_or_service_is_not_found(world: World, repo: GitRepo) -> None:
    synced_service(world, repo)
    code, message, _ = refused(
        proton(world).get_service_instance_sync_status, serviceName="shop", serviceInstanceName="nope"
    )
    assert (code, message.startswith("The requested service instance does not exist")) == (
        "ResourceNotFoundException",
        True,
    )
    code, message, _ = refused(
        proton(world).get_service_instance_sync_status, serviceName="nope", serviceInstanceName="shop-dev"
    )
    assert (code, message.startswith("The requested service does not exist")) == ("ResourceNotFoundException", True)
