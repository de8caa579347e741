"""The repository map and sync runs beyond the API ([decided] Y-6, Y-8, P-21): admin endpoints, the mock handle,
start-up flags, polling, and one run per unit across replicas on PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from openproton import mock_proton
from openproton.proton.sync_runs import SyncRefused
from repositories.git_support import GitRepo
from repositories.test_links import link
from repositories.test_template_sync import LINK, SCHEMA, VPC
from services.service_helpers import proton
from support import MGMT_ACCOUNT, InProcessWorld, ServerProcess, ServerWorld, World, make_client, serving
from test_cli_errors import assert_one_line_error, run


def map_entries(world: World) -> list[dict[str, Any]]:
    if isinstance(world, InProcessWorld):
        return world.mock.repository_map()
    return world.raw("GET", "/_openproton/repository-map").json()["entries"]


def test_the_map_is_kept_shown_redacted_and_removed(world: World, repo: GitRepo) -> None:
    entry = world.map_repository("github", "acme/templates", "https://robot:s3cret@git.example/acme/t.git")
    assert entry == {
        "key": "GITHUB:acme/templates",
        "provider": "GITHUB",
        "name": "acme/templates",
        "url": "https://***@git.example/acme/t.git",  # [decided] P-21
        "mode": "branch",
        "source": "run-time",
    }
    assert map_entries(world) == [entry]
    world.map_repository("BITBUCKET", "a/b", repo.url, mode="direct", accounts=[MGMT_ACCOUNT])
    assert [e["key"] for e in map_entries(world)] == ["BITBUCKET:a/b", "GITHUB:acme/templates"]
    assert "s3cret" not in json.dumps(map_entries(world))
    if isinstance(world, ServerWorld):
        removed = world.raw("DELETE", "/_openproton/repository-map/GITHUB/acme/templates")
        assert (removed.status, removed.json()) == (200, {"removed": True})
        again = world.raw("DELETE", "/_openproton/repository-map/GITHUB/acme/templates")
        assert again.status == 404
    else:
        assert world.mock.unmap_repository("GITHUB", "acme/templates") is True
        assert world.mock.unmap_repository("GITHUB", "acme/templates") is False
    assert [e["key"] for e in map_entries(world)] == ["BITBUCKET:a/b"]


def test_unusable_entries_are_refused_with_a_reason(world: World) -> None:
    if not isinstance(world, ServerWorld):
        with pytest.raises(ValueError, match="the mode of GITHUB:a/b must be branch or direct"):
            world.mock.map_repository("GITHUB", "a/b", "/srv/x", mode="push")
        return
    cases = [
        ("GITLAB/a/b", {"url": "/x"}, "the provider of GITLAB:a/b must be one of GITHUB, GITHUB_ENTERPRISE, BITBUCKET"),
        ("GITHUB/a/b", {"url": "--upload-pack=touch /tmp/x"}, "the url of GITHUB:a/b must not begin with '-'"),
        ("GITHUB/a/b", {"url": "/x", "mode": "push"}, "the mode of GITHUB:a/b must be branch or direct, not 'push'"),
        ("GITHUB/a/b", {"url": "/x", "accounts": ["1"]}, "the accounts of GITHUB:a/b must be a list of 12-digit"),
        ("GITHUB/a/b", {"url": "/x", "branch": "main"}, "Unknown fields: branch."),
        ("GITHUB/a/b", {}, "the url of GITHUB:a/b must be a git remote (a path or a URL)"),
    ]
    for path, entry, message in cases:
        response = world.raw("PUT", f"/_openproton/repository-map/{path}", {}, orjson.dumps(entry))
        assert response.status == 400, (path, entry)
        assert message in response.json()["message"]
    assert map_entries(world) == []


def test_the_mock_refuses_a_trigger_for_an_unlinked_or_unmapped_repository(repo: GitRepo) -> None:
    with mock_proton() as mock:
        with pytest.raises(SyncRefused, match="No account links the repository GITHUB:acme/templates") as refused:
            mock.sync_repository("GITHUB", "acme/templates")
        assert refused.value.status == 404
        make_client(None, MGMT_ACCOUNT, "us-east-1").create_repository(
            provider="GITHUB",
            name="acme/templates",
            connectionArn=f"arn:aws:codestar-connections:us-east-1:{MGMT_ACCOUNT}:connection/x",
        )
        with pytest.raises(SyncRefused, match="is not mapped to a git remote") as refused:
            mock.sync_repository("GITHUB", "acme/templates")
        assert refused.value.status == 409


def test_serve_refuses_a_key_given_twice_and_a_bad_source(tmp_path: Path) -> None:
    twice = run("serve", "--repository-source", "GITHUB:a/b=/x", "--repository-source", "github:a/b=/y")
    assert_one_line_error(twice, "the repository GITHUB:a/b is mapped twice")
    both = run("serve", "--repository-source", "GITHUB:a/b=/x", env={"OPENPROTON_REPOSITORY_SOURCES": "GITHUB:a/b=/z"})
    assert_one_line_error(both, "the repository GITHUB:a/b is mapped twice")
    assert_one_line_error(run("serve", "--repository-source", "GITHUB:a/b"), "'GITHUB:a/b' is not PROVIDER:NAME=URL")
    bad = tmp_path / "map.json"
    bad.write_text('{"GITHUB:a/b": {"url": "/x", "mode": "push"}}')
    assert_one_line_error(run("serve", "--repository-map", str(bad)), "must be branch or direct")


def test_entries_given_at_start_serve_their_accounts_and_run_time_entries_win(tmp_path: Path, repo: GitRepo) -> None:
    other = "444444444444"
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps({"GITHUB:acme/ops": {"url": repo.url, "accounts": [other]}}))
    with serving(
        None, "--repository-source", f"GITHUB:acme/templates={repo.url}", "--repository-map", str(map_file)
    ) as server:
        world = ServerWorld(server)
        entries = {e["key"]: e for e in map_entries(world)}
        assert entries["GITHUB:acme/templates"]["source"] == "start"
        assert entries["GITHUB:acme/ops"]["accounts"] == [other]
        link(world, name="acme/ops")  # linked by MGMT_ACCOUNT, which the entry does not serve
        response = world.raw("POST", "/_openproton/repositories/GITHUB/acme/ops/sync", {}, b"")
        assert response.status == 409
        world.map_repository("GITHUB", "acme/ops", repo.url)  # now every account
        assert world.raw("POST", "/_openproton/repositories/GITHUB/acme/ops/sync", {}, b"").status == 200
        assert {e["key"]: e["source"] for e in map_entries(world)}["GITHUB:acme/ops"] == "run-time"
        removed = world.raw("DELETE", "/_openproton/repository-map/GITHUB/acme/templates")
        assert removed.status == 200
        assert "GITHUB:acme/templates" not in {e["key"] for e in map_entries(world)}  # a start entry, removed


def test_a_server_polls_the_mapped_remotes(repo: GitRepo) -> None:
    with serving(None, env={"OPENPROTON_SYNC_INTERVAL": "0.2"}) as server:
        world = ServerWorld(server)
        proton(world).create_environment_template(name="vpc")
        link(world)
        world.map_repository("GITHUB", "acme/templates", repo.url)
        proton(world).create_template_sync_config(**VPC, **LINK, branch="main")
        repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA})
        wait_for_versions(world, 1)
        repo.commit({"vpc/v1/schema/schema.yaml": SCHEMA + "# 1.1\n"})
        wait_for_versions(world, 2)


def wait_for_versions(world: World, count: int, timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = proton(world).list_environment_template_versions(templateName="vpc")["templateVersions"]
        if len(listed) >= count:
            assert len(listed) == count
            return
        time.sleep(0.1)
    raise AssertionError(f"no {count} versions within {timeout} s")


def test_two_replicas_triggering_the_same_unit_at_once_run_it_once(postgres_databases: Any, repo: GitRepo) -> None:
    """[decided] Y-8: the unit's lease lets one run at a time; the other request's run queues behind it and finds
    nothing left to do, so 1.0 is registered once."""
    database = postgres_databases("sync_race")
    first = ServerProcess(database=database)
    second = ServerProcess(database=database)
    try:
        worlds = [ServerWorld(first), ServerWorld(second)]
        proton(worlds[0]).create_environment_template(name="vpc")
        link(worlds[0])
        worlds[0].map_repository("GITHUB", "acme/templates", repo.url)
        proton(worlds[0]).create_template_sync_config(**VPC, **LINK, branch="main")
        worlds[0].sync("GITHUB", "acme/templates")
        repo.commit({f"vpc/v1/file{i}.yaml": "x\n" * 1000 for i in range(40)} | {"vpc/v1/schema/schema.yaml": SCHEMA})
        results: list[list[dict[str, Any]]] = []
        start = threading.Barrier(2)

        def trigger(world: ServerWorld) -> None:
            start.wait()
            results.append(world.sync("GITHUB", "acme/templates"))

        threads = [threading.Thread(target=trigger, args=(world,)) for world in worlds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        attempts = [attempt for result in results for attempt in result]
        assert len(attempts) == 2 and all(a["status"] == "SUCCEEDED" for a in attempts)
        assert sorted(len(a["resourceAttempts"]) for a in attempts) == [0, 1] or len({a["id"] for a in attempts}) == 1
        listed = proton(worlds[1]).list_environment_template_versions(templateName="vpc")["templateVersions"]
        assert [(v["majorVersion"], v["minorVersion"]) for v in listed] == [("1", "0")]
    finally:
        first.stop()
        second.stop()
