"""mock_proton(): context manager, decorator, fixture, isolation, and leaving other services alone."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from openproton import ProtonMock, mock_proton
from support import ENV_ACCOUNT, MGMT_ACCOUNT, ROLE, make_client


def _create(client) -> str:  # type: ignore[no-untyped-def]
    return client.create_environment_account_connection(
        environmentName="dev", managementAccountId=MGMT_ACCOUNT, roleArn=ROLE
    )["environmentAccountConnection"]["id"]


def _count(client) -> int:  # type: ignore[no-untyped-def]
    return len(
        client.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")["environmentAccountConnections"]
    )


def test_context_manager_serves_a_client_created_inside_it() -> None:
    with mock_proton():
        client = boto3.client(
            "proton", region_name="us-east-1", aws_access_key_id=ENV_ACCOUNT, aws_secret_access_key="x"
        )
        connection_id = _create(client)
        assert (
            client.get_environment_account_connection(id=connection_id)["environmentAccountConnection"]["status"]
            == "PENDING"
        )


def test_a_client_created_before_the_mock_is_served_too() -> None:
    client = boto3.client("proton", region_name="us-east-1", aws_access_key_id=ENV_ACCOUNT, aws_secret_access_key="x")
    with mock_proton():
        _create(client)
        assert _count(client) == 1


def test_each_use_starts_with_fresh_state() -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")
    with mock_proton():
        _create(client)
        assert _count(client) == 1
    with mock_proton():
        assert _count(client) == 0


def test_a_database_used_again_is_as_new_whatever_the_last_mock_wrote_or_did() -> None:
    """A mock's in-memory database goes on to the next mock once its rows are wiped; every family's rows go,
    tags and the audit log included, and one that an SQLAlchemy engine took hold of (a reset) is not used again."""
    client = make_client(None, MGMT_ACCOUNT, "us-east-1")
    with mock_proton() as mock:
        client.create_environment_template(name="web", tags=[{"key": "team", "value": "a"}])
        client.create_service_template(name="svc")
        client.update_account_settings(pipelineServiceRoleArn=ROLE)
        used = mock.service.database.memory_connection
        assert mock.audit()
    for _ in range(3):
        with mock_proton() as mock:
            assert mock.service.database.memory_connection is used  # the same database, used again
            assert client.list_environment_templates()["templates"] == []
            assert client.list_service_templates()["templates"] == []
            assert "pipelineServiceRoleArn" not in client.get_account_settings()["accountSettings"]
            assert mock.audit() == []
            client.create_environment_template(name="web")  # no leftover row in the way
    with mock_proton() as mock:
        mock.reset()  # through an SQLAlchemy engine, which holds the connection from then on
        assert mock.service.database.engine_made
        taken = mock.service.database.memory_connection
    with mock_proton() as mock:
        assert mock.service.database.memory_connection is not taken
        assert client.list_environment_templates()["templates"] == []


def test_nested_mocks_are_isolated_and_the_outer_one_resumes() -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")
    with mock_proton():
        _create(client)
        with mock_proton():
            assert _count(client) == 0
        assert _count(client) == 1


def test_bare_decorator_gives_each_call_fresh_state() -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")

    @mock_proton
    def create_and_count() -> int:
        _create(client)
        return _count(client)

    assert create_and_count() == 1
    assert create_and_count() == 1


def test_called_decorator_works_the_same() -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")

    @mock_proton()
    def create_and_count() -> int:
        _create(client)
        return _count(client)

    assert create_and_count() == 1
    assert create_and_count() == 1


def test_start_and_stop_by_hand() -> None:
    mock = mock_proton()
    assert isinstance(mock, ProtonMock)
    mock.start()
    try:
        client = make_client(None, ENV_ACCOUNT, "us-east-1")
        _create(client)
        assert [event["status"] for event in mock.events()] == ["PENDING"]
    finally:
        mock.stop()


def test_the_pytest_fixture_is_a_started_mock(proton_mock: ProtonMock) -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")
    connection_id = _create(client)
    assert [event["environmentAccountConnectionId"] for event in proton_mock.events()] == [connection_id]


def test_after_stop_proton_requests_go_to_the_network_again() -> None:
    # An endpoint nothing listens on: once the mock is gone, botocore really tries to connect.
    client = boto3.client(
        "proton",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id=ENV_ACCOUNT,
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, connect_timeout=1),
    )
    with mock_proton():
        assert _count(client) == 0
    with pytest.raises(Exception) as excinfo:
        _count(client)
    assert "Could not connect" in str(excinfo.value)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        _Recorder.seen.append(self.headers.get("x-amz-target") or self.path)
        body = b'{"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/x", "UserId": "X"}'
        self.send_response(200)
        self.send_header("content-type", "application/x-amz-json-1.0")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_service() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_other_aws_services_pass_through_untouched(other_service: str) -> None:
    # DynamoDB speaks the same JSON protocol; inside the mock its request must still reach its endpoint.
    dynamodb = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=other_service,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )
    with mock_proton():
        dynamodb.list_tables()
    assert _Recorder.seen == ["DynamoDB_20120810.ListTables"]


def test_errors_come_back_as_modelled_exception_classes() -> None:
    client = make_client(None, ENV_ACCOUNT, "us-east-1")
    with mock_proton(), pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_environment_account_connection(id="00000000-0000-4000-8000-000000000000")
    with mock_proton(), pytest.raises(ClientError) as excinfo:
        client.get_environment_account_connection(id="bad")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_an_injected_clock_expires_client_tokens_after_eight_hours() -> None:
    from openproton.proton.clock import ManualClock

    clock = ManualClock()
    client = make_client(None, ENV_ACCOUNT, "us-east-1")
    params = {"environmentName": "dev", "managementAccountId": MGMT_ACCOUNT, "roleArn": ROLE, "clientToken": "t-1"}
    with mock_proton(clock=clock):
        first = client.create_environment_account_connection(**params)["environmentAccountConnection"]
        clock.advance(seconds=8 * 3600 - 1)
        assert client.create_environment_account_connection(**params)["environmentAccountConnection"] == first
        client.delete_environment_account_connection(id=first["id"])
        clock.advance(seconds=2)
        # Past eight hours the token is forgotten: the same token may now carry other parameters.
        again = client.create_environment_account_connection(**{**params, "environmentName": "other"})
        assert again["environmentAccountConnection"]["id"] != first["id"]


def test_last_modified_moves_even_within_one_millisecond() -> None:
    from openproton.proton.clock import ManualClock

    clock = ManualClock()  # never moves by itself
    with mock_proton(clock=clock):
        created = _create(make_client(None, ENV_ACCOUNT, "us-east-1"))
        mgmt = make_client(None, MGMT_ACCOUNT, "us-east-1")
        accepted = mgmt.accept_environment_account_connection(id=created)["environmentAccountConnection"]
        rejected = mgmt.reject_environment_account_connection(id=created)["environmentAccountConnection"]
    assert accepted["requestedAt"] == rejected["requestedAt"]
    step = accepted["lastModifiedAt"] - accepted["requestedAt"]
    assert step.total_seconds() == 0.001
    assert (rejected["lastModifiedAt"] - accepted["lastModifiedAt"]).total_seconds() == 0.001


def test_each_call_is_answered_once_however_many_mocks_the_process_started() -> None:
    # boto3's default session gets the handler again at each start; botocore emits before-send to every
    # handler, so a second registration answered (and audited) every call twice.
    for _ in range(3):
        with mock_proton() as mock:
            boto3.client("proton", region_name="us-east-1").create_environment_template(name="once")
            assert [entry["operation"] for entry in mock.audit()] == ["CreateEnvironmentTemplate"]
