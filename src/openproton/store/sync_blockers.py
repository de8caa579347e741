"""Queries on sync blockers, scoped to the owning account and region.

A target is a service (`instance` None: the service's own blockers, whose `service_instance_name` is NULL) or one
of its instances. Each target has two queries, one for each case, rather than one `= :instance OR IS NULL` that
PostgreSQL cannot type when the parameter is null and that no index serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import sync_blockers as blockers

Row = dict[str, Any]

ACTIVE, RESOLVED = "ACTIVE", "RESOLVED"


def _of_target(*, instance: bool) -> list[Any]:
    column = blockers.c.service_instance_name
    return [
        *scoped(blockers),
        blockers.c.service_name == bindparam("service"),
        column == bindparam("instance") if instance else column.is_(None),
    ]


def _newest(*, instance: bool) -> Statement:
    # Newest first. The rule that raises blockers keeps a target's createdAt strictly increasing, so the order is
    # total within a target; the id only breaks ties in rows written some other way (an import).
    return Statement(
        lambda: (
            select(blockers)
            .where(*_of_target(instance=instance), blockers.c.status == bindparam("status"))
            .order_by(blockers.c.created_at.desc(), blockers.c.id.desc())
            .limit(bindparam("limit"))
        )
    )


def _last(*, instance: bool) -> Statement:
    return Statement(
        lambda: (
            select(blockers)
            .where(*_of_target(instance=instance))
            .order_by(blockers.c.created_at.desc(), blockers.c.id.desc())
            .limit(1)
        )
    )


_NEWEST = {False: _newest(instance=False), True: _newest(instance=True)}
_LAST = {False: _last(instance=False), True: _last(instance=True)}
_GET = Statement(lambda: select(blockers).where(*scoped(blockers), blockers.c.id == bindparam("id")))
_INSERT = insert_row(blockers)
_DELETE_OF_SERVICE = Statement(
    lambda: blockers.delete().where(*scoped(blockers), blockers.c.service_name == bindparam("service"))
)


def _target(scope: Scope, service: str, instance: str | None) -> dict[str, Any]:
    return {**scope_params(scope), "service": service, "instance": instance}


def _with_status(tx: Tx, scope: Scope, service: str, instance: str | None, status: str, limit: int) -> list[Row]:
    params = {**_target(scope, service, instance), "status": status, "limit": limit}
    return tx.all(_NEWEST[instance is not None], params)


def active(tx: Tx, scope: Scope, service: str, instance: str | None) -> Row | None:
    """The ACTIVE blocker on the service (`instance` None) or on that instance of it, if any."""
    found = _with_status(tx, scope, service, instance, ACTIVE, 1)
    return found[0] if found else None


def latest(tx: Tx, scope: Scope, service: str, instance: str | None, limit: int) -> list[Row]:
    """The target's RESOLVED blockers, newest first, at most `limit`."""
    return _with_status(tx, scope, service, instance, RESOLVED, limit)


def last(tx: Tx, scope: Scope, service: str, instance: str | None) -> Row | None:
    """The target's newest blocker, in any status."""
    return tx.one(_LAST[instance is not None], _target(scope, service, instance))


def get(tx: Tx, scope: Scope, blocker_id: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "id": blocker_id})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def resolve(tx: Tx, scope: Scope, blocker_id: str, resolved_reason: str, resolved_at: int) -> None:
    update_row(
        tx,
        blockers,
        {**scope_params(scope), "id": blocker_id},
        {"status": RESOLVED, "resolved_reason": resolved_reason, "resolved_at": resolved_at},
    )


def delete_of_service(tx: Tx, scope: Scope, service: str) -> None:
    """Every blocker of the service and of its instances."""
    tx.run(_DELETE_OF_SERVICE, {**scope_params(scope), "service": service})
