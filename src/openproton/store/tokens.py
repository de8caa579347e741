"""Client tokens: which resource a token created, and a digest of the parameters it was sent with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select

from .database import Scope
from .tables import client_tokens as tokens


def get(
    connection: Connection, scope: Scope, operation: str, token: str, *, newer_than: int
) -> Mapping[str, Any] | None:
    query = select(tokens).where(
        tokens.c.account_id == scope.account_id,
        tokens.c.region == scope.region,
        tokens.c.operation == operation,
        tokens.c.token == token,
        tokens.c.created_at > newer_than,
    )
    row = connection.execute(query).first()
    return row._mapping if row is not None else None


def put(
    connection: Connection, scope: Scope, operation: str, token: str, *, digest: str, resource_id: str, at: int
) -> None:
    """Remember a token, replacing an expired entry of the same token."""
    key = (
        (tokens.c.account_id == scope.account_id)
        & (tokens.c.region == scope.region)
        & (tokens.c.operation == operation)
        & (tokens.c.token == token)
    )
    connection.execute(delete(tokens).where(key))
    connection.execute(
        tokens.insert().values(
            account_id=scope.account_id,
            region=scope.region,
            operation=operation,
            token=token,
            parameters_digest=digest,
            resource_id=resource_id,
            created_at=at,
        )
    )
