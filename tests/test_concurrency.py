"""Several server processes on one database: races on the rules that read before they write, and a crash.

Each test runs on SQLite (one file) and on PostgreSQL, with two replicas: one `openproton serve --workers 2`
and one single-process `openproton serve`, so three worker processes share the database.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from support import TARGET_PREFIX, RawResponse, ServerProcess, postgres_database, signed_headers

ENV, MGMT = "111111111111", "222222222222"


@pytest.fixture(params=["sqlite", "postgres"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/shared.sqlite3"
        return
    with postgres_database("shared") as database:  # dropped after `replicas` has stopped its servers
        yield database


@pytest.fixture
def replicas(shared_database: str) -> Iterator[list[ServerProcess]]:
    env = {"OPENPROTON_CONNECTION_QUOTA": "5"}
    first = ServerProcess("--workers", "2", database=shared_database, env=env)
    second = ServerProcess(database=shared_database, env=env)
    yield [first, second]
    first.stop()
    second.stop()


def call(server: ServerProcess, operation: str, params: dict[str, Any], account: str) -> RawResponse:
    headers = signed_headers(TARGET_PREFIX + operation, account)
    return server.request("POST", "/", headers, orjson.dumps(params))


def all_at_once(tasks: list[Callable[[], RawResponse]]) -> list[RawResponse]:
    """Run the tasks in threads released together by a barrier; results in task order."""
    results: list[RawResponse | None] = [None] * len(tasks)
    barrier = threading.Barrier(len(tasks))

    def run(index: int) -> None:
        barrier.wait()
        results[index] = tasks[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def server_logs(replicas: list[ServerProcess]) -> str:
    """What the servers logged (a 500's traceback among it), for the message of a failed assertion."""
    return "\n".join(f"--- replica {n} ---\n{server.output()[-4000:]}" for n, server in enumerate(replicas))


def error_name(response: RawResponse) -> str | None:
    return response.headers.get("x-amzn-errortype")


def create_params(name: str, **extra: Any) -> dict[str, Any]:
    return {"environmentName": name, "managementAccountId": MGMT, "roleArn": f"arn:aws:iam::{ENV}:role/p", **extra}


def live_connections(server: ServerProcess) -> list[dict[str, Any]]:
    listed = call(server, "ListEnvironmentAccountConnections", {"requestedBy": "ENVIRONMENT_ACCOUNT"}, ENV)
    return listed.json()["environmentAccountConnections"]


def events(server: ServerProcess) -> list[dict[str, Any]]:
    return server.request("GET", "/_openproton/events", {}, b"").json()["events"]


def test_twenty_simultaneous_creates_against_a_quota_of_five_make_exactly_five(replicas: list[ServerProcess]) -> None:
    tasks = [
        partial(call, replicas[n % 2], "CreateEnvironmentAccountConnection", create_params(f"e{n}"), ENV)
        for n in range(20)
    ]
    responses = all_at_once(tasks)
    outcomes = Counter(error_name(response) or response.status for response in responses)
    assert outcomes == {200: 5, "ServiceQuotaExceededException": 15}, server_logs(replicas)
    assert len(live_connections(replicas[1])) == 5
    assert len(events(replicas[0])) == 5


def test_ten_simultaneous_creates_with_one_client_token_make_one_connection(replicas: list[ServerProcess]) -> None:
    params = create_params("tokened", clientToken=str(uuid.uuid4()))
    tasks = [partial(call, replicas[n % 2], "CreateEnvironmentAccountConnection", params, ENV) for n in range(10)]
    responses = all_at_once(tasks)
    assert [response.status for response in responses] == [200] * 10
    ids = {response.json()["environmentAccountConnection"]["id"] for response in responses}
    assert len(ids) == 1
    assert [item["id"] for item in live_connections(replicas[0])] == list(ids)
    assert [event["status"] for event in events(replicas[1])] == ["PENDING"]


def _check_history(server: ServerProcess, connection_id: str, successes: list[tuple[str, RawResponse]]) -> str:
    """The event chain is consistent, matches the successful responses, and ends in the stored state."""
    history = [event for event in events(server) if event["environmentAccountConnectionId"] == connection_id]
    assert history[0]["status"] == "PENDING"
    for before, after in itertools.pairwise(history):
        assert after["previousStatus"] == before["status"], history
    transitions = Counter(event["status"] for event in history[1:])
    expected = Counter(
        {"accept": "CONNECTED", "reject": "REJECTED", "delete": "DELETED"}[kind] for kind, _ in successes
    )
    assert transitions == expected, (history, [kind for kind, _ in successes])
    got = call(server, "GetEnvironmentAccountConnection", {"id": connection_id}, MGMT)
    final = history[-1]["status"]
    if final == "DELETED":
        assert error_name(got) == "ResourceNotFoundException"
    else:
        assert got.json()["environmentAccountConnection"]["status"] == final
    # The latest successful status change is the one whose answer shows the final state.
    changes = [(kind, r.json()["environmentAccountConnection"]) for kind, r in successes if kind != "delete"]
    if changes and final != "DELETED":
        last = max(changes, key=lambda item: item[1]["lastModifiedAt"])
        assert last[1]["status"] == final
    return final


def test_accept_racing_reject_racing_delete_leaves_one_consistent_history(replicas: list[ServerProcess]) -> None:
    finals = Counter()
    for round_number in range(8):
        # A fresh environment name each round: deleted ones free their quota place, rejected ones do not.
        created = call(replicas[0], "CreateEnvironmentAccountConnection", create_params(f"race{round_number}"), ENV)
        assert created.status == 200, created.body
        connection_id = created.json()["environmentAccountConnection"]["id"]
        kinds = ["accept", "reject"] if round_number % 2 == 0 else ["accept", "reject", "delete"]
        operations = {
            "accept": ("AcceptEnvironmentAccountConnection", MGMT),
            "reject": ("RejectEnvironmentAccountConnection", MGMT),
            "delete": ("DeleteEnvironmentAccountConnection", ENV),
        }
        tasks = [
            partial(call, replicas[i % 2], operations[kind][0], {"id": connection_id}, operations[kind][1])
            for i, kind in enumerate(kinds)
        ]
        responses = all_at_once(tasks)
        for response in responses:
            assert response.status < 500, response.body
            assert error_name(response) in (None, "ConflictException", "ResourceNotFoundException"), response.body
        successes = [
            (kind, response) for kind, response in zip(kinds, responses, strict=True) if response.status == 200
        ]
        finals[_check_history(replicas[1], connection_id, successes)] += 1
        # Free the quota place (rejected connections count) for the next round; deletes are idempotent.
        cleanup = call(replicas[0], "DeleteEnvironmentAccountConnection", {"id": connection_id}, ENV)
        assert cleanup.status == 200, cleanup.body
    assert sum(finals.values()) == 8


def test_simultaneous_template_writers_take_turns(replicas: list[ServerProcess]) -> None:
    template = {"name": "web", "displayName": "Web"}
    made = all_at_once(
        [lambda i=i: call(replicas[i % 2], "CreateEnvironmentTemplate", template, MGMT) for i in range(8)]
    )
    assert [response.status for response in made] == [200] * 8  # one creates it, the others find it the same
    source = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
    versions = all_at_once(
        [
            lambda i=i: call(
                replicas[i % 2], "CreateEnvironmentTemplateVersion", {"templateName": "web", "source": source}, MGMT
            )
            for i in range(8)
        ]
    )
    assert [response.status for response in versions] == [200] * 8
    majors = sorted(int(response.json()["environmentTemplateVersion"]["majorVersion"]) for response in versions)
    assert majors == list(range(1, 9))


def test_simultaneous_settle_policy_changes_all_land(replicas: list[ServerProcess]) -> None:
    bodies = [orjson.dumps({"policy": "manual" if i % 2 else "fail"}) for i in range(8)]
    answers = all_at_once(
        [lambda i=i: replicas[i % 2].request("PUT", "/_openproton/settle-policy", {}, bodies[i]) for i in range(8)]
    )
    assert [answer.status for answer in answers] == [200] * 8
    policy = replicas[0].request("GET", "/_openproton/settle-policy", {}, b"").json()["policy"]
    assert policy in ("manual", "fail")
    assert replicas[1].request("GET", "/_openproton/settle-policy", {}, b"").json()["policy"] == policy


def test_every_acknowledged_create_survives_kill_9(shared_database: str, record_property: Any) -> None:
    server = ServerProcess(database=shared_database, env={"OPENPROTON_CONNECTION_QUOTA": "100000"})
    acknowledged: dict[str, tuple[str, dict[str, Any]]] = {}
    sent = Counter()
    stop = threading.Event()

    def load(worker: int) -> None:
        account = f"7{worker:011d}"
        for number in itertools.count():
            if stop.is_set():
                return
            sent["requests"] += 1
            try:
                response = call(
                    server,
                    "CreateEnvironmentAccountConnection",
                    {**create_params(f"crash{number}"), "roleArn": f"arn:aws:iam::{account}:role/p"},
                    account,
                )
            except OSError:
                sent["unanswered"] += 1
                continue
            if response.status == 200:
                connection = response.json()["environmentAccountConnection"]
                acknowledged[connection["id"]] = (account, connection)

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    server.process.kill()  # SIGKILL: no shutdown, no flush
    server.process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) > 50, "the load must have been running when the server died"

    restarted = ServerProcess(database=shared_database)
    try:
        found = 0
        for connection_id, (account, connection) in acknowledged.items():
            got = call(restarted, "GetEnvironmentAccountConnection", {"id": connection_id}, account)
            assert got.status == 200, (connection_id, got.body)
            assert got.json()["environmentAccountConnection"] == connection
            found += 1
    finally:
        restarted.stop()
        server.stop()
    summary = f"sent {sent['requests']}, acknowledged {len(acknowledged)}, found after restart {found}"
    record_property("crash", summary)
    print(f"\ncrash test ({shared_database.split(':')[0]}): {summary}")
    assert found == len(acknowledged)
