"""Strict mode for tests: a credentials file, an admin token, and worlds signed with real keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from support import ServerProcess

ADMIN_TOKEN = "admin-token-for-tests"
KEYS = {
    # access key: (secret, account, session token)
    "AKIAENVIRONMENT00001": ("environment-secret", "111111111111", None),
    "AKIAMANAGEMENT000001": ("management-secret", "222222222222", None),
    "AKIAOTHERACCOUNT0001": ("other-secret", "333333333333", None),
    "ASIASESSION000000001": ("session-secret", "444444444444", "session-token-1"),
}
ENV_KEY, MGMT_KEY, OTHER_KEY, SESSION_KEY = KEYS


def write_credentials(directory: Path) -> Path:
    path = directory / "credentials.json"
    entries = []
    for key, (secret, account, token) in KEYS.items():
        entry = {"accessKeyId": key, "secretAccessKey": secret, "accountId": account}
        if token:
            entry["sessionToken"] = token
        entries.append(entry)
    path.write_text(json.dumps({"credentials": entries}))
    return path


def strict_client(
    endpoint: str | None,
    key: str,
    *,
    secret: str | None = None,
    token: str | None = None,
    region: str = "us-east-1",
    **config: Any,
) -> Any:
    known_secret, _account, known_token = KEYS.get(key, ("unknown-secret", "", None))
    return boto3.session.Session().client(
        "proton",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret or known_secret,
        aws_session_token=token if token is not None else known_token,
        config=Config(**({"retries": {"mode": "standard", "total_max_attempts": 1}} | config)),
    )


def strict_server(directory: Path, *extra: str, env: dict[str, str] | None = None) -> ServerProcess:
    credentials = write_credentials(directory)
    return ServerProcess(
        "--auth", "strict", "--credentials", str(credentials), "--admin-token", ADMIN_TOKEN, *extra, env=env
    )
