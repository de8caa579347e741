"""GetResourcesSummary's cost does not follow other accounts' resources (components.md; issue target: within 2x).

    .venv/bin/python bench/summary_scale.py [--seconds S] [--rounds R] [--accounts N]

The caller's account holds about 10^3 resources made through the API, in-process (`mock_proton()`, whose
SQLite database lives in memory): 48 services of 20 instances each in environment `dev` (the per-service
quota), 20 components attached to instances of the first services, their templates and the environment.
Other accounts are then given copies of every scoped row the summary reads (templates and versions,
environments, services, instances, pipelines, components), written with plain SQL, `--accounts` (default 100)
of them: about 10^5 rows that belong to others.

GetResourcesSummary is measured through boto3 with no foreign rows, with them, and again without them (the rows
deleted), so drift shows: the ratio is the time of a call with the foreign rows over the mean of the other two.
A query that scanned every account would grow about 100-fold; one keyed by the caller's scope stays near 1.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import boto3

from openproton import mock_proton
from openproton.store import Database
from openproton.store.tables import metadata

MGMT = "222222222222"
SERVICES, INSTANCES, COMPONENTS = 48, 20, 20
SOURCE = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
MANIFEST = (
    "infrastructure:\n  templates:\n    - file: queue.yaml\n      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)
# The scoped tables GetResourcesSummary reads.
TABLES = (
    "environment_templates",
    "environment_template_versions",
    "environments",
    "service_templates",
    "service_template_versions",
    "services",
    "service_instances",
    "service_pipelines",
    "components",
)


def populate(client: Any) -> None:
    client.create_environment_template(name="vpc")
    client.create_environment_template_version(templateName="vpc", source=SOURCE)
    client.update_environment_template_version(
        templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    role = f"arn:aws:iam::{MGMT}:role/proton"
    client.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\n",
        protonServiceRoleArn=role,
        componentRoleArn=role,
    )
    client.create_service_template(name="web", pipelineProvisioning="CUSTOMER_MANAGED")
    client.create_service_template_version(
        templateName="web",
        source=SOURCE,
        compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )
    client.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    for number in range(SERVICES):
        lines = ["proton: ServiceSpec", "instances:"]
        for index in range(INSTANCES):
            lines += [f"  - name: svc-{number}-i{index:02d}", "    environment: dev"]
        client.create_service(
            name=f"svc-{number}", templateName="web", templateMajorVersion="1", spec="\n".join(lines) + "\n"
        )
    for number in range(COMPONENTS):
        client.create_component(
            name=f"queue-{number}",
            serviceName=f"svc-{number // INSTANCES}",
            serviceInstanceName=f"svc-{number // INSTANCES}-i{number % INSTANCES:02d}",
            manifest=MANIFEST,
            templateFile="Resources: {}\n",
        )
    for number in range(SERVICES):
        client.update_service(name=f"svc-{number}", description="settled")  # stores the endings


def copy_to_other_accounts(database: Database, accounts: int) -> int:
    """Copies of the caller's scoped rows for `accounts` other accounts; returns the rows written."""
    written = 0
    with database.admin_transaction() as connection:
        for table in TABLES:
            columns = [column.name for column in metadata.tables[table].c if column.name != "account_id"]
            others = ", ".join(columns)
            statement = (
                f"INSERT INTO {table} (account_id, {others}) SELECT ?, {others} FROM {table} WHERE account_id = ?"
            )
            for number in range(accounts):
                written += connection.exec_driver_sql(statement, (f"{900000000000 + number}", MGMT)).rowcount
    return written


def delete_other_accounts(database: Database) -> None:
    with database.admin_transaction() as connection:
        for table in TABLES:
            connection.exec_driver_sql(f"DELETE FROM {table} WHERE account_id <> ?", (MGMT,))


def seconds_per_call(client: Any, seconds: float, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.get_resources_summary()
            calls += 1
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=100, help="other accounts given a copy of the rows")
    args = parser.parse_args()
    with mock_proton() as mock:
        assert mock.service is not None
        database = mock.service.database
        client = boto3.client("proton", region_name="us-east-1", aws_access_key_id=MGMT, aws_secret_access_key="x")
        print("populating the caller's account through the API ...", flush=True)
        populate(client)
        counts = client.get_resources_summary()["counts"]
        own = sum(row["total"] for row in counts.values())
        print(f"  {own} resources in the caller's account and region: {counts}")
        before = seconds_per_call(client, args.seconds, args.rounds)
        print(f"  no foreign rows: {before * 1000:.2f} ms per call", flush=True)
        written = copy_to_other_accounts(database, args.accounts)
        assert client.get_resources_summary()["counts"] == counts, "other accounts' rows changed the counts"
        crowded = seconds_per_call(client, args.seconds, args.rounds)
        print(f"  {written:,} rows in {args.accounts} other accounts: {crowded * 1000:.2f} ms per call")
        delete_other_accounts(database)
        after = seconds_per_call(client, args.seconds, args.rounds)
        print(f"  foreign rows deleted again: {after * 1000:.2f} ms per call")
    ratio = crowded / ((before + after) / 2)
    print(f"ratio with {written:,} foreign rows to none: {ratio:.2f} (target: at most 2)")


if __name__ == "__main__":
    main()
