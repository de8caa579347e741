"""Client tokens [doc]: a retry with the same token and parameters returns what the first call made."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from openproton.store import tokens

from .call import Call
from .errors import ValidationException


def digest(params: dict[str, Any]) -> str:
    """The parameters a token was sent with, without the token itself."""
    body = {key: value for key, value in params.items() if key != "clientToken"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class ClientTokens:
    def __init__(self, ttl_seconds: int) -> None:
        self.ttl_ms = ttl_seconds * 1000

    def replay(self, call: Call, params: dict[str, Any]) -> str | None:
        """The resource a live token created, or None; a token reused with other parameters is an error."""
        token = params.get("clientToken")
        if not token:
            return None
        entry = tokens.get(call.tx, call.scope, call.context.operation, token, newer_than=call.now_ms - self.ttl_ms)
        if entry is None:
            return None
        if entry["parameters_digest"] != digest(params):
            raise ValidationException(
                f"The client token {token} was already used with different parameters (idempotent parameter mismatch)."
            )
        return str(entry["resource_id"])

    def remember(self, call: Call, params: dict[str, Any], resource_id: str) -> None:
        token = params.get("clientToken")
        if token:
            tokens.put(
                call.tx,
                call.scope,
                call.context.operation,
                token,
                digest=digest(params),
                resource_id=resource_id,
                at=call.now_ms,
            )
