"""Queries on sync blockers, scoped to the owning account and region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, or_, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import sync_blockers as blockers

Row = dict[str, Any]


def _target() -> list[Any]:
    # A service's own blockers have no instance: `instance IS NULL` when the parameter is null.
    instance = blockers.c.service_instance_name
    given = bindparam("instance")
    return [
        *scoped(blockers),
        blockers.c.service_name == bindparam("service"),
        or_(instance == given, (instance.is_(None)) & (given.is_(None))),
    ]


_OF_TARGET = Statement(
    lambda: (
        select(blockers)
        .where(*_target(), blockers.c.status == bindparam("status"))
        .order_by(blockers.c.created_at.desc(), blockers.c.resolved_at.desc(), blockers.c.id)
        .limit(bindparam("limit"))
    )
)
_OF_SERVICE = Statement(
    lambda: (
        select(blockers)
        .where(*scoped(blockers), blockers.c.service_name == bindparam("service"), blockers.c.status == "ACTIVE")
        .order_by(blockers.c.created_at, blockers.c.id)
    )
)
_GET = Statement(lambda: select(blockers).where(*scoped(blockers), blockers.c.id == bindparam("id")))
_INSERT = insert_row(blockers)
_DELETE_OF_SERVICE = Statement(
    lambda: blockers.delete().where(*scoped(blockers), blockers.c.service_name == bindparam("service"))
)


def _params(scope: Scope, service: str, instance: str | None) -> dict[str, Any]:
    return {**scope_params(scope), "service": service, "instance": instance}


def active(tx: Tx, scope: Scope, service: str, instance: str | None) -> Row | None:
    """The ACTIVE blocker on the service (instance None) or on that instance."""
    found = tx.all(_OF_TARGET, {**_params(scope, service, instance), "status": "ACTIVE", "limit": 1})
    return found[0] if found else None


def resolved(tx: Tx, scope: Scope, service: str, instance: str | None, limit: int) -> list[Row]:
    """The target's RESOLVED blockers, newest first."""
    rows = tx.all(_OF_TARGET, {**_params(scope, service, instance), "status": "RESOLVED", "limit": 1000})
    return sorted(rows, key=lambda row: (row["resolved_at"] or 0, row["created_at"]), reverse=True)[:limit]


def active_of_service(tx: Tx, scope: Scope, service: str) -> list[Row]:
    """Every ACTIVE blocker of a service and its instances, oldest first (the console's service page)."""
    return tx.all(_OF_SERVICE, {**scope_params(scope), "service": service})


def get(tx: Tx, scope: Scope, blocker_id: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "id": blocker_id})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def resolve(tx: Tx, scope: Scope, blocker_id: str, values: Mapping[str, Any]) -> None:
    update_row(tx, blockers, {**scope_params(scope), "id": blocker_id}, values)


def delete_of_service(tx: Tx, scope: Scope, service: str) -> None:
    tx.run(_DELETE_OF_SERVICE, {**scope_params(scope), "service": service})
