"""Queries on resource tags, keyed by ARN and scoped to the owning account and region."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, select, text

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
# An upsert, the same SQL on SQLite and PostgreSQL: concurrent writers of one key cannot conflict on the primary
# key (a delete then an insert could: both delete nothing, both insert, one fails).
_UPSERT = Statement(
    lambda: text(
        "INSERT INTO resource_tags (resource_arn, key, value, account_id, region) "
        "VALUES (:resource_arn, :key, :value, :account_id, :region) "
        "ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value"
    )
)


def _scope(scope: Scope, resource_arn: str) -> dict[str, str]:
    return {"arn": resource_arn, "account": scope.account_id, "region": scope.region}


def get(tx: Tx, scope: Scope, resource_arn: str) -> dict[str, str]:
    return {row["key"]: row["value"] for row in tx.all(_GET, _scope(scope, resource_arn))}


def put(tx: Tx, scope: Scope, resource_arn: str, new: Mapping[str, str]) -> None:
    """Set these keys, replacing the values of keys already present."""
    if not new:
        return
    # Keys in one order for every writer, so two writers of overlapping keys lock rows in the same order and
    # cannot deadlock.
    tx.run_many(
        _UPSERT,
        [
            {
                "resource_arn": resource_arn,
                "key": key,
                "value": new[key],
                "account_id": scope.account_id,
                "region": scope.region,
            }
            for key in sorted(new)
        ],
    )


def remove(tx: Tx, scope: Scope, resource_arn: str, keys: list[str]) -> None:
    if keys:
        tx.run_many(_REMOVE_KEY, [{**_scope(scope, resource_arn), "key": key} for key in keys])


def remove_all(tx: Tx, scope: Scope, resource_arn: str) -> None:
    tx.run(_REMOVE_ALL, _scope(scope, resource_arn))
