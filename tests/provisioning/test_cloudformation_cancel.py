"""Cancelling a CloudFormation deployment (the doc's Cancel and P-17): CancelUpdateStack while the stack's update
runs, then the deployment ends as the stack does; and jobs whose stacks are updating wait together (P-10). moto
cannot hold an update running, so these tests put slow_cloudformation.py's proxy in front of it; they run on a
server's worker and in-process `thread` mode, where a cancel can arrive while the job waits on the stack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundles.bundle_support import Bundles
from openproton import Settings, mock_proton
from support import InProcessWorld, ServerProcess, ServerWorld

from .conftest import SERVER_CREDENTIALS, server_env, server_flags
from .slow_cloudformation import SlowCloudFormation, slow_cloudformation
from .test_cloudformation import SPEC, bundle, ended


@pytest.fixture(scope="module")
def slow_endpoint(cloud_endpoint: str) -> Iterator[SlowCloudFormation]:
    with slow_cloudformation(cloud_endpoint) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def slow_server(provisioning_dir: Path, slow_endpoint: SlowCloudFormation) -> Iterator[ServerProcess]:
    process = ServerProcess(*server_flags(provisioning_dir, slow_endpoint.url), env=server_env())
    yield process
    process.stop()


@pytest.fixture(params=["thread", "sqlite"])
def slow(
    request: pytest.FixtureRequest,
    provisioning_dir: Path,
    slow_endpoint: SlowCloudFormation,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Bundles, SlowCloudFormation]]:
    with slow_endpoint.lock:
        slow_endpoint.holding = False
        slow_endpoint.after_refusal = None
        slow_endpoint.updating.clear()
        slow_endpoint.ended.clear()
        slow_endpoint.cancels.clear()
    if request.param == "thread":
        for name, value in SERVER_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        settings = Settings(
            bundle_dir=str(provisioning_dir),
            provisioners=("cloudformation",),
            cloudformation_endpoint=slow_endpoint.url,
            provisioning_mode="thread",
        )
        with mock_proton(settings=settings) as mock:
            yield Bundles(InProcessWorld(mock), provisioning_dir), slow_endpoint
        return
    server: ServerProcess = request.getfixturevalue("slow_server")
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    yield Bundles(ServerWorld(server), provisioning_dir), slow_endpoint


@pytest.mark.parametrize(
    ("after_cancel", "after_refusal", "status", "message"),
    [
        ("UPDATE_ROLLBACK_COMPLETE", None, "CANCELLED", "User initiated cancellation."),
        ("UPDATE_ROLLBACK_FAILED", None, "FAILED", None),
        (None, None, "SUCCEEDED", None),  # the update finished first (P-17: it ends as the stack does)
        # The cancel came too late and the update then rolled back on its own: its failure, not a cancel.
        (None, "UPDATE_ROLLBACK_COMPLETE", "FAILED", None),
    ],
)
def test_a_cancel_during_a_stack_update_ends_as_the_stack_does(
    slow: tuple[Bundles, SlowCloudFormation],
    after_cancel: str | None,
    after_refusal: str | None,
    status: str,
    message: str | None,
) -> None:
    cloud, proxy = slow
    cloud.publish("queue", bundle())
    cloud.create_environment("dev", "queue", SPEC)

    def read() -> dict:
        return cloud.client.get_environment(name="dev")["environment"]

    assert ended(read)["deploymentStatus"] == "SUCCEEDED"
    proxy.holding, proxy.after_cancel, proxy.after_refusal = True, after_cancel, after_refusal
    cloud.client.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=SPEC.replace("5", "7"))
    deadline = time.monotonic() + 30
    while not proxy.updating:
        assert time.monotonic() < deadline, "the worker never updated the stack"
        time.sleep(0.05)
    (stack,) = proxy.updating

    answer = cloud.client.cancel_environment_deployment(environmentName="dev")["environment"]
    assert answer["deploymentStatus"] == "CANCELLING"
    # [decided] P-17: not ended by the cancel itself; the stack decides.
    assert read()["deploymentStatus"] in ("CANCELLING", status)
    final = ended(read)
    assert final["deploymentStatus"] == status, final.get("deploymentStatusMessage")
    assert proxy.cancels == [stack]  # one CancelUpdateStack, for its stack
    if message is not None:
        assert final["deploymentStatusMessage"] == message
    if status == "FAILED":
        assert (after_cancel or after_refusal) in final["deploymentStatusMessage"]
    deployment = cloud.client.get_deployment(id=final["lastAttemptedDeploymentId"])["deployment"]
    assert deployment["deploymentStatus"] == status


def test_jobs_whose_stacks_are_updating_wait_together(slow: tuple[Bundles, SlowCloudFormation]) -> None:
    """[decided] P-10: while one job waits on its stack, the next job's work goes on: both updates are under way
    at once (one job after another, the second UpdateStack would wait for the first stack to finish)."""
    cloud, proxy = slow
    cloud.publish("queue", bundle())
    for name in ("first", "second"):
        cloud.create_environment(name, "queue", SPEC)
    for name in ("first", "second"):
        done = ended(lambda name=name: cloud.client.get_environment(name=name)["environment"])
        assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
    proxy.holding = True
    for name in ("first", "second"):
        cloud.client.update_environment(name=name, deploymentType="CURRENT_VERSION", spec=SPEC.replace("5", "7"))
    deadline = time.monotonic() + 30
    while len(proxy.updating) < 2:
        assert time.monotonic() < deadline, f"only {len(proxy.updating)} of the 2 stacks is being updated"
        time.sleep(0.05)
    for name in ("first", "second"):
        assert cloud.client.get_environment(name=name)["environment"]["deploymentStatus"] == "IN_PROGRESS"
    with proxy.lock:
        proxy.holding = False
        proxy.updating.clear()  # both updates finish
    for name in ("first", "second"):
        done = ended(lambda name=name: cloud.client.get_environment(name=name)["environment"])
        assert done["deploymentStatus"] == "SUCCEEDED", done.get("deploymentStatusMessage")
