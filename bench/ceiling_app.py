"""The ceiling: a bare ASGI app that answers every request with one fixed, valid GetEnvironmentAccountConnection
response, under the same uvicorn as `openproton serve`.

    python -m uvicorn --app-dir bench ceiling_app:app --port 8000 --no-access-log --no-server-header

The body is read from the file named by OPENPROTON_BENCH_BODY_FILE, which the runner fills with the bytes that
OpenProton itself answered for the benchmark's connection (so the two are the same size); without it, a built-in
body of the same shape is used. It is a valid response, so boto3 parses it like the real thing.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

CONNECTION_ID = "4b2f9c3e-8a1d-4f6e-9b7a-2c5d8e1f3a60"
DEFAULT_BODY = (
    '{"environmentAccountConnection":{"arn":"arn:aws:proton:us-east-1:111111111111:environment-account-connection/'
    + CONNECTION_ID
    + '","environmentAccountId":"111111111111","environmentName":"bench","id":"'
    + CONNECTION_ID
    + '","lastModifiedAt":1795617396.669,"managementAccountId":"222222222222","requestedAt":1795617396.669,'
    '"roleArn":"arn:aws:iam::111111111111:role/proton-environment","status":"PENDING"}}'
).encode()


def _body() -> bytes:
    path = os.environ.get("OPENPROTON_BENCH_BODY_FILE")
    return Path(path).read_bytes() if path else DEFAULT_BODY


BODY = _body()
HEADERS = [
    (b"content-type", b"application/x-amz-json-1.0"),
    (b"x-amzn-requestid", b"00000000-0000-4000-8000-000000000000"),
    (b"content-length", str(len(BODY)).encode()),
]

Message = MutableMapping[str, Any]


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:  # read the request body, as a real server must
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
