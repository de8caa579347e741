"""Queries on resource tags, keyed by ARN and scoped to the owning account and region."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, select

from .database import Scope
from .sql import Statement, Tx
from .tables import resource_tags as tags


def _owned() -> list:  # type: ignore[type-arg]
    return [
        tags.c.resource_arn == bindparam("arn"),
        tags.c.account_id == bindparam("account"),
        tags.c.region == bindparam("region"),
    ]


_GET = Statement(lambda: select(tags.c.key, tags.c.value).where(*_owned()).order_by(tags.c.key))
_REMOVE_KEY = Statement(lambda: tags.delete().where(*_owned(), tags.c.key == bindparam("key")))
_REMOVE_ALL = Statement(lambda: tags.delete().where(*_owned()))
_INSERT = Statement(lambda: tags.insert().values({column.name: bindparam(column.name) for column in tags.c}))


def _scope(scope: Scope, resource_arn: str) -> dict[str, str]:
    return {"arn": resource_arn, "account": scope.account_id, "region": scope.region}


def get(tx: Tx, scope: Scope, resource_arn: str) -> dict[str, str]:
    return {row["key"]: row["value"] for row in tx.all(_GET, _scope(scope, resource_arn))}


def put(tx: Tx, scope: Scope, resource_arn: str, new: Mapping[str, str]) -> None:
    """Set these keys, replacing the values of keys already present."""
    if not new:
        return
    remove(tx, scope, resource_arn, list(new))
    tx.run_many(
        _INSERT,
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


def remove(tx: Tx, scope: Scope, resource_arn: str, keys: list[str]) -> None:
    if keys:
        tx.run_many(_REMOVE_KEY, [{**_scope(scope, resource_arn), "key": key} for key in keys])


def remove_all(tx: Tx, scope: Scope, resource_arn: str) -> None:
    tx.run(_REMOVE_ALL, _scope(scope, resource_arn))
