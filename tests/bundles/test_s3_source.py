"""Bundles fetched from a real S3 API (B-1, B-14): moto's standalone server on loopback, uploaded to with boto3,
read by `openproton serve --bundle-s3-endpoint URL` and by mock_proton() with the same setting. The server uses
its own credential chain (the environment here), never the caller's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bundles.bundle_library import ENVIRONMENT_SCHEMA, archive, environment_files
from openproton import Settings, mock_proton
from support import ENV_ACCOUNT, MGMT_ACCOUNT, REGION, ServerProcess, make_client, moto_server

# The server's own credentials: moto accepts any, and the callers' keys below are other ones.
SERVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "openproton-server", "AWS_SECRET_ACCESS_KEY": "server-secret"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **_keys(SERVER_CREDENTIALS))
    for bucket in ("templates", "tenant-b-private", "team-a-bundles"):
        client.create_bucket(Bucket=bucket)
    client.put_object(Bucket="templates", Key="vpc/env.tar.gz", Body=archive(environment_files()))
    client.put_object(Bucket="tenant-b-private", Key="env.tar.gz", Body=archive(environment_files()))
    client.put_object(Bucket="team-a-bundles", Key="env.tar.gz", Body=archive(environment_files()))
    client.put_object(Bucket="templates", Key="big.tar.gz", Body=bytes(5 * 2**20 + 1))
    return client


def _keys(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture(scope="module")
def buckets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("buckets") / "buckets.json"
    path.write_text(json.dumps({MGMT_ACCOUNT: ["templates", "team-a-*"], ENV_ACCOUNT: ["tenant-b-private"]}))
    return path


@pytest.fixture(params=["in-process", "server"])
def proton(
    request: pytest.FixtureRequest, s3: Any, s3_endpoint: str, buckets_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A client of the management account, on OpenProton fetching from the S3 API under B-14's bucket map."""
    if request.param == "in-process":
        for name, value in SERVER_CREDENTIALS.items():
            monkeypatch.setenv(name, value)  # the process's own chain, as a server reads it
        settings = Settings(bundle_s3_endpoint=s3_endpoint, bundle_buckets_file=str(buckets_file))
        with mock_proton(settings=settings):
            yield make_client(None, MGMT_ACCOUNT, REGION)
        return
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **SERVER_CREDENTIALS}
    server = ServerProcess("--bundle-s3-endpoint", s3_endpoint, "--bundle-buckets", str(buckets_file), env=env)
    try:
        yield make_client(server.endpoint, MGMT_ACCOUNT, REGION)
    finally:
        server.stop()


def _register(proton: Any, bucket: str, key: str) -> dict[str, Any]:
    proton.create_environment_template(name="vpc")
    proton.create_environment_template_version(templateName="vpc", source={"s3": {"bucket": bucket, "key": key}})
    return proton.get_environment_template_version(templateName="vpc", majorVersion="1", minorVersion="0")[
        "environmentTemplateVersion"
    ]


def test_a_bundle_in_s3_registers(proton: Any) -> None:
    version = _register(proton, "templates", "vpc/env.tar.gz")
    assert (version["status"], version["schema"]) == ("DRAFT", ENVIRONMENT_SCHEMA)


def test_a_pattern_allows_its_buckets(proton: Any) -> None:
    assert _register(proton, "team-a-bundles", "env.tar.gz")["status"] == "DRAFT"


def test_a_missing_key_fails_with_s3s_error_code(proton: Any) -> None:
    version = _register(proton, "templates", "vpc/none.tar.gz")
    assert version["statusMessage"] == "Unable to fetch template bundle from s3://templates/vpc/none.tar.gz: NoSuchKey"


def test_an_object_over_5_mb_is_refused_without_reading_it_whole(proton: Any) -> None:
    assert _register(proton, "templates", "big.tar.gz")["statusMessage"] == "Template bundle is larger than 5 MB"


def test_another_tenants_bucket_is_not_fetched(proton: Any) -> None:
    """B-14: the server's credentials could read it; the caller's account may not name it."""
    version = _register(proton, "tenant-b-private", "env.tar.gz")
    assert version["statusMessage"] == (
        "Unable to fetch template bundle from s3://tenant-b-private/env.tar.gz: bucket not allowed for account "
        f"{MGMT_ACCOUNT}"
    )
