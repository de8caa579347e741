"""In-process cost of each resource family's Get, and of a console page, beside the call they are built on.

    .venv/bin/python bench/families.py [--seconds S] [--rounds R]

Two comparisons, each from one run, round by round (the families alternate within a round, so drift on the
machine touches them alike):

- Get of an environment account connection (the path bench/run.py measures against its peers), an
  environment template, an environment, a service, a service instance, a component, and the first page of 100
  service instances (ListServiceInstances, no filter), through boto3 and `mock_proton()`: what the wider shapes
  and the deployments of the newer families cost, as a ratio to the connection's Get.
- The account holds 5 services of 20 instances each (the per-service quota) in environment `dev`, each with a
  pipeline, and a component attached to instance svc-2-i10. Deployments end lazily: a read computes an ending
  that only a later writing call stores. Before measuring, an UpdateService with only a description on each
  service stores the endings of its operation, its instances and its pipeline (Services.current does, in a
  write), which is the state a user's account is in once anything has written to its services; the run checks
  that no stored row is left under way.
- The console's page of 25 incoming connections (/console/connections) against the one API call it makes
  (ListEnvironmentAccountConnections of 25, through the same pipeline): what rendering the page adds.

Run it on an otherwise idle machine; pin it to a core with `taskset -c 1` to keep the rounds comparable.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import boto3

from openproton import mock_proton
from openproton.console.api import Caller, ConsoleApi
from openproton.console.pages import Console
from openproton.settings import Settings
from openproton.store import Scope
from openproton.store import components as component_store
from openproton.store import environments as environment_store
from openproton.store import services as service_store

ENV, MGMT = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{ENV}:role/proton-environment"
SERVICES, INSTANCES = 5, 20  # 20: the default quota of instances per service
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: queue.yaml\n      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)
PAGE = 100  # the first page of ListServiceInstances (the model's largest maxResults, and the default)


SOURCE = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}  # not fetched: bundles are opt-in


def environment(mgmt: Any, source: dict[str, Any]) -> None:
    """Environment template vpc 1.0 published, and environment `dev` in the management account (with a
    component role, so that directly defined components may run in it)."""
    mgmt.create_environment_template(name="vpc")
    mgmt.create_environment_template_version(templateName="vpc", source=source)
    mgmt.update_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED")
    mgmt.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\n",
        protonServiceRoleArn=f"arn:aws:iam::{MGMT}:role/proton-service",
        componentRoleArn=f"arn:aws:iam::{MGMT}:role/proton-component",
    )


def services(mgmt: Any, source: dict[str, Any]) -> None:
    """Pipeline roles, service template web 1.0 (compatible with vpc:1) published, and SERVICES services of
    INSTANCES instances in dev, each with a pipeline; then the write that stores their endings."""
    mgmt.update_account_settings(pipelineServiceRoleArn=f"arn:aws:iam::{MGMT}:role/proton-pipeline")
    mgmt.create_service_template(name="web")
    mgmt.create_service_template_version(
        templateName="web",
        source=source,
        compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )
    mgmt.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    for number in range(SERVICES):
        name = f"svc-{number}"
        lines = ["proton: ServiceSpec", 'pipeline: {"dockerfile": "Dockerfile"}', "instances:"]
        for index in range(INSTANCES):
            lines += [f"  - name: {name}-i{index:02d}", "    environment: dev", '    spec: {"port": 80}']
        mgmt.create_service(
            name=name,
            templateName="web",
            templateMajorVersion="1",
            spec="\n".join(lines) + "\n",
            repositoryConnectionArn=f"arn:aws:codestar-connections:us-east-1:{MGMT}:connection/0a1b2c3d",
            repositoryId="acme/shop",
            branchName="main",
        )
    mgmt.create_component(
        name="queue", serviceName="svc-2", serviceInstanceName="svc-2-i10", manifest=MANIFEST, templateFile="R: {}"
    )
    for number in range(SERVICES):
        # A writing call that reads the service stores the endings of its operation, instances and pipeline.
        mgmt.update_service(name=f"svc-{number}", description="settled")
    # ...and one on the component stores its creation's ending.
    mgmt.update_component(name="queue", deploymentType="NONE", description="settled")


def settled(database: Any) -> None:
    """Check that no stored service, instance, pipeline or environment row is left under way: the reads
    measured then cost what a steady account's do (no deployment looked up to compute an ending)."""
    scope = Scope(MGMT, "us-east-1")
    with database.transaction(write=False) as tx:
        instances = service_store.all_instances(tx, scope)
        assert len(instances) == SERVICES * INSTANCES
        rows = [*instances, *(service_store.get_pipeline(tx, scope, f"svc-{n}") for n in range(SERVICES))]
        assert all(row["deployment_status"] == "SUCCEEDED" for row in rows), "stored rows still under way"
        for number in range(SERVICES):
            service = service_store.get_service(tx, scope, f"svc-{number}")
            assert service is not None and service["operation"] is None and service["status"] == "ACTIVE", service
        environment = environment_store.get_environment(tx, scope, "dev")
        assert environment is not None and environment["deployment_status"] == "SUCCEEDED", "dev under way"
        component = component_store.get(tx, scope, "queue")
        assert component is not None and component["deployment_status"] == "SUCCEEDED", "the component under way"


def rate(call: Callable[[], Any], seconds: float) -> float:
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        calls += 1
    return calls / (time.perf_counter() - start)


def client(account: str) -> Any:
    return boto3.client("proton", region_name="us-east-1", aws_access_key_id=account, aws_secret_access_key="x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    # 25 connections need a quota above the default 5.
    with mock_proton(settings=Settings(database_url="sqlite://", connection_quota=25)) as mock:
        env, mgmt = client(ENV), client(MGMT)
        connection = env.create_environment_account_connection(
            managementAccountId=MGMT, environmentName="dev", roleArn=ROLE
        )["environmentAccountConnection"]
        for index in range(24):
            env.create_environment_account_connection(
                managementAccountId=MGMT, environmentName=f"env-{index}", roleArn=ROLE
            )
        environment(mgmt, SOURCE)
        assert mock.service is not None
        services(mgmt, SOURCE)
        settled(mock.service.database)
        console = Console(mock.service)
        api = ConsoleApi(mock.service, Caller(MGMT, "us-east-1"))
        headers = {"host": "bench", "cookie": f"op_account={MGMT}"}
        page = console.handle("GET", "/console/connections", "side=management", headers, b"")
        assert page.status == 200 and page.body.count(b"<tr>") == 26, "the page lists the 25 connections"

        gets = {
            "GetEnvironmentAccountConnection": lambda: mgmt.get_environment_account_connection(id=connection["id"]),
            "GetEnvironmentTemplate": lambda: mgmt.get_environment_template(name="vpc"),
            "GetEnvironment": lambda: mgmt.get_environment(name="dev"),
            "GetService": lambda: mgmt.get_service(name="svc-2"),
            "GetServiceInstance": lambda: mgmt.get_service_instance(serviceName="svc-2", name="svc-2-i10"),
            "GetComponent": lambda: mgmt.get_component(name="queue"),
            f"ListServiceInstances ({PAGE})": lambda: mgmt.list_service_instances(maxResults=PAGE),
        }
        listed = mgmt.list_service_instances(maxResults=PAGE)["serviceInstances"]
        assert len(listed) == PAGE and all(i["deploymentStatus"] == "SUCCEEDED" for i in listed)
        pages = {
            "API: ListEnvironmentAccountConnections (25)": lambda: api.call(
                "ListEnvironmentAccountConnections", {"requestedBy": "MANAGEMENT_ACCOUNT", "maxResults": 25}
            ),
            "console: /console/connections (25 rows)": lambda: console.handle(
                "GET", "/console/connections", "side=management", headers, b""
            ),
        }
        for title, kinds in (("Get through boto3, calls/s", gets), ("console page, per second", pages)):
            print(f"\n{title}")
            base = next(iter(kinds))
            ratios: dict[str, list[float]] = {name: [] for name in kinds}
            for round_number in range(args.rounds):
                rates = {name: rate(call, args.seconds) for name, call in kinds.items()}
                cells = [f"{name} {value:,.0f} ({value / rates[base]:.2f})" for name, value in rates.items()]
                print(f"  round {round_number}: " + "; ".join(cells))
                for name, value in rates.items():
                    ratios[name].append(value / rates[base])
            for name, values in ratios.items():
                print(f"  median ratio to {base}: {name} {statistics.median(values):.2f}")


if __name__ == "__main__":
    main()
