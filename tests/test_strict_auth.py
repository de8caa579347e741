"""Strict mode: every request's SigV4 signature is verified; forged and stale requests are turned away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
import orjson
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from openproton import mock_proton
from openproton.protocol.sigv4 import MISMATCH, UNRECOGNIZED
from openproton.settings import Settings
from strict_support import (
    ADMIN_TOKEN,
    ENV_KEY,
    KEYS,
    MGMT_KEY,
    OTHER_KEY,
    SESSION_KEY,
    strict_client,
    strict_server,
    write_credentials,
)
from support import InProcessWorld, ServerProcess, ServerWorld, World, error_of

TARGET = "AwsProton20200720."
ROLE = "arn:aws:iam::111111111111:role/p"


class StrictWorld:
    """A strict-mode OpenProton, in-process or as a server, and the endpoint clients use for it."""

    def __init__(self, world: World, endpoint: str | None) -> None:
        self.world = world
        self.endpoint = endpoint

    def client(self, key: str, **kwargs: Any) -> Any:
        return strict_client(self.endpoint, key, **kwargs)

    def send(self, request: AWSRequest) -> Any:
        """A request signed (or not) by hand, sent as raw HTTP."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        # botocore signs the URL's host without setting the header; send it as an HTTP client would.
        headers.setdefault("host", urlsplit(request.url).netloc)
        return self.world.raw(request.method, "/", headers, request.body)


@pytest.fixture(scope="module")
def strict_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = strict_server(tmp_path_factory.mktemp("strict"))
    yield process
    process.stop()


@pytest.fixture(params=["in-process", "server"])
def strict(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StrictWorld]:
    if request.param == "in-process":
        settings = Settings(
            database_url="sqlite://",
            auth="strict",
            credentials_file=str(write_credentials(tmp_path)),
            admin_token=ADMIN_TOKEN,
        )
        with mock_proton(settings=settings) as mock:
            yield StrictWorld(InProcessWorld(mock), None)
        return
    server: ServerProcess = request.getfixturevalue("strict_server_process")
    assert server.request("POST", "/_openproton/reset", {"x-openproton-admin-token": ADMIN_TOKEN}, b"").status == 200
    yield StrictWorld(ServerWorld(server), server.endpoint)


def create(strict: StrictWorld, key: str = ENV_KEY) -> dict[str, Any]:
    return strict.client(key).create_environment_account_connection(
        environmentName="dev", managementAccountId="222222222222", roleArn=ROLE
    )["environmentAccountConnection"]


def signed(
    key: str,
    secret: str,
    body: dict[str, Any],
    *,
    service: str = "proton",
    operation: str = "ListEnvironmentAccountConnections",
    token: str | None = None,
    host: str = "127.0.0.1",
) -> AWSRequest:
    """A request signed by botocore's own SigV4 signer."""
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=orjson.dumps(body),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + operation},
    )
    botocore.auth.SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(request)
    return request


def test_valid_keys_act_as_the_account_the_credentials_file_names(strict: StrictWorld) -> None:
    created = create(strict)
    assert created["environmentAccountId"] == "111111111111"
    accepted = strict.client(MGMT_KEY).accept_environment_account_connection(id=created["id"])
    assert accepted["environmentAccountConnection"]["status"] == "CONNECTED"


def test_a_session_token_is_checked(strict: StrictWorld) -> None:
    listed = strict.client(SESSION_KEY).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert listed["environmentAccountConnections"] == []
    for token in ("wrong-token", ""):
        with pytest.raises(ClientError) as excinfo:
            strict.client(SESSION_KEY, token=token).list_environment_account_connections(
                requestedBy="ENVIRONMENT_ACCOUNT"
            )
        assert error_of(excinfo) == ("UnrecognizedClientException", UNRECOGNIZED, 400)


def test_a_wrong_secret_is_an_invalid_signature(strict: StrictWorld) -> None:
    with pytest.raises(ClientError) as excinfo:
        strict.client(ENV_KEY, secret="not-the-secret").list_environment_account_connections(
            requestedBy="ENVIRONMENT_ACCOUNT"
        )
    assert error_of(excinfo) == ("InvalidSignatureException", MISMATCH, 400)


def test_an_unknown_key_is_unrecognized(strict: StrictWorld) -> None:
    with pytest.raises(ClientError) as excinfo:
        strict.client("AKIAUNKNOWN000000000").list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert error_of(excinfo) == ("UnrecognizedClientException", UNRECOGNIZED, 400)


def test_a_twelve_digit_key_is_no_account_in_strict_mode(strict: StrictWorld) -> None:
    with pytest.raises(ClientError) as excinfo:
        strict.client("111111111111").list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert error_of(excinfo)[0] == "UnrecognizedClientException"


def test_a_request_signed_six_minutes_ago_has_expired(strict: StrictWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=6)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: signed_at)
    with pytest.raises(ClientError) as excinfo:
        strict.client(ENV_KEY).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidSignatureException", 400)
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"Signature expired: {stamp} is now earlier than ")
    assert message.endswith(" - 5 min.)")


def test_a_request_four_minutes_old_is_still_accepted(strict: StrictWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: signed_at)
    listed = strict.client(ENV_KEY).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    assert listed["environmentAccountConnections"] == []


def test_a_tampered_body_is_an_invalid_signature(strict: StrictWorld) -> None:
    secret = KEYS[ENV_KEY][0]
    request = signed(ENV_KEY, secret, {"requestedBy": "ENVIRONMENT_ACCOUNT"})
    assert strict.send(request).status == 200
    request.data = orjson.dumps({"requestedBy": "MANAGEMENT_ACCOUNT"})
    response = strict.send(request)
    assert (response.status, response.json()) == (
        400,
        {"__type": "com.amazonaws.proton.v20200720#InvalidSignatureException", "message": MISMATCH},
    )


def test_a_request_without_authorization_is_missing_its_token(strict: StrictWorld) -> None:
    request = signed(ENV_KEY, KEYS[ENV_KEY][0], {"requestedBy": "ENVIRONMENT_ACCOUNT"})
    del request.headers["Authorization"]
    response = strict.send(request)
    assert response.status == 400
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert response.json()["message"] == "Request is missing Authentication Token"


@pytest.mark.parametrize("part", ["Credential", "SignedHeaders", "Signature"])
def test_an_authorization_header_without_a_part_is_incomplete(strict: StrictWorld, part: str) -> None:
    request = signed(ENV_KEY, KEYS[ENV_KEY][0], {"requestedBy": "ENVIRONMENT_ACCOUNT"})
    algorithm, rest = request.headers["Authorization"].split(" ", 1)
    kept = [item for item in rest.split(", ") if not item.startswith(part + "=")]
    request.headers.replace_header("Authorization", f"{algorithm} {', '.join(kept)}")
    response = strict.send(request)
    assert response.status == 400
    assert response.headers["x-amzn-errortype"] == "IncompleteSignatureException"
    assert f"Authorization header requires '{part}' parameter." in response.json()["message"]


def test_a_request_without_a_date_is_incomplete(strict: StrictWorld) -> None:
    request = signed(ENV_KEY, KEYS[ENV_KEY][0], {"requestedBy": "ENVIRONMENT_ACCOUNT"})
    del request.headers["X-Amz-Date"]
    response = strict.send(request)
    assert response.headers["x-amzn-errortype"] == "IncompleteSignatureException"
    assert "'X-Amz-Date' or a 'Date' header" in response.json()["message"]


def test_a_signature_for_another_service_is_invalid(strict: StrictWorld) -> None:
    response = strict.send(signed(ENV_KEY, KEYS[ENV_KEY][0], {"requestedBy": "ENVIRONMENT_ACCOUNT"}, service="sts"))
    assert (response.status, response.headers["x-amzn-errortype"]) == (400, "InvalidSignatureException")
    assert response.json()["message"] == MISMATCH


def _list_request(**headers: str) -> AWSRequest:
    """An unsigned ListEnvironmentAccountConnections request, for the tests that sign it their own way."""
    return AWSRequest(
        method="POST",
        url="http://127.0.0.1/",
        data=b'{"requestedBy": "ENVIRONMENT_ACCOUNT"}',
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": TARGET + "ListEnvironmentAccountConnections",
            **headers,
        },
    )


def _sign_with(monkeypatch: pytest.MonkeyPatch, blacklist: list[str], request: AWSRequest) -> AWSRequest:
    monkeypatch.setattr(botocore.auth, "SIGNED_HEADERS_BLACKLIST", blacklist)
    botocore.auth.SigV4Auth(Credentials(ENV_KEY, KEYS[ENV_KEY][0]), "proton", "us-east-1").add_auth(request)
    return request


def test_a_signature_that_leaves_host_unsigned_is_invalid(strict: StrictWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    request = _list_request()
    # botocore always signs host; leaving it out of the canonical headers takes a signer that skips it.
    monkeypatch.setattr(botocore.auth.SigV4Auth, "headers_to_sign", lambda self, req: _without_host(req))
    _sign_with(monkeypatch, ["expect", "user-agent", "x-amzn-trace-id"], request)
    assert "host" not in request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    response = strict.send(request)
    assert response.headers["x-amzn-errortype"] == "InvalidSignatureException"


def _without_host(request: AWSRequest) -> Any:
    from botocore.awsrequest import HTTPHeaders

    headers = HTTPHeaders()
    for name, value in request.headers.items():
        if name.lower() not in ("host", "user-agent", "expect", "x-amzn-trace-id"):
            headers[name.lower()] = value
    return headers


def test_a_java_v1_style_signature_over_user_agent_passes(strict: StrictWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    request = _list_request(**{"User-Agent": "aws-sdk-java/1.12.700 Linux/6.1 OpenJDK_64-Bit_Server_VM/17"})
    _sign_with(monkeypatch, ["expect", "x-amzn-trace-id"], request)
    assert "user-agent" in request.headers["Authorization"]
    response = strict.send(request)
    assert response.status == 200, response.body


def test_admin_endpoints_need_the_admin_token_and_never_take_account_keys(strict_server_process: ServerProcess) -> None:
    server = strict_server_process
    assert server.request("GET", "/_openproton/health", {}, b"").status == 200
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 403
    as_account = {k.lower(): v for k, v in signed(ENV_KEY, KEYS[ENV_KEY][0], {}).headers.items()}
    assert server.request("POST", "/_openproton/reset", as_account, b"").status == 403
    assert server.request("GET", "/_openproton/faults", {"x-openproton-admin-token": "guess"}, b"").status == 403
    assert server.request("GET", "/_openproton/audit", {"authorization": f"Bearer {ADMIN_TOKEN}"}, b"").status == 200
    assert server.request("POST", "/_openproton/reset", {"x-openproton-admin-token": ADMIN_TOKEN}, b"").status == 200


def _every_operation(client: Any, connection: dict[str, Any]) -> list[tuple[str, Any]]:
    cid, arn = connection["id"], connection["arn"]
    return [
        ("GetEnvironmentAccountConnection", lambda: client.get_environment_account_connection(id=cid)),
        ("AcceptEnvironmentAccountConnection", lambda: client.accept_environment_account_connection(id=cid)),
        ("RejectEnvironmentAccountConnection", lambda: client.reject_environment_account_connection(id=cid)),
        (
            "UpdateEnvironmentAccountConnection",
            lambda: client.update_environment_account_connection(id=cid, roleArn=ROLE),
        ),
        ("DeleteEnvironmentAccountConnection", lambda: client.delete_environment_account_connection(id=cid)),
        ("TagResource", lambda: client.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])),
        ("UntagResource", lambda: client.untag_resource(resourceArn=arn, tagKeys=["k"])),
        ("ListTagsForResource", lambda: client.list_tags_for_resource(resourceArn=arn)),
    ]


def _every_template_operation(client: Any, template: dict[str, Any]) -> list[tuple[str, Any]]:
    name = template["name"]
    version = {"templateName": name, "majorVersion": "1", "minorVersion": "0"}
    source = {"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
    return [
        ("GetEnvironmentTemplate", lambda: client.get_environment_template(name=name)),
        ("UpdateEnvironmentTemplate", lambda: client.update_environment_template(name=name, description="x")),
        ("DeleteEnvironmentTemplate", lambda: client.delete_environment_template(name=name)),
        (
            "CreateEnvironmentTemplateVersion",
            lambda: client.create_environment_template_version(templateName=name, source=source),
        ),
        ("GetEnvironmentTemplateVersion", lambda: client.get_environment_template_version(**version)),
        ("ListEnvironmentTemplateVersions", lambda: client.list_environment_template_versions(templateName=name)),
        (
            "UpdateEnvironmentTemplateVersion",
            lambda: client.update_environment_template_version(**version, status="PUBLISHED"),
        ),
        ("DeleteEnvironmentTemplateVersion", lambda: client.delete_environment_template_version(**version)),
    ]


def _every_environment_operation(
    client: Any, environment: dict[str, Any], deployment: dict[str, Any]
) -> list[tuple[str, Any]]:
    name, arn, did, deployment_arn = environment["name"], environment["arn"], deployment["id"], deployment["arn"]
    tag = [{"key": "k", "value": "v"}]
    return [
        ("GetEnvironment", lambda: client.get_environment(name=name)),
        (
            "UpdateEnvironment",
            lambda: client.update_environment(name=name, deploymentType="NONE", description="mine now"),
        ),
        ("DeleteEnvironment", lambda: client.delete_environment(name=name)),
        ("CancelEnvironmentDeployment", lambda: client.cancel_environment_deployment(environmentName=name)),
        ("ListEnvironmentOutputs", lambda: client.list_environment_outputs(environmentName=name)),
        (
            "ListEnvironmentProvisionedResources",
            lambda: client.list_environment_provisioned_resources(environmentName=name),
        ),
        (
            "NotifyResourceDeploymentStatusChange",
            lambda: client.notify_resource_deployment_status_change(resourceArn=arn, status="FAILED"),
        ),
        ("GetDeployment", lambda: client.get_deployment(id=did)),
        ("DeleteDeployment", lambda: client.delete_deployment(id=did)),
        ("ListDeployments", lambda: client.list_deployments(environmentName=name)),
        ("TagResource", lambda: client.tag_resource(resourceArn=arn, tags=tag)),
        ("UntagResource", lambda: client.untag_resource(resourceArn=arn, tagKeys=["owner"])),
        ("ListTagsForResource", lambda: client.list_tags_for_resource(resourceArn=arn)),
        ("TagResource", lambda: client.tag_resource(resourceArn=deployment_arn, tags=tag)),
        ("UntagResource", lambda: client.untag_resource(resourceArn=deployment_arn, tagKeys=["owner"])),
        ("ListTagsForResource", lambda: client.list_tags_for_resource(resourceArn=deployment_arn)),
    ]


def _service_in(client: Any, environment: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A published service template `web` for `vpc` 1, and a service `shop` with one instance and a pipeline."""
    client.update_account_settings(pipelineServiceRoleArn="arn:aws:iam::222222222222:role/pipeline")
    client.create_service_template(name="web")
    client.create_service_template_version(
        templateName="web",
        source={"s3": {"bucket": "bundles", "key": "web.tgz"}},
        compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )
    client.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    spec = f"proton: ServiceSpec\ninstances:\n  - name: shop-{environment}\n    environment: {environment}\n"
    client.create_service(
        name="shop",
        templateName="web",
        templateMajorVersion="1",
        spec=spec,
        repositoryConnectionArn="arn:aws:codestar-connections:us-east-1:222222222222:connection/c",
        repositoryId="acme/shop",
        branchName="main",
    )
    service = client.get_service(name="shop")["service"]
    assert (service["status"], service["pipeline"]["deploymentStatus"]) == ("ACTIVE", "SUCCEEDED")
    instance = client.get_service_instance(serviceName="shop", name=f"shop-{environment}")["serviceInstance"]
    return service, instance


def _every_service_operation(client: Any, service: dict[str, Any], instance: dict[str, Any]) -> list[tuple[str, Any]]:
    spec = service["spec"]
    name, instance_name = service["name"], instance["name"]
    pipeline_arn, instance_arn = service["pipeline"]["arn"], instance["arn"]
    template_arn = service["arn"].replace(":service/shop", ":service-template/web")
    tag = [{"key": "k", "value": "v"}]
    version = {"templateName": "web", "majorVersion": "1", "minorVersion": "0"}
    source = {"s3": {"bucket": "bundles", "key": "web.tgz"}}
    compatible = [{"templateName": "vpc", "majorVersion": "1"}]
    return [
        ("GetServiceTemplate", lambda: client.get_service_template(name="web")),
        ("UpdateServiceTemplate", lambda: client.update_service_template(name="web", description="mine")),
        ("DeleteServiceTemplate", lambda: client.delete_service_template(name="web")),
        (
            "CreateServiceTemplateVersion",
            lambda: client.create_service_template_version(
                templateName="web", source=source, compatibleEnvironmentTemplates=compatible
            ),
        ),
        ("GetServiceTemplateVersion", lambda: client.get_service_template_version(**version)),
        ("ListServiceTemplateVersions", lambda: client.list_service_template_versions(templateName="web")),
        (
            "UpdateServiceTemplateVersion",
            lambda: client.update_service_template_version(**version, description="mine"),
        ),
        ("DeleteServiceTemplateVersion", lambda: client.delete_service_template_version(**version)),
        (
            "CreateService",
            lambda: client.create_service(name="mine", templateName="web", templateMajorVersion="1", spec=spec),
        ),
        ("GetService", lambda: client.get_service(name=name)),
        ("UpdateService", lambda: client.update_service(name=name, description="mine")),
        ("DeleteService", lambda: client.delete_service(name=name)),
        ("CreateServiceInstance", lambda: client.create_service_instance(name="x", serviceName=name, spec=spec)),
        ("GetServiceInstance", lambda: client.get_service_instance(serviceName=name, name=instance_name)),
        (
            "UpdateServiceInstance",
            lambda: client.update_service_instance(
                serviceName=name, name=instance_name, deploymentType="CURRENT_VERSION"
            ),
        ),
        (
            "CancelServiceInstanceDeployment",
            lambda: client.cancel_service_instance_deployment(serviceName=name, serviceInstanceName=instance_name),
        ),
        (
            "ListServiceInstanceOutputs",
            lambda: client.list_service_instance_outputs(serviceName=name, serviceInstanceName=instance_name),
        ),
        (
            "ListServiceInstanceProvisionedResources",
            lambda: client.list_service_instance_provisioned_resources(
                serviceName=name, serviceInstanceName=instance_name
            ),
        ),
        ("ListServiceInstances", lambda: client.list_service_instances(serviceName=name)),
        (
            "UpdateServicePipeline",
            lambda: client.update_service_pipeline(serviceName=name, deploymentType="CURRENT_VERSION", spec=spec),
        ),
        ("CancelServicePipelineDeployment", lambda: client.cancel_service_pipeline_deployment(serviceName=name)),
        ("ListServicePipelineOutputs", lambda: client.list_service_pipeline_outputs(serviceName=name)),
        (
            "ListServicePipelineProvisionedResources",
            lambda: client.list_service_pipeline_provisioned_resources(serviceName=name),
        ),
        ("ListDeployments", lambda: client.list_deployments(serviceName=name)),
        (
            "NotifyResourceDeploymentStatusChange",
            lambda: client.notify_resource_deployment_status_change(resourceArn=instance_arn, status="FAILED"),
        ),
        *[
            (operation, call)
            for arn in (template_arn, f"{template_arn}:1.0", service["arn"], instance_arn, pipeline_arn)
            for operation, call in (
                ("TagResource", lambda arn=arn: client.tag_resource(resourceArn=arn, tags=tag)),
                ("UntagResource", lambda arn=arn: client.untag_resource(resourceArn=arn, tagKeys=["owner"])),
                ("ListTagsForResource", lambda arn=arn: client.list_tags_for_resource(resourceArn=arn)),
            )
        ],
    ]


MANIFEST = (
    "infrastructure:\n  templates:\n    - file: queue.yaml\n      rendering_engine: jinja\n"
    "      template_language: cloudformation\n"
)


def _every_component_operation(client: Any, component: dict[str, Any]) -> list[tuple[str, Any]]:
    name = component["name"]
    attached = {"serviceName": component["serviceName"], "serviceInstanceName": component["serviceInstanceName"]}
    return [
        (
            "CreateComponent",
            lambda: client.create_component(name="mine", **attached, manifest=MANIFEST, templateFile="Resources: {}"),
        ),
        ("GetComponent", lambda: client.get_component(name=name)),
        ("UpdateComponent", lambda: client.update_component(name=name, deploymentType="NONE", description="mine")),
        ("DeleteComponent", lambda: client.delete_component(name=name)),
        ("CancelComponentDeployment", lambda: client.cancel_component_deployment(componentName=name)),
        ("ListComponentOutputs", lambda: client.list_component_outputs(componentName=name)),
        ("ListComponentProvisionedResources", lambda: client.list_component_provisioned_resources(componentName=name)),
        ("ListDeployments", lambda: client.list_deployments(componentName=name)),
        (
            "NotifyResourceDeploymentStatusChange",
            lambda: client.notify_resource_deployment_status_change(resourceArn=component["arn"], status="FAILED"),
        ),
        ("TagResource", lambda: client.tag_resource(resourceArn=component["arn"], tags=[{"key": "k", "value": "v"}])),
        ("UntagResource", lambda: client.untag_resource(resourceArn=component["arn"], tagKeys=["owner"])),
        ("ListTagsForResource", lambda: client.list_tags_for_resource(resourceArn=component["arn"])),
    ]


CODE_CONNECTION = "arn:aws:codestar-connections:us-east-1:222222222222:connection/c"


def _every_repository_operation(client: Any, link: dict[str, Any], blocker_id: str) -> list[tuple[str, Any]]:
    named = {"provider": link["provider"], "name": link["name"]}
    sync = {"templateName": "web", "templateType": "SERVICE"}
    repository = {"repositoryProvider": "GITHUB", "repositoryName": link["name"], "branch": "main"}
    return [
        ("GetRepository", lambda: client.get_repository(**named)),
        ("GetTemplateSyncConfig", lambda: client.get_template_sync_config(**sync)),
        (
            "UpdateTemplateSyncConfig",
            lambda: client.update_template_sync_config(
                **sync, repositoryProvider="GITHUB", repositoryName=link["name"], branch="dev"
            ),
        ),
        ("DeleteTemplateSyncConfig", lambda: client.delete_template_sync_config(**sync)),
        ("GetServiceSyncConfig", lambda: client.get_service_sync_config(serviceName="shop")),
        (
            "UpdateServiceSyncConfig",
            lambda: client.update_service_sync_config(serviceName="shop", filePath="ops.yaml", **repository),
        ),
        ("DeleteServiceSyncConfig", lambda: client.delete_service_sync_config(serviceName="shop")),
        (
            "GetRepositorySyncStatus",
            lambda: client.get_repository_sync_status(**repository, syncType="TEMPLATE_SYNC"),
        ),
        ("GetTemplateSyncStatus", lambda: client.get_template_sync_status(**sync, templateVersion="1")),
        (
            "GetServiceInstanceSyncStatus",
            lambda: client.get_service_instance_sync_status(serviceName="shop", serviceInstanceName="shop-dev"),
        ),
        ("GetServiceSyncBlockerSummary", lambda: client.get_service_sync_blocker_summary(serviceName="shop")),
        ("UpdateServiceSyncBlocker", lambda: client.update_service_sync_blocker(id=blocker_id, resolvedReason="x")),
        ("DeleteRepository", lambda: client.delete_repository(**named)),
        ("TagResource", lambda: client.tag_resource(resourceArn=link["arn"], tags=[{"key": "k", "value": "v"}])),
        ("UntagResource", lambda: client.untag_resource(resourceArn=link["arn"], tagKeys=["owner"])),
        ("ListTagsForResource", lambda: client.list_tags_for_resource(resourceArn=link["arn"])),
    ]


def _publish(client: Any, name: str) -> None:
    client.create_environment_template(name=name)
    client.create_environment_template_version(templateName=name, source={"s3": {"bucket": "bundles", "key": "t.tgz"}})
    client.update_environment_template_version(
        templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED"
    )


def test_another_account_with_valid_keys_learns_nothing(strict: StrictWorld) -> None:
    from openproton.proton.provider import ROUTES

    connection = create(strict)
    management = strict.client(MGMT_KEY)
    template = management.create_environment_template(name="web")["environmentTemplate"]
    management.create_environment_template_version(
        templateName="web", source={"s3": {"bucket": "bundles", "key": "web.tar.gz"}}
    )
    # An environment of the management account, deployed through the connection, tagged, with one deployment.
    management.accept_environment_account_connection(id=connection["id"])
    connection = strict.client(ENV_KEY).get_environment_account_connection(id=connection["id"])[
        "environmentAccountConnection"
    ]
    _publish(management, "vpc")
    created = management.create_environment(
        name="dev",
        templateName="vpc",
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\n",
        environmentAccountConnectionId=connection["id"],
        tags=[{"key": "owner", "value": "platform"}],
    )["environment"]
    deployment = management.get_deployment(id=created["lastAttemptedDeploymentId"])["deployment"]
    management.tag_resource(resourceArn=deployment["arn"], tags=[{"key": "owner", "value": "platform"}])
    environment = management.get_environment(name="dev")["environment"]
    assert environment["deploymentStatus"] == "SUCCEEDED"
    service, instance = _service_in(management, "dev")
    # A component attached to the instance, through the connection's component role.
    connection = strict.client(ENV_KEY).update_environment_account_connection(
        id=connection["id"], componentRoleArn="arn:aws:iam::111111111111:role/component"
    )["environmentAccountConnection"]
    management.create_component(
        name="queue",
        serviceName="shop",
        serviceInstanceName=instance["name"],
        manifest=MANIFEST,
        templateFile="Resources: {}",
        tags=[{"key": "owner", "value": "platform"}],
    )
    component = management.get_component(name="queue")["component"]
    assert component["deploymentStatus"] == "SUCCEEDED"
    summary = management.get_resources_summary()["counts"]
    link = management.create_repository(
        provider="GITHUB",
        name="acme/templates",
        connectionArn=CODE_CONNECTION,
        tags=[{"key": "owner", "value": "platform"}],
    )["repository"]
    management.create_template_sync_config(
        templateName="web",
        templateType="SERVICE",
        repositoryProvider="GITHUB",
        repositoryName="acme/templates",
        branch="main",
    )
    management.create_service_sync_config(
        serviceName="shop",
        repositoryProvider="GITHUB",
        repositoryName="acme/templates",
        branch="main",
        filePath="proton-ops.yaml",
    )
    # A manual change of the synced instance raises a sync blocker ([decided] Y-17) that only its account sees.
    management.update_service_instance(serviceName="shop", name=instance["name"], deploymentType="CURRENT_VERSION")
    blockers = management.get_service_sync_blocker_summary(serviceName="shop", serviceInstanceName=instance["name"])[
        "serviceSyncBlockerSummary"
    ]
    (blocker,) = blockers["latestBlockers"]
    settings = management.get_account_settings()["accountSettings"]
    deployments = [d["id"] for d in management.list_deployments()["deployments"]]

    other = strict.client(OTHER_KEY)
    covered = {
        "CreateEnvironmentAccountConnection",
        "ListEnvironmentAccountConnections",
        "CreateEnvironmentTemplate",
        "ListEnvironmentTemplates",
    }
    assert other.list_environment_templates()["templates"] == []
    # A template of the same name in the other account is that account's own, not a view of this one.
    for operation, call in [
        *_every_operation(other, connection),
        *_every_template_operation(other, template),
        *_every_environment_operation(other, environment, deployment),
        *_every_service_operation(other, service, instance),
        *_every_component_operation(other, component),
        *_every_repository_operation(other, link, blocker["id"]),
    ]:
        with pytest.raises(ClientError) as excinfo:
            call()
        code, message, _ = error_of(excinfo)
        assert code == "ResourceNotFoundException", (operation, code, message)
        assert "111111111111" not in message and "222222222222" not in message, (operation, message)
        covered.add(operation)
    # The other account, with a published template of its own, cannot deploy through a connection it is no
    # party to: the connection does not exist for it.
    _publish(other, "mine")
    with pytest.raises(ClientError) as excinfo:
        other.create_environment(
            name="dev",
            templateName="mine",
            templateMajorVersion="1",
            spec="proton: EnvironmentSpec\n",
            environmentAccountConnectionId=connection["id"],
        )
    code, message, _ = error_of(excinfo)
    assert (code, message) == (
        "ResourceNotFoundException",
        f"The requested environment account connection does not exist: {connection['id']}",
    )
    covered.add("CreateEnvironment")
    for side in ("ENVIRONMENT_ACCOUNT", "MANAGEMENT_ACCOUNT"):
        assert other.list_environment_account_connections(requestedBy=side)["environmentAccountConnections"] == []
    assert other.list_environments()["environments"] == []
    assert other.list_deployments()["deployments"] == []
    covered |= {"ListEnvironments", "ListDeployments"}
    # [decided] S-2: services are the management account's; another account lists none and has settings of
    # its own (S-22), which are not the management account's.
    assert other.list_service_templates()["templates"] == []
    assert other.list_services()["services"] == []
    assert other.list_service_instances()["serviceInstances"] == []
    assert other.get_account_settings()["accountSettings"] == {}
    assert other.list_components()["components"] == []
    # A link is the linking account's: another account lists none, and linking the same repository makes its own.
    assert other.list_repositories()["repositories"] == []
    definitions = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates", "syncType": "TEMPLATE_SYNC"}
    # Its own template `web` does not exist: the config is refused without naming the management account's.
    with pytest.raises(ClientError) as excinfo:
        other.create_template_sync_config(
            templateName="web",
            templateType="SERVICE",
            repositoryProvider="GITHUB",
            repositoryName="acme/templates",
            branch="main",
        )
    assert error_of(excinfo)[:2] == ("ValidationException", "Service template web does not exist")
    with pytest.raises(ClientError) as excinfo:
        other.create_service_sync_config(
            serviceName="shop",
            repositoryProvider="GITHUB",
            repositoryName="acme/templates",
            branch="main",
            filePath="proton-ops.yaml",
        )
    assert error_of(excinfo)[:2] == ("ValidationException", "Service shop does not exist")
    assert other.list_repository_sync_definitions(**definitions)["syncDefinitions"] == []
    own = other.create_repository(provider="GITHUB", name="acme/templates", connectionArn=CODE_CONNECTION)
    assert own["repository"]["arn"] == link["arn"].replace("222222222222", "333333333333")
    # Its summary counts its own template `mine` and nothing of the management account's.
    deployed = {"total": 0, "failed": 0, "upToDate": 0, "behindMajor": 0, "behindMinor": 0}
    assert other.get_resources_summary()["counts"] == {
        "environmentTemplates": {"total": 1},
        "serviceTemplates": {"total": 0},
        "environments": {"total": 0},
        "components": {"total": 0, "failed": 0},
        "serviceInstances": deployed,
        "pipelines": deployed,
        "services": deployed,
    }
    other.update_account_settings(pipelineServiceRoleArn="arn:aws:iam::333333333333:role/mine")
    covered |= {
        "ListServiceTemplates",
        "ListServices",
        "ListServiceInstances",
        "GetAccountSettings",
        "UpdateAccountSettings",
        "CreateServiceTemplate",
        "ListComponents",
        "GetResourcesSummary",
        "ListRepositories",
        "CreateRepository",
        "ListRepositorySyncDefinitions",
        "CreateTemplateSyncConfig",
        "CreateServiceSyncConfig",
    }
    assert covered == set(ROUTES), "every implemented operation is tried from the other account"
    # ...and nothing changed for its owners.
    assert (
        strict.client(ENV_KEY).get_environment_account_connection(id=connection["id"])["environmentAccountConnection"]
        == connection
    )
    assert management.get_environment(name="dev")["environment"] == environment
    assert management.get_deployment(id=deployment["id"])["deployment"] == deployment
    assert [d["id"] for d in management.list_deployments()["deployments"]] == deployments
    assert management.get_service(name="shop")["service"] == service
    assert management.get_account_settings()["accountSettings"] == settings
    assert management.get_component(name="queue")["component"] == component
    assert management.get_resources_summary()["counts"] == summary
    assert management.get_repository(provider="GITHUB", name="acme/templates")["repository"] == link
    assert len(management.list_repository_sync_definitions(**definitions)["syncDefinitions"]) == 1
    assert (
        management.get_service_sync_blocker_summary(serviceName="shop", serviceInstanceName=instance["name"])[
            "serviceSyncBlockerSummary"
        ]
        == blockers
    )
    for arn in (environment["arn"], deployment["arn"], component["arn"], link["arn"]):
        assert management.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "owner", "value": "platform"}]


def test_the_settle_policy_and_deployment_endpoints_need_the_admin_token(strict_server_process: ServerProcess) -> None:
    server = strict_server_process
    token = {"x-openproton-admin-token": ADMIN_TOKEN}
    assert server.request("POST", "/_openproton/reset", token, b"").status == 200
    as_account = {k.lower(): v for k, v in signed(MGMT_KEY, KEYS[MGMT_KEY][0], {}).headers.items()}
    calls = [
        ("GET", "/_openproton/settle-policy", b""),
        ("PUT", "/_openproton/settle-policy", b'{"policy": "manual"}'),
        ("DELETE", "/_openproton/settle-policy", b""),
        ("GET", "/_openproton/deployments", b""),
        ("POST", "/_openproton/deployments/0b0e9c4e-2a5b-4c51-9d2c-5d2f1f0e8a11/settle", b'{"status": "FAILED"}'),
    ]
    refusal = {"message": "The admin endpoints need the admin token (X-OpenProton-Admin-Token)."}
    for method, path, body in calls:
        for headers in ({}, as_account, {"x-openproton-admin-token": "guess"}, {"authorization": "Bearer guess"}):
            response = server.request(method, path, headers, body)
            assert (response.status, response.json()) == (403, refusal), (method, path, headers)
    # The refused PUT changed nothing; with the token every endpoint answers.
    policy = server.request("GET", "/_openproton/settle-policy", token, b"")
    assert (policy.status, policy.json()["policy"]) == (200, "succeed")
    answers = [
        server.request(method, path, {"authorization": f"Bearer {ADMIN_TOKEN}"}, body).status
        for method, path, body in calls
    ]
    assert answers == [200, 200, 200, 200, 404]


def test_strict_mode_without_a_usable_credentials_file_refuses_to_start(tmp_path: Path) -> None:
    import subprocess

    from support import openproton_command

    missing = subprocess.run(
        [*openproton_command(), "serve", "--auth", "strict"], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2
    assert "--auth strict needs --credentials FILE" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"credentials": [{"accessKeyId": "AKIA1", "secretAccessKey": "s", "accountId": "12"}]}')
    refused = subprocess.run(
        [*openproton_command(), "serve", "--auth", "strict", "--credentials", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "credentials entry 1 needs a 12-digit accountId" in refused.stderr


def test_a_request_signed_six_minutes_ahead_is_not_yet_current(
    strict: StrictWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=6)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: signed_at)
    with pytest.raises(ClientError) as excinfo:
        strict.client(ENV_KEY).list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith(f"Signature not yet current: {signed_at.strftime('%Y%m%dT%H%M%SZ')} is still later than ")
    assert message.endswith(" + 5 min.)")
