"""In-process cost of each resource family's Get, and of a console page, beside the call they are built on.

    .venv/bin/python bench/families.py [--seconds S] [--rounds R]

Two comparisons, each from one run, round by round (the families alternate within a round, so drift on the
machine touches them alike):

- Get of an environment account connection (the path bench/run.py measures against its peers), an
  environment template and an environment, through boto3 and `mock_proton()`: what the wider shapes and the
  lazily settled deployments of the newer families cost, as a ratio to the connection's Get.
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

ENV, MGMT = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{ENV}:role/proton-environment"


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
        mgmt.create_environment_template(name="web")
        source = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
        mgmt.create_environment_template_version(templateName="web", source=source)
        mgmt.update_environment_template_version(
            templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        mgmt.create_environment(
            name="dev",
            templateName="web",
            templateMajorVersion="1",
            spec="proton: EnvironmentSpec\n",
            protonServiceRoleArn=f"arn:aws:iam::{MGMT}:role/proton-service",
        )
        assert mock.service is not None
        console = Console(mock.service)
        api = ConsoleApi(mock.service, Caller(MGMT, "us-east-1"))
        headers = {"host": "bench", "cookie": f"op_account={MGMT}"}
        page = console.handle("GET", "/console/connections", "side=management", headers, b"")
        assert page.status == 200 and page.body.count(b"<tr>") == 26, "the page lists the 25 connections"

        gets = {
            "GetEnvironmentAccountConnection": lambda: mgmt.get_environment_account_connection(id=connection["id"]),
            "GetEnvironmentTemplate": lambda: mgmt.get_environment_template(name="web"),
            "GetEnvironment": lambda: mgmt.get_environment(name="dev"),
        }
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
