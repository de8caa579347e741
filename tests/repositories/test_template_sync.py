"""Template sync from a real git repository (repositories-and-sync.md, [decided] Y-6 to Y-13), in every mode.

Each test makes its own repository (`git init`), maps the link to it and drives runs through the admin trigger
(a server) or the mock handle (in-process).
"""

from __future__ import annotations

import time
from typing import Any

from repositories.git_support import GitRepo
from repositories.test_links import link
from services.service_helpers import body, env_template, proton, refused, service_template
from support import MGMT_ACCOUNT, REGION, World

LINK = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}
VPC = {"templateName": "vpc", "templateType": "ENVIRONMENT"}
SCHEMA = (
    "schema:\n  format:\n    openapi: 3.0.0\n  environment_input_type: Inputs\n"
    "  types:\n    Inputs:\n      type: object\n"
)


def configured(world: World, repo: GitRepo, *, template: str = "vpc", **members: Any) -> None:
    """An environment template with no version, linked, mapped to the still empty repository, and configured.

    The config's own run finds no branch. A server queues that run before CreateTemplateSyncConfig answers, so
    the trigger after it runs it or waits for it: every later run of the test is one the test asks for."""
    proton(world).create_environment_template(name=template)
    link(world)
    world.map_repository("GITHUB", "acme/templates", repo.url)
    proton(world).create_template_sync_config(
        templateName=template, templateType="ENVIRONMENT", branch="main", **LINK, **members
    )
    world.sync("GITHUB", "acme/templates")


def versions(world: World, template: str = "vpc") -> list[tuple[str, str, str]]:
    listed = proton(world).list_environment_template_versions(templateName=template)["templateVersions"]
    return [(v["majorVersion"], v["minorVersion"], v["status"]) for v in listed]


def status(world: World, major: str = "1", **template: str) -> dict[str, Any]:
    return body(proton(world).get_template_sync_status(**{**VPC, **template}, templateVersion=major))


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def only(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(attempts) == 1, attempts
    return attempts[0]


def test_a_push_of_vpc_v1_registers_1_0_then_a_change_1_1_and_an_unchanged_directory_nothing(
    world: World, repo: GitRepo
) -> None:
    configured(world, repo)
    first = repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA, "README.md": "# templates\n"})
    attempt = only(world.sync("GITHUB", "acme/templates"))
    assert (attempt["status"], attempt["syncType"], attempt["branch"]) == ("SUCCEEDED", "TEMPLATE_SYNC", "main")
    assert (attempt["accountId"], attempt["region"]) == (MGMT_ACCOUNT, REGION)
    assert kinds(attempt["events"]) == ["CLONE_STARTED", "STARTING_SYNC"]
    assert attempt["events"][1]["event"] == f"Starting syncs for commit {first}"
    assert attempt["events"][1]["externalId"] == first
    resource = only(attempt["resourceAttempts"])
    assert (resource["target"], resource["status"]) == ("ENVIRONMENT/vpc", "SUCCEEDED")
    assert kinds(resource["events"]) == ["SYNC_STARTED", "VERSION_CREATED", "SYNC_SUCCEEDED"]
    assert resource["events"][1]["event"] == "Created template version 1.0"
    revision = {"branch": "main", "directory": "vpc/v1", **LINK, "sha": first}
    assert resource["targetRevision"] == revision == resource["initialRevision"]
    assert versions(world) == [("1", "0", "DRAFT")]  # [doc] sync publishes nothing

    second = repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA + "      properties: {}\n"})
    resource = only(only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"])
    assert resource["events"][1]["event"] == "Created template version 1.1"
    assert resource["initialRevision"] == revision  # the last SUCCEEDED attempt's
    assert resource["targetRevision"] == {**revision, "sha": second}
    assert versions(world) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT")]

    repo.commit({"README.md": "# templates, edited\n"})
    idle = only(world.sync("GITHUB", "acme/templates"))
    assert (idle["status"], idle["resourceAttempts"]) == ("SUCCEEDED", [])
    assert versions(world) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT")]
    assert only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"] == []  # nothing new: nothing redone


def test_a_new_major_registers_n_0_and_a_deleted_minor_is_registered_again(world: World, repo: GitRepo) -> None:
    configured(world, repo)
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    world.sync("GITHUB", "acme/templates")
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA + "# 1.1\n"})
    world.sync("GITHUB", "acme/templates")
    repo.commit({"vpc/v2/schema/schema.yaml": SCHEMA, "vpc/v01/x": "not a major", "vpc/V3/x": "nor this"})
    world.sync("GITHUB", "acme/templates")
    assert versions(world) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT"), ("2", "0", "DRAFT")]
    proton(world).delete_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="1")
    attempt = only(world.sync("GITHUB", "acme/templates"))
    assert only(attempt["resourceAttempts"])["events"][1]["event"] == "Created template version 1.1"
    assert versions(world) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT"), ("2", "0", "DRAFT")]
    repo.commit({"vpc/v2/schema/schema.yaml": None, "vpc/v2/keep": "x"})
    repo.git("rm", "-q", "-r", "vpc/v2")
    repo.git("commit", "-q", "-m", "remove v2")
    assert only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"] == []  # removing v<N> changes nothing


def test_a_higher_major_alone_is_n_0_and_a_version_by_hand_counts(world: World, repo: GitRepo) -> None:
    configured(world, repo)
    repo.commit({"vpc/v3/schema/schema.yaml": SCHEMA})
    world.sync("GITHUB", "acme/templates")
    assert versions(world) == [("3", "0", "DRAFT")]
    proton(world).create_environment_template_version(
        templateName="vpc", majorVersion="3", source={"s3": {"bucket": "bundles", "key": "vpc.tar.gz"}}
    )
    repo.commit({"vpc/v3/schema/schema.yaml": SCHEMA + "# edited\n"})
    world.sync("GITHUB", "acme/templates")
    assert versions(world) == [("3", "0", "DRAFT"), ("3", "1", "DRAFT"), ("3", "2", "DRAFT")]


def test_status_reports_the_latest_attempt_the_latest_success_and_the_desired_state(
    world: World, repo: GitRepo
) -> None:
    configured(world, repo)
    assert status(world) == {}  # [decided] Y-13: a major never seen
    sha = repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    world.sync("GITHUB", "acme/templates")
    found = status(world)
    revision = {"branch": "main", "directory": "vpc/v1", **LINK, "sha": sha}
    assert found["desiredState"] == revision
    assert found["latestSync"] == found["latestSuccessfulSync"]
    assert found["latestSync"]["status"] == "SUCCEEDED"
    assert found["latestSync"]["target"] == "ENVIRONMENT/vpc"
    assert [e["type"] for e in found["latestSync"]["events"]] == ["SYNC_STARTED", "VERSION_CREATED", "SYNC_SUCCEEDED"]
    assert status(world, major="2") == {}
    repository = body(proton(world).get_repository_sync_status(**LINK, branch="main", syncType="TEMPLATE_SYNC"))[
        "latestSync"
    ]
    assert repository["status"] == "SUCCEEDED"
    assert [e["type"] for e in repository["events"]] == ["CLONE_STARTED", "STARTING_SYNC"]
    assert body(proton(world).get_repository_sync_status(**LINK, branch="dev", syncType="TEMPLATE_SYNC")) == {}
    code, message, _ = refused(
        proton(world).get_repository_sync_status,
        repositoryProvider="GITHUB",
        repositoryName="acme/other",
        branch="main",
        syncType="TEMPLATE_SYNC",
    )
    assert (code, message.startswith("The requested repository does not exist")) == ("ResourceNotFoundException", True)
    assert refused(
        proton(world).get_template_sync_status, templateName="nope", templateType="ENVIRONMENT", templateVersion="1"
    ) == (
        "ResourceNotFoundException",
        "The requested template sync config does not exist: ENVIRONMENT/nope",
        400,
    )


def test_deleting_the_config_drops_its_attempts_and_records_and_keeps_its_versions(world: World, repo: GitRepo) -> None:
    configured(world, repo)
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    world.sync("GITHUB", "acme/templates")
    proton(world).delete_template_sync_config(**VPC)
    assert refused(proton(world).get_template_sync_status, **VPC, templateVersion="1")[0] == "ResourceNotFoundException"
    assert versions(world) == [("1", "0", "DRAFT")]
    proton(world).create_template_sync_config(**VPC, **LINK, branch="main")
    # Its record went too: the same contents register again, as a new minor (once, whichever run gets there).
    world.sync("GITHUB", "acme/templates")
    assert versions(world) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT")]
    assert len(status(world)["latestSync"]["events"]) == 3


def test_creating_a_config_runs_its_unit(world: World, repo: GitRepo) -> None:
    """[decided] Y-8 [doc]: a new config registers what is already there: in-process before the call answers, in
    a server in the background."""
    proton(world).create_environment_template(name="vpc")
    link(world)
    world.map_repository("GITHUB", "acme/templates", repo.url)
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    proton(world).create_template_sync_config(**VPC, **LINK, branch="main")
    deadline = time.monotonic() + (0 if world.mode == "in-process" else 20)
    while versions(world) == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert versions(world) == [("1", "0", "DRAFT")]
    latest = body(proton(world).get_repository_sync_status(**LINK, branch="main", syncType="TEMPLATE_SYNC"))
    while latest["latestSync"]["status"] != "SUCCEEDED" and time.monotonic() < deadline:
        latest = body(proton(world).get_repository_sync_status(**LINK, branch="main", syncType="TEMPLATE_SYNC"))
    assert [e["type"] for e in latest["latestSync"]["events"]] == ["CONFIG_UPDATED", "CLONE_STARTED", "STARTING_SYNC"]
    assert latest["latestSync"]["events"][0]["event"] == "Updated configuration"


def test_an_unmapped_repository_is_configured_but_never_fetched(world: World, repo: GitRepo) -> None:
    proton(world).create_environment_template(name="vpc")
    link(world)
    proton(world).create_template_sync_config(**VPC, **LINK, branch="main")
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    # [decided] Y-7
    assert status(world) == {}
    assert body(proton(world).get_repository_sync_status(**LINK, branch="main", syncType="TEMPLATE_SYNC")) == {}
    response = world.raw("POST", "/_openproton/repositories/GITHUB/acme/templates/sync", {}, b"{}")
    if world.mode == "server":
        assert response.status == 409
        assert "is not mapped" in response.json()["message"]
    assert versions(world) == []


def test_a_trigger_for_a_repository_nobody_links_is_404_and_a_bad_body_400(world: World, repo: GitRepo) -> None:
    if world.mode != "server":
        return  # the admin endpoint's own answers; the mock raises SyncRefused instead (test_sync_admin.py)
    response = world.raw("POST", "/_openproton/repositories/GITHUB/acme/nobody/sync", {}, b"{}")
    assert (response.status, response.json()["message"]) == (404, "No account links the repository GITHUB:acme/nobody.")
    link(world)
    response = world.raw("POST", "/_openproton/repositories/GITHUB/acme/templates/sync", {}, b'{"acount": "x"}')
    assert (response.status, response.json()["message"]) == (400, "Unknown fields: acount.")


def test_a_remote_that_cannot_be_fetched_fails_the_attempt_changes_nothing_and_the_next_run_retries(
    world: World, repo: GitRepo
) -> None:
    configured(world, repo)
    world.map_repository("GITHUB", "acme/templates", repo.url + "-missing")
    attempt = only(world.sync("GITHUB", "acme/templates"))
    assert attempt["status"] == "FAILED"
    assert kinds(attempt["events"]) == ["CLONE_STARTED", "CLONE_FAILED"]
    message = attempt["events"][1]["event"]
    assert message == "Clone failed: 'GITHUB:acme/templates' does not appear to be a git repository"
    assert repo.url not in message  # [decided] Y-9: the URL shown as the link's name
    world.map_repository("GITHUB", "acme/templates", repo.url)
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    assert only(world.sync("GITHUB", "acme/templates"))["status"] == "SUCCEEDED"
    assert versions(world) == [("1", "0", "DRAFT")]


def test_a_missing_branch_fails_the_attempt(world: World, repo: GitRepo) -> None:
    configured(world, repo)
    proton(world).update_template_sync_config(**VPC, **LINK, branch="release")
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
    attempt = only(world.sync("GITHUB", "acme/templates"))
    assert attempt["status"] == "FAILED"
    assert attempt["events"][-1]["event"] == "Clone failed: branch release not found"
    assert versions(world) == []


def test_no_template_directory_is_an_event_and_the_subdirectory_is_the_root(world: World, repo: GitRepo) -> None:
    configured(world, repo, subdirectory="./templates/")
    repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})  # outside the root
    attempt = only(world.sync("GITHUB", "acme/templates"))
    assert attempt["status"] == "SUCCEEDED"
    assert attempt["events"][-1]["type"] == "TEMPLATE_NOT_FOUND"
    assert attempt["events"][-1]["event"] == "No directory for template ENVIRONMENT/vpc under templates"
    sha = repo.commit({"templates/deep/er/vpc/v1/a": "deeper", "templates/x/vpc/v1/schema/schema.yaml": SCHEMA})
    resource = only(only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"])
    assert resource["targetRevision"] == {"branch": "main", "directory": "templates/x/vpc/v1", **LINK, "sha": sha}


def test_a_service_template_takes_its_registration_file_and_fails_without_one(world: World, repo: GitRepo) -> None:
    env_template(world)
    service_template(world)
    link(world)
    proton(world).create_template_sync_config(templateName="web", templateType="SERVICE", **LINK, branch="main")
    world.map_repository("GITHUB", "acme/templates", repo.url)
    repo.commit({"web/v1/schema/schema.yaml": SCHEMA})
    resource = only(only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"])
    assert resource["status"] == "FAILED"
    assert resource["events"][-1] == {
        **resource["events"][-1],
        "type": "SYNC_FAILED",
        "event": "web/v1/.template-registration.yaml is missing",
    }
    repo.commit({"web/v1/.template-registration.yaml": "compatible_environments: [nope:1]\n"})
    resource = only(only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"])
    assert resource["events"][-1]["event"] == "Compatible environment template nope:1 does not exist"
    repo.commit(
        {
            "web/v1/.template-registration.yaml": (
                "compatible_environments:\n  - vpc:1\nsupported_component_sources: [DIRECTLY_DEFINED]\n"
            )
        }
    )
    resource = only(only(world.sync("GITHUB", "acme/templates"))["resourceAttempts"])
    assert resource["status"] == "SUCCEEDED"
    version = proton(world).get_service_template_version(templateName="web", majorVersion="1", minorVersion="0")
    assert version["serviceTemplateVersion"]["compatibleEnvironmentTemplates"] == [
        {"majorVersion": "1", "templateName": "vpc"}
    ]
    assert version["serviceTemplateVersion"]["supportedComponentSources"] == ["DIRECTLY_DEFINED"]
