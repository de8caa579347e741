"""`openproton export` and `openproton import`: state moves between SQLite and PostgreSQL without loss."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bundles.bundle_library import archive, environment_files, put, service_files
from repositories.git_support import GitRepo
from support import ServerProcess, ServerWorld, create_connection, openproton_command

ENV, MGMT = "111111111111", "222222222222"


def openproton(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*openproton_command(), *args], capture_output=True, text=True, timeout=120)


def export(database: str, path: Path) -> dict[str, Any]:
    result = openproton("export", "--database", database, "--output", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(path.read_text())


def _api_bundle() -> dict[str, str | bytes]:
    """A service bundle whose inputs all have defaults, so the state's spec without inputs passes."""
    files = service_files()
    files["schema/schema.yaml"] = files["schema/schema.yaml"].replace("      required:\n        - image\n", "")
    return files


def make_state(database: str) -> None:
    """Connections in every status, tags, a client token and a deleted connection, in two regions; a published
    template version and an environment through the connected connection, with one deployment that succeeded and
    one still under way (the settle policy set at run time to `manual`)."""
    bundles = Path(tempfile.mkdtemp(prefix="openproton-transfer-bundles-"))
    put(bundles, "bundles", "web.tar.gz", archive(environment_files()))
    put(bundles, "bundles", "api.tar.gz", archive(_api_bundle()))
    # [decided] B-4: the versions' bundles and the deployments' renders are state like the rest.
    server = ServerProcess("--bundle-dir", str(bundles), database=database)
    try:
        world = ServerWorld(server)
        pending = create_connection(world, name="pending", tags=[{"key": "team", "value": "a"}])
        connected = create_connection(
            world, name="connected", clientToken="token-1", componentRoleArn=f"arn:aws:iam::{ENV}:role/component"
        )
        rejected = create_connection(world, name="rejected", region="eu-west-1")
        deleted = create_connection(world, name="deleted")
        world.client(MGMT).accept_environment_account_connection(id=connected["id"])
        world.client(MGMT, "eu-west-1").reject_environment_account_connection(id=rejected["id"])
        world.client(ENV).delete_environment_account_connection(id=deleted["id"])
        world.client(ENV).tag_resource(resourceArn=pending["arn"], tags=[{"key": "tier", "value": "1"}])
        world.client(MGMT).create_environment_template(name="web", displayName="Web")
        world.client(MGMT).create_environment_template_version(
            templateName="web", source={"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
        )
        world.client(MGMT).update_environment_template_version(
            templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        world.client(MGMT).create_environment(
            name="connected",
            templateName="web",
            templateMajorVersion="1",
            spec="proton: EnvironmentSpec\n",
            environmentAccountConnectionId=connected["id"],
            tags=[{"key": "stage", "value": "dev"}],
        )
        assert world.client(MGMT).get_environment(name="connected")["environment"]["deploymentStatus"] == "SUCCEEDED"
        # A service with an instance in that environment and a pipeline, under account settings.
        world.client(MGMT).update_account_settings(pipelineServiceRoleArn=f"arn:aws:iam::{MGMT}:role/pipeline")
        world.client(MGMT).create_service_template(name="api")
        world.client(MGMT).create_service_template_version(
            templateName="api",
            source={"s3": {"bucket": "bundles", "key": "api.tar.gz"}},
            compatibleEnvironmentTemplates=[{"templateName": "web", "majorVersion": "1"}],
            supportedComponentSources=["DIRECTLY_DEFINED"],
        )
        world.client(MGMT).update_service_template_version(
            templateName="api", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        world.client(MGMT).create_service(
            name="shop",
            templateName="api",
            templateMajorVersion="1",
            spec="proton: ServiceSpec\ninstances:\n  - name: shop-connected\n    environment: connected\n",
            repositoryConnectionArn=f"arn:aws:codestar-connections:us-east-1:{MGMT}:connection/c",
            repositoryId="acme/shop",
            branchName="main",
        )
        # A component attached to the instance, through the connection's component role.
        world.client(MGMT).create_component(
            name="queue",
            serviceName="shop",
            serviceInstanceName="shop-connected",
            serviceSpec="size: 1\n",
            manifest="infrastructure:\n  templates:\n    - file: queue.yaml\n      rendering_engine: jinja\n"
            "      template_language: cloudformation\n",
            templateFile="Resources: {}\n",
        )
        # A repository link.
        world.client(MGMT).create_repository(
            provider="GITHUB",
            name="acme/templates",
            connectionArn=f"arn:aws:codestar-connections:us-east-1:{MGMT}:connection/c",
        )
        world.client(MGMT).create_template_sync_config(
            templateName="web",
            templateType="ENVIRONMENT",
            repositoryProvider="GITHUB",
            repositoryName="acme/templates",
            branch="main",
            subdirectory="templates",
        )
        world.client(MGMT).create_service_sync_config(
            serviceName="shop",
            repositoryProvider="GITHUB",
            repositoryName="acme/templates",
            branch="main",
            filePath="proton-ops.yaml",
        )
        # A sync run from a real repository: the template unit registers web 2.0, the service unit finds no OPS
        # file (a FAILED attempt); the map entry, units, attempts and records are carried too.
        repo = GitRepo(Path(tempfile.mkdtemp(prefix="openproton-transfer-")) / "templates")
        repo.commit({"templates/web/v2/schema/schema.yaml": "schema: {}\n"})
        world.map_repository("GITHUB", "acme/templates", repo.url)
        assert sorted(a["status"] for a in world.sync("GITHUB", "acme/templates")) == ["FAILED", "SUCCEEDED"]
        world.set_settle_policy("manual")
        world.client(MGMT).update_environment(
            name="connected", deploymentType="CURRENT_VERSION", spec="proton: EnvironmentSpec\nspec: {}\n"
        )
    finally:
        server.stop()


def test_state_round_trips_from_sqlite_to_postgresql_and_back_without_loss(
    tmp_path: Path, postgres_databases: Callable[[str], str]
) -> None:
    sqlite_a = f"sqlite:///{tmp_path}/a.sqlite3"
    postgres = postgres_databases("transfer")
    sqlite_b = f"sqlite:///{tmp_path}/b.sqlite3"
    make_state(sqlite_a)
    original = export(sqlite_a, tmp_path / "a.json")
    assert {name: len(rows) for name, rows in original["tables"].items()} == {
        "environment_account_connections": 4,
        "environment_account_connection_events": 7,
        "resource_tags": 3,  # two on the pending connection, one on the environment
        "client_tokens": 7,  # boto3 gives every create a token, the template versions' and the component's too
        # 4 creates, accept, reject, delete, tag, template, template version, publish, environment, account
        # settings, service template, its version, publish, service, component, repository link, template and
        # service sync configs, update
        "audit_log": 23,  # and sync's own CreateEnvironmentTemplateVersion
        "environment_templates": 1,
        "environment_template_versions": 2,
        "environments": 1,
        # the environment's create (succeeded) and update (under way), the instance's, the pipeline's and the
        # component's creates
        "deployments": 5,
        "settle_policy": 1,
        "service_templates": 1,
        "service_template_versions": 1,
        "services": 1,
        "service_instances": 1,
        "service_pipelines": 1,
        "account_settings": 1,
        "components": 1,
        "repositories": 1,
        "template_sync_configs": 1,
        "service_sync_configs": 1,
        "repository_map": 1,
        "sync_units": 2,
        "sync_attempts": 2,
        "resource_sync_attempts": 1,
        "sync_records": 1,
        "sync_blockers": 0,
        "template_bundles": 2,
        # the environment's two deployments, the instance's and the pipeline's (a component has no bundle)
        "deployment_renders": 4,
        # no provisioner runs in this state: no jobs, no stacks
        "provisioning_jobs": 0,
        "target_stacks": 0,
    }
    [environment] = original["tables"]["environments"]
    assert (environment["name"], environment["environment_account_id"]) == ("connected", ENV)

    loaded = openproton("import", str(tmp_path / "a.json"), "--database", postgres)
    assert loaded.returncode == 0, loaded.stderr
    assert "4 environment_account_connections" in loaded.stdout
    assert export(postgres, tmp_path / "pg.json") == original

    assert openproton("import", str(tmp_path / "pg.json"), "--database", sqlite_b).returncode == 0
    assert export(sqlite_b, tmp_path / "b.json") == original


def test_an_imported_postgresql_database_serves_and_keeps_counting_events(
    tmp_path: Path, postgres_databases: Callable[[str], str]
) -> None:
    source = f"sqlite:///{tmp_path}/a.sqlite3"
    target = postgres_databases("transfer_serve")
    make_state(source)
    export(source, tmp_path / "a.json")
    assert openproton("import", str(tmp_path / "a.json"), "--database", target).returncode == 0
    server = ServerProcess(database=target)
    try:
        world = ServerWorld(server)
        listed = world.client(MGMT).list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
        assert sorted(item["environmentName"] for item in listed["environmentAccountConnections"]) == [
            "connected",
            "pending",
        ]
        create_connection(world, name="after-import")
        assert [event["seq"] for event in world.events()] == list(range(1, 9))
        # The run-time settle policy and the deployment under way came along: it still waits, and can be settled.
        assert world.raw("GET", "/_openproton/settle-policy").json()["policy"] == "manual"
        [under_way] = world.deployments_under_way()
        environment = world.client(MGMT).get_environment(name="connected")["environment"]
        assert (environment["deploymentStatus"], environment["lastAttemptedDeploymentId"]) == (
            "IN_PROGRESS",
            under_way["id"],
        )
        world.settle(under_way["id"], "SUCCEEDED")
        environment = world.client(MGMT).get_environment(name="connected")["environment"]
        assert (environment["deploymentStatus"], environment["spec"]) == (
            "SUCCEEDED",
            "proton: EnvironmentSpec\nspec: {}\n",
        )
    finally:
        server.stop()


def test_import_into_a_database_with_state_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/a.sqlite3"
    make_state(database)
    before = export(database, tmp_path / "a.json")
    refused = openproton("import", str(tmp_path / "a.json"), "--database", database)
    assert refused.returncode == 2
    assert "import refused: the database is not empty" in refused.stderr
    assert export(database, tmp_path / "again.json") == before


def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    refused = openproton("import", str(tmp_path / "other.json"), "--database", f"sqlite:///{tmp_path}/x.sqlite3")
    assert refused.returncode == 2
    assert 'not an OpenProton export (expected "format": "openproton-state")' in refused.stderr
