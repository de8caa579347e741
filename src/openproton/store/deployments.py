"""Queries on deployments of every target type, and on the rows of the targets they change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, or_, select, tuple_

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import deployments

Row = dict[str, Any]

# The statuses of a deployment that has not ended.
UNDER_WAY = ("IN_PROGRESS", "CANCELLING", "DELETE_IN_PROGRESS")

# The members ListDeployments filters on, each a column of the deployment (S-26).
FILTER_COLUMNS = ("environment_name", "service_name", "service_instance_name", "component_name")


_GET = Statement(lambda: select(deployments).where(*scoped(deployments), deployments.c.id == bindparam("id")))
_FIND = Statement(lambda: select(deployments).where(deployments.c.id == bindparam("id")))
_INSERT = insert_row(deployments)
_DELETE = Statement(lambda: deployments.delete().where(deployments.c.id == bindparam("id")))
_UNDER_WAY = Statement(
    lambda: (
        select(deployments)
        .where(
            deployments.c.status.in_([bindparam(f"status_{i}") for i in range(len(UNDER_WAY))]),
            # Those that have not ended as of now (ended ones may keep their stored status until a write).
            or_(deployments.c.outcome.is_(None), deployments.c.settles_at > bindparam("now")),
        )
        .order_by(deployments.c.created_at, deployments.c.id)
        .limit(bindparam("limit"))
    )
)
_pages: dict[tuple[tuple[str, ...], bool], Statement] = {}


def _page_statement(filters: tuple[str, ...], before: bool) -> Statement:
    def build() -> Any:
        query = select(deployments).where(*scoped(deployments))
        for column in filters:
            # A deployment of the resource of that name now: not of an earlier one of the same name.
            query = query.where(
                deployments.c[column] == bindparam(column), deployments.c.created_at >= bindparam(f"{column}_since")
            )
        if before:
            query = query.where(
                tuple_(deployments.c.created_at, deployments.c.id)
                < tuple_(bindparam("before_at"), bindparam("before_id"))
            )
        return query.order_by(deployments.c.created_at.desc(), deployments.c.id.desc()).limit(bindparam("limit"))

    return Statement(build)


def get(tx: Tx, scope: Scope, deployment_id: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "id": deployment_id})


def find(tx: Tx, deployment_id: str) -> Row | None:
    """A deployment in any account and region (administrative)."""
    return tx.one(_FIND, {"id": deployment_id})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def update(tx: Tx, deployment_id: str, values: Mapping[str, Any]) -> None:
    update_row(tx, deployments, {"id": deployment_id}, values)


def delete(tx: Tx, deployment_id: str) -> None:
    tx.run(_DELETE, {"id": deployment_id})


def page(
    tx: Tx, scope: Scope, *, filters: Mapping[str, tuple[str, int]], before: tuple[int, str] | None, limit: int
) -> list[Row]:
    """Newest first, before a position; keyset paging costs O(limit).

    `filters`: column -> (the name it must equal, the creation time of the resource of that name now)."""
    columns = tuple(column for column in FILTER_COLUMNS if column in filters)
    key = (columns, before is not None)
    statement = _pages.get(key)
    if statement is None:
        statement = _pages[key] = _page_statement(*key)
    params: dict[str, Any] = {**scope_params(scope), "limit": limit}
    for column in columns:
        params[column], params[f"{column}_since"] = filters[column]
    if before is not None:
        params["before_at"], params["before_id"] = before
    return tx.all(statement, params)


def under_way(tx: Tx, *, now_ms: int, limit: int) -> list[Row]:
    """Unfinished deployments in every account and region, oldest first (administrative)."""
    statuses = {f"status_{i}": s for i, s in enumerate(UNDER_WAY)}
    return tx.all(_UNDER_WAY, {**statuses, "now": now_ms, "limit": limit})


# -- the rows deployments change (environments, service instances, pipelines), by their table's key ---------

_TARGET_GETS: dict[tuple[str, tuple[str, ...]], Statement] = {}
_TARGET_DELETES: dict[tuple[str, tuple[str, ...]], Statement] = {}


def _keyed(cache: dict[tuple[str, tuple[str, ...]], Statement], table: Table, key: Sequence[str], delete: bool) -> Any:
    names = tuple(key)
    statement = cache.get((table.name, names))
    if statement is None:
        where = [table.c[name] == bindparam(name) for name in names]
        statement = cache[table.name, names] = Statement(
            (lambda: table.delete().where(*where)) if delete else (lambda: select(table).where(*where))
        )
    return statement


def get_target(tx: Tx, table: Table, key: Mapping[str, Any]) -> Row | None:
    return tx.one(_keyed(_TARGET_GETS, table, list(key), False), key)


def update_target(tx: Tx, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    update_row(tx, table, key, values)


def delete_target(tx: Tx, table: Table, key: Mapping[str, Any]) -> None:
    tx.run(_keyed(_TARGET_DELETES, table, list(key), True), key)
