"""The console's API client: every read and action is a Proton call through the pipeline, as a client sends it.

So the console answers to the same validation, authorization, audit log and faults as boto3 does, and an error
a user meets in the console carries the message the API gives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from openproton.protocol.pipeline import HttpRequest
from openproton.service import OpenProton

TARGET_PREFIX = "AwsProton20200720."
# The console's requests never leave the process; this names their host in the signature.
HOST = "console.openproton.internal"


class ApiError(Exception):
    """A modelled error the API answered, with its name, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom the console acts as: an account (default mode) or an access key with its secret (strict mode)."""

    account_id: str
    region: str
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)


class ConsoleApi:
    def __init__(self, service: OpenProton, caller: Caller) -> None:
        self.service = service
        self.caller = caller

    def call(self, operation: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = orjson.dumps({key: value for key, value in (params or {}).items() if value is not None})
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": TARGET_PREFIX + operation,
            "host": HOST,
            "user-agent": "openproton-console",
        }
        headers.update(self._authorization(body, headers))
        response = self.service.handle(HttpRequest("POST", "/", headers, body))
        answer = orjson.loads(response.body) if response.body else {}
        if response.status >= 300:
            code = str(answer.get("__type", "InternalServerException")).rpartition("#")[2]
            raise ApiError(code, str(answer.get("message") or answer.get("Message") or ""), response.status)
        return answer

    def _authorization(self, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        caller = self.caller
        if caller.secret_access_key is None:
            # Default mode reads the account from the key id and checks no signature.
            now = dt.datetime.now(dt.UTC)
            return {
                "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
                "authorization": f"AWS4-HMAC-SHA256 Credential={caller.account_id}/{now:%Y%m%d}/{caller.region}/"
                "proton/aws4_request, SignedHeaders=content-type;host;x-amz-target, Signature=" + "0" * 64,
            }
        request = AWSRequest(method="POST", url=f"http://{HOST}/", data=body, headers=dict(headers))
        credentials = Credentials(caller.access_key_id, caller.secret_access_key, caller.session_token)
        SigV4Auth(credentials, "proton", caller.region).add_auth(request)  # stamps its own X-Amz-Date
        return {key.lower(): value for key, value in request.headers.items() if key.lower() not in headers}

    def pages(self, operation: str, params: dict[str, Any], key: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Every item of a paginated list, up to `limit`."""
        items: list[dict[str, Any]] = []
        token = None
        while len(items) < limit:
            answer = self.call(operation, {**params, "nextToken": token})
            items.extend(answer.get(key, []))
            token = answer.get("nextToken")
            if not token:
                break
        return items[:limit]
