"""Default mode against the browser (W-17): a web page cannot reach the admin endpoints, and a rebinding DNS name
cannot reach a loopback server at all; SDK clients are unaffected. Also the access log."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import orjson
import pytest

from support import TARGET_PREFIX, ServerProcess, signed_headers

ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def guarded() -> Iterator[ServerProcess]:
    server = ServerProcess(
        database="sqlite://", env={"OPENPROTON_ALLOWED_HOSTS": "proton.internal", "OPENPROTON_ACCESS_LOG": "true"}
    )
    yield server
    server.stop()


def send(
    server: ServerProcess, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """A request with exactly these headers (http.client would add its own Host)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host="host" in headers, skip_accept_encoding=True)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def create_template(server: ServerProcess, name: str = "web") -> int:
    headers = signed_headers(TARGET_PREFIX + "CreateEnvironmentTemplate", ACCOUNT)
    return send(server, "POST", "/", headers, orjson.dumps({"name": name}))[0]


def template_names(server: ServerProcess) -> list[str]:
    headers = signed_headers(TARGET_PREFIX + "ListEnvironmentTemplates", ACCOUNT)
    status, body = send(server, "POST", "/", headers, b"{}")
    assert status == 200, body
    return [item["name"] for item in orjson.loads(body)["templates"]]


@pytest.fixture
def seeded(guarded: ServerProcess) -> ServerProcess:
    assert send(guarded, "POST", "/_openproton/reset", {})[0] == 200
    assert create_template(guarded) == 200
    return guarded


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"origin": "https://attacker.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_a_browser_request_from_another_site_cannot_reset_the_server(
    seeded: ServerProcess, headers: dict[str, str]
) -> None:
    status, body = send(seeded, "POST", "/_openproton/reset", headers, b"{}")
    assert status == 403, body
    assert orjson.loads(body)["message"].startswith("Admin endpoints refuse requests sent by a browser")
    assert template_names(seeded) == ["web"]


def test_a_browser_request_from_another_site_cannot_install_a_fault_rule(seeded: ServerProcess) -> None:
    rule = orjson.dumps({"action": "deny"})
    status, _ = send(seeded, "POST", "/_openproton/faults", {"content-type": "text/plain"}, rule)
    assert status == 403
    assert orjson.loads(send(seeded, "GET", "/_openproton/faults", {})[1]) == {"rules": []}


def test_a_same_origin_or_tool_request_is_served(seeded: ServerProcess) -> None:
    own = f"http://127.0.0.1:{seeded.port}"
    status, _ = send(
        seeded,
        "PUT",
        "/_openproton/settle-policy",
        {"origin": own, "content-type": "application/json"},
        orjson.dumps({"policy": "manual"}),
    )
    assert status == 200
    assert send(seeded, "DELETE", "/_openproton/settle-policy", {"sec-fetch-site": "same-origin"})[0] == 200
    assert send(seeded, "POST", "/_openproton/reset", {})[0] == 200  # curl, a test harness
    assert template_names(seeded) == []


@pytest.mark.parametrize("path", ["/", "/_openproton/reset", "/console", "/_openproton/health"])
def test_a_host_that_is_not_loopback_is_refused_everywhere(seeded: ServerProcess, path: str) -> None:
    headers = {**signed_headers(TARGET_PREFIX + "ListEnvironmentTemplates", ACCOUNT), "host": "rebind.attacker.example"}
    status, body = send(seeded, "POST" if path != "/console" else "GET", path, headers, b"{}")
    assert status == 421, body
    assert orjson.loads(body)["__type"].endswith("#MisdirectedRequestException")
    assert template_names(seeded) == ["web"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.2", "[::1]", "app.localhost", "proton.internal"])
def test_loopback_and_allowed_hosts_are_served(seeded: ServerProcess, host: str) -> None:
    headers = {**signed_headers(TARGET_PREFIX + "ListEnvironmentTemplates", ACCOUNT), "host": f"{host}:{seeded.port}"}
    status, body = send(seeded, "POST", "/", headers, b"{}")
    assert status == 200, body


def test_the_access_log_names_operation_account_region_and_status(seeded: ServerProcess) -> None:
    assert create_template(seeded, "logged") == 200
    assert create_template(seeded, "") == 400  # ValidationException
    lines = [line for line in seeded.output().splitlines() if "access CreateEnvironmentTemplate " in line]
    assert " account=111111111111 region=us-east-1 status=200 " in lines[-2]
    assert " account=111111111111 region=us-east-1 status=400 " in lines[-1]
