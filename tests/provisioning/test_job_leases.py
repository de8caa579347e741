"""[decided] P-10, P-11: two replicas on one PostgreSQL database run 50 CloudFormation jobs between them, each
exactly once (one CreateStack per stack, never an update), whichever replica took the request."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from bundles.bundle_library import archive, put
from provisioning.conftest import server_env, server_flags
from provisioning.test_cloudformation import SPEC, bundle, stacks_of
from support import MGMT_ACCOUNT, REGION, ServerProcess, make_client

ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
JOBS = 50


def test_fifty_jobs_on_two_replicas_each_run_exactly_once(
    postgres_databases: Any, provisioning_dir: Path, cloud_endpoint: str
) -> None:
    database = postgres_databases("job_leases")
    source = put(provisioning_dir, "templates", "leases.tar.gz", archive(bundle()))
    first = ServerProcess(*server_flags(provisioning_dir, cloud_endpoint), database=database, env=server_env())
    second = ServerProcess(*server_flags(provisioning_dir, cloud_endpoint), database=database, env=server_env())
    try:
        clients = [make_client(server.endpoint, MGMT_ACCOUNT, REGION) for server in (first, second)]
        clients[0].create_environment_template(name="vpc")
        clients[0].create_environment_template_version(templateName="vpc", source=source)
        clients[0].update_environment_template_version(
            templateName="vpc", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        names = [f"lease-{i}" for i in range(JOBS)]

        def create(offset: int) -> None:
            for name in names[offset::2]:
                clients[offset].create_environment(
                    name=name, templateName="vpc", templateMajorVersion="1", spec=SPEC, protonServiceRoleArn=ROLE
                )

        threads = [threading.Thread(target=create, args=(offset,)) for offset in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        deadline = time.monotonic() + 120
        while True:
            statuses = [e["deploymentStatus"] for e in clients[1].list_environments()["environments"]]
            if statuses.count("SUCCEEDED") == JOBS or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert statuses.count("SUCCEEDED") == JOBS, statuses
        cloud = stacks_of(cloud_endpoint)
        ours = {}
        for summary in cloud.list_stacks()["StackSummaries"]:
            tags = {
                t["Key"]: t["Value"] for t in cloud.describe_stacks(StackName=summary["StackId"])["Stacks"][0]["Tags"]
            }
            environment = tags.get("proton:environment", "").rsplit("/", 1)[-1]
            if environment.startswith("lease-"):
                ours.setdefault(environment, []).append(summary["StackId"])
        assert sorted(ours) == sorted(names)
        assert all(len(stacks) == 1 for stacks in ours.values()), "a stack created twice"
        for [stack] in ours.values():
            events = cloud.describe_stack_events(StackName=stack)["StackEvents"]
            started = [e for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
            assert [e["ResourceStatus"] for e in started].count("CREATE_IN_PROGRESS") == 1
            assert not [e for e in started if e["ResourceStatus"].startswith("UPDATE")]
    finally:
        first.stop()
        second.stop()


def test_a_replica_killed_mid_job_leaves_it_to_the_other_within_the_lease(
    postgres_databases: Any, provisioning_dir: Path, cloud_endpoint: str
) -> None:
    """[decided] P-10, P-11: the job's lease runs out, the other replica claims it, and (a run of commands is not
    repeated) it ends FAILED as interrupted, once."""
    import signal

    import sqlalchemy

    from bundles.bundle_library import ENVIRONMENT_SCHEMA
    from provisioning.test_codebuild import manifest

    database = postgres_databases("job_kill")
    source = put(
        provisioning_dir,
        "templates",
        "kill.tar.gz",
        archive({"schema/schema.yaml": ENVIRONMENT_SCHEMA, "infrastructure/manifest.yaml": manifest("sleep 20")}),
    )
    flags = ("--bundle-dir", str(provisioning_dir), "--provisioners", "codebuild", "--job-lease-seconds", "2")
    flags += ("--cloudformation-endpoint", cloud_endpoint)
    first = ServerProcess(*flags, database=database, env=server_env())
    second = ServerProcess(*flags, database=database, env=server_env())
    engine = sqlalchemy.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        client = make_client(first.endpoint, MGMT_ACCOUNT, REGION)
        client.create_environment_template(name="cb")
        client.create_environment_template_version(templateName="cb", source=source)
        client.update_environment_template_version(
            templateName="cb", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        client.create_environment(
            name="dev",
            templateName="cb",
            templateMajorVersion="1",
            spec="proton: EnvironmentSpec\n",
            codebuildRoleArn=f"arn:aws:iam::{MGMT_ACCOUNT}:role/codebuild",
        )
        deadline = time.monotonic() + 20
        holder = None
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                row = connection.execute(sqlalchemy.text("SELECT lease_owner, state FROM provisioning_jobs")).first()
            holder = row[0] if row is not None and '"started":true' in row[1] else None
            if holder:
                break  # its commands are running
            time.sleep(0.05)
        assert holder, "no worker started the job"
        running = first if f"-{first.process.pid}-" in holder else second
        survivor = second if running is first else first
        running.process.send_signal(signal.SIGKILL)
        running.process.wait(10)
        other = make_client(survivor.endpoint, MGMT_ACCOUNT, REGION)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            environment = other.get_environment(name="dev")["environment"]
            if environment["deploymentStatus"] != "IN_PROGRESS":
                break
            time.sleep(0.2)
        assert environment["deploymentStatus"] == "FAILED"
        assert environment["deploymentStatusMessage"] == "Provisioning commands were interrupted by a restart"
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT count(*) FROM provisioning_jobs")).scalar() == 0
    finally:
        engine.dispose()
        first.stop()
        second.stop()
