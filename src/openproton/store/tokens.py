"""Client tokens: which resource a token created, and a digest of the parameters it was sent with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .sql import Statement, Tx
from .tables import client_tokens as tokens


def _key() -> list:  # type: ignore[type-arg]
    return [
        tokens.c.account_id == bindparam("account_id"),
        tokens.c.region == bindparam("region"),
        tokens.c.operation == bindparam("operation"),
        tokens.c.token == bindparam("token"),
    ]


_GET = Statement(lambda: select(tokens).where(*_key(), tokens.c.created_at > bindparam("newer_than")))
_DELETE = Statement(lambda: tokens.delete().where(*_key()))
_INSERT = Statement(lambda: tokens.insert().values({column.name: bindparam(column.name) for column in tokens.c}))


def get(tx: Tx, scope: Scope, operation: str, token: str, *, newer_than: int) -> Mapping[str, Any] | None:
    key = {"account_id": scope.account_id, "region": scope.region, "operation": operation, "token": token}
    return tx.one(_GET, {**key, "newer_than": newer_than})


def put(tx: Tx, scope: Scope, operation: str, token: str, *, digest: str, resource_id: str, at: int) -> None:
    """Remember a token, replacing an expired entry of the same token."""
    key = {"account_id": scope.account_id, "region": scope.region, "operation": operation, "token": token}
    tx.run(_DELETE, key)
    tx.run(_INSERT, {**key, "parameters_digest": digest, "resource_id": resource_id, "created_at": at})
