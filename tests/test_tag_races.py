"""Tag writes from many connections at once: upserts that cannot conflict, on SQLite and PostgreSQL servers."""

from __future__ import annotations

import threading
from collections import Counter

import orjson
import pytest

from support import TARGET_PREFIX, ServerProcess, ServerWorld, create_connection_raw, signed_headers

ACCOUNT = "111111111111"
WRITERS = 8
ROUNDS = 15


@pytest.fixture(params=["sqlite", "postgres"])
def tagged_server(request: pytest.FixtureRequest) -> ServerProcess:
    server: ServerProcess = request.getfixturevalue("server" if request.param == "sqlite" else "postgres_server")
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    return server


def tag(server: ServerProcess, arn: str, tags: list[dict[str, str]]) -> int:
    headers = signed_headers(TARGET_PREFIX + "TagResource", ACCOUNT)
    response = server.request("POST", "/", headers, orjson.dumps({"resourceArn": arn, "tags": tags}))
    return response.status


def create(server: ServerProcess, kind: str) -> str:
    """A resource to tag: a connection (whose row the tagger locks) or a template (whose row it does not)."""
    if kind == "connection":
        return str(create_connection_raw(ServerWorld(server), account=ACCOUNT)["arn"])
    headers = signed_headers(TARGET_PREFIX + "CreateEnvironmentTemplate", ACCOUNT)
    response = server.request("POST", "/", headers, orjson.dumps({"name": "web"}))
    return str(response.json()["environmentTemplate"]["arn"])


@pytest.mark.parametrize("kind", ["connection", "environment-template"])
def test_concurrent_tagging_of_one_key_always_succeeds(tagged_server: ServerProcess, kind: str) -> None:
    arn = create(tagged_server, kind)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        barrier.wait()
        for round_ in range(ROUNDS):
            # The same key from everyone, and a second key in an order that differs between writers.
            tags = [{"key": "team", "value": f"w{number}-r{round_}"}, {"key": f"k{number % 2}", "value": "x"}]
            status = tag(tagged_server, arn, tags if number % 2 else tags[::-1])
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == {200: WRITERS * ROUNDS}, tagged_server.output()[-4000:]
    headers = signed_headers(TARGET_PREFIX + "ListTagsForResource", ACCOUNT)
    listed = tagged_server.request("POST", "/", headers, orjson.dumps({"resourceArn": arn})).json()["tags"]
    assert [item["key"] for item in listed] == ["k0", "k1", "team"]
    assert listed[2]["value"].startswith("w")
