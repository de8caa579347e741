"""Opaque page tokens: standard base64 of the last position, bound to the query that made it (wire.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import orjson

from openproton.decided import DEFAULT_MAX_RESULTS

from .errors import ValidationException

# [decided] W-8: the wording for a token that cannot be used.
INVALID_TOKEN_MESSAGE = "The nextToken is not valid for this request."


def query_key(*parts: Any) -> str:
    """A short digest of everything that defines a query, so a token cannot be replayed on another one."""
    return hashlib.blake2b(orjson.dumps(parts), digest_size=8).hexdigest()


def encode(query: str, position: list[Any]) -> str:
    # Keyset positions differ on every page, so a token never repeats: botocore's paginator raises on
    # a repeated token and the JS paginators would loop.
    return base64.b64encode(orjson.dumps({"q": query, "p": position})).decode("ascii")


def decode(token: str | None, query: str) -> list[Any] | None:
    """The position a token points after, or None for the first page."""
    if token is None:
        return None
    try:
        data = orjson.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ValidationException(INVALID_TOKEN_MESSAGE) from None
    if not isinstance(data, dict) or data.get("q") != query or not isinstance(data.get("p"), list):
        raise ValidationException(INVALID_TOKEN_MESSAGE)
    return data["p"]


def page_size(params: dict[str, Any]) -> int:
    # [decided] W-3: no maxResults means the model's maximum.
    return params.get("maxResults") or DEFAULT_MAX_RESULTS
