"""Two replicas on one PostgreSQL database: the services rules that read before they write hold under races.

Each replica is its own `openproton serve` process, so the two calls of a race really run at once on two
connections; the scope's advisory lock (deployments.lock_key) is what makes one of them wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support import MGMT_ACCOUNT, REGION, ServerProcess, make_client, postgres_database

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton"
SOURCE = {"s3": {"bucket": "templates", "key": "bundle.tar.gz"}}
ROUNDS = 6


@pytest.fixture
def two_replicas() -> Iterator[list[ServerProcess]]:
    with postgres_database("races") as database:
        first, second = ServerProcess(database=database), ServerProcess(database=database)
        try:
            yield [first, second]
        finally:
            first.stop()
            second.stop()


def client(server: ServerProcess) -> Any:
    return make_client(server.endpoint, MGMT_ACCOUNT, REGION)


def at_once(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run the tasks in threads released together; each result is its return value or its ClientError."""
    results: list[Any] = [None] * len(tasks)
    barrier = threading.Barrier(len(tasks))

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = tasks[index]()
        except ClientError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def spec(*instances: tuple[str, str]) -> str:
    lines = ["proton: ServiceSpec", "pipeline:", "  size: 1"]
    if instances:
        lines.append("instances:")
        for name, environment in instances:
            lines += [f"  - name: {name}", f"    environment: {environment}", "    spec:", "      port: 80"]
    return "\n".join(lines) + "\n"


def prepare(proton: Any, environments: list[str]) -> None:
    proton.create_environment_template(name="vpc")
    proton.create_environment_template_version(templateName="vpc", source=SOURCE)
    proton.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    for name in environments:
        proton.create_environment(
            name=name, templateName="vpc", templateMajorVersion="1", protonServiceRoleArn=ROLE, spec="proton: X\n"
        )
    proton.update_account_settings(pipelineServiceRoleArn=ROLE)
    proton.create_service_template(name="web")
    proton.create_service_template_version(
        templateName="web", source=SOURCE, compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}]
    )
    proton.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")


def repository() -> dict[str, str]:
    return {
        "repositoryConnectionArn": f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/c",
        "repositoryId": "acme/shop",
        "branchName": "main",
    }


def test_two_updates_of_one_instance_start_exactly_one_deployment(two_replicas: list[ServerProcess]) -> None:
    first, second = (client(server) for server in two_replicas)
    prepare(first, ["dev"])
    first.create_service(
        name="shop", templateName="web", templateMajorVersion="1", spec=spec(("shop-dev", "dev")), **repository()
    )
    # Deployments stay under way until settled, so the loser of each race meets the winner's deployment.
    policy = two_replicas[0].request("PUT", "/_openproton/settle-policy", {}, b'{"policy": "manual"}')
    assert policy.status == 200, policy.body
    for _ in range(ROUNDS):
        results = at_once(
            [
                lambda proton=proton: proton.update_service_instance(
                    serviceName="shop", name="shop-dev", deploymentType="CURRENT_VERSION"
                )["serviceInstance"]
                for proton in (first, second)
            ]
        )
        started = [r for r in results if not isinstance(r, ClientError)]
        refused = [error_of_client(r) for r in results if isinstance(r, ClientError)]
        assert len(started) == 1, results
        assert [code for code, _ in refused] == ["ConflictException"]
        deployment_id = started[0]["lastAttemptedDeploymentId"]
        instance = second.get_service_instance(serviceName="shop", name="shop-dev")["serviceInstance"]
        assert (instance["deploymentStatus"], instance["lastAttemptedDeploymentId"]) == ("IN_PROGRESS", deployment_id)
        settled = two_replicas[1].request("POST", f"/_openproton/deployments/{deployment_id}/settle", {}, b"{}")
        assert settled.status == 200, settled.body
    listed = first.list_deployments(serviceName="shop", serviceInstanceName="shop-dev")["deployments"]
    # The create and one update per round, all ended: no round started two.
    assert [d["deploymentStatus"] for d in listed] == ["SUCCEEDED"] * (ROUNDS + 1)


def test_delete_environment_racing_create_service_never_both_succeed(two_replicas: list[ServerProcess]) -> None:
    first, second = (client(server) for server in two_replicas)
    names = [f"env{n}" for n in range(ROUNDS)]
    prepare(first, names)
    for name in names:
        deleted, created = at_once(
            [
                lambda name=name: first.delete_environment(name=name)["environment"],
                lambda name=name: second.create_service(
                    name=f"svc-{name}",
                    templateName="web",
                    templateMajorVersion="1",
                    spec=spec((f"i-{name}", name)),
                    **repository(),
                )["service"],
            ]
        )
        assert isinstance(deleted, ClientError) != isinstance(created, ClientError), (deleted, created)
        if isinstance(created, ClientError):
            # The environment went first: the service's spec names an environment being deleted, or gone.
            assert error_of_client(created)[0] == "ValidationException", created
        else:
            # The service went first: its instance is in the environment, which cannot be deleted now.
            code, message = error_of_client(deleted)
            assert (code, f"i-{name}" in message) == ("ConflictException", True), message
            instances = first.list_service_instances(serviceName=f"svc-{name}")["serviceInstances"]
            assert [i["environmentName"] for i in instances] == [name]


def error_of_client(error: ClientError) -> tuple[str, str]:
    return error.response["Error"]["Code"], error.response["Error"]["Message"]
