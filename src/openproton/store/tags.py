"""Queries on resource tags, keyed by ARN and scoped to the owning account and region."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, delete, select

from .database import Scope
from .tables import resource_tags as tags


def get(connection: Connection, scope: Scope, resource_arn: str) -> dict[str, str]:
    query = (
        select(tags.c.key, tags.c.value)
        .where(
            tags.c.resource_arn == resource_arn, tags.c.account_id == scope.account_id, tags.c.region == scope.region
        )
        .order_by(tags.c.key)
    )
    return {key: value for key, value in connection.execute(query)}


def put(connection: Connection, scope: Scope, resource_arn: str, new: Mapping[str, str]) -> None:
    """Set these keys, replacing the values of keys already present."""
    if not new:
        return
    remove(connection, scope, resource_arn, list(new))
    connection.execute(
        tags.insert(),
        [
            {
                "resource_arn": resource_arn,
                "key": key,
                "value": value,
                "account_id": scope.account_id,
                "region": scope.region,
            }
            for key, value in new.items()
        ],
    )


def remove(connection: Connection, scope: Scope, resource_arn: str, keys: list[str]) -> None:
    if not keys:
        return
    connection.execute(
        delete(tags).where(
            tags.c.resource_arn == resource_arn,
            tags.c.account_id == scope.account_id,
            tags.c.region == scope.region,
            tags.c.key.in_(keys),
        )
    )


def remove_all(connection: Connection, scope: Scope, resource_arn: str) -> None:
    connection.execute(
        delete(tags).where(
            tags.c.resource_arn == resource_arn, tags.c.account_id == scope.account_id, tags.c.region == scope.region
        )
    )
