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


_INT64 = range(-(2**63), 2**63)


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return type(value) is int and value in _INT64
    return type(value) is kind


def decode(token: str | None, query: str, kinds: tuple[type, ...]) -> list[Any] | None:
    """The position a token points after, or None for the first page.

    Tokens are not signed, so a client can edit one: the position must have exactly the expected kinds
    (`kinds`, one per key column) or the token is refused like any other invalid one.
    """
    if token is None:
        return None
    try:
        data = orjson.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ValidationException(INVALID_TOKEN_MESSAGE) from None
    position = data.get("p") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("q") != query
        or not isinstance(position, list)
        or len(position) != len(kinds)
        or not all(_fits(value, kind) for value, kind in zip(position, kinds, strict=True))
    ):
        raise ValidationException(INVALID_TOKEN_MESSAGE)
    return position


def page_size(params: dict[str, Any]) -> int:
    # [decided] W-3: no maxResults means the model's maximum.
    return params.get("maxResults") or DEFAULT_MAX_RESULTS
