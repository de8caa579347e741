"""Queries on environments, their deployments and the run-time settle policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, bindparam, or_, select, tuple_

from .database import Scope
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import deployments, environments, settle_policy

Row = dict[str, Any]

# The statuses of a deployment that has not ended.
UNDER_WAY = ("IN_PROGRESS", "CANCELLING", "DELETE_IN_PROGRESS")


def _scoped(table: Table) -> list[Any]:
    return [table.c.account_id == bindparam("account_id"), table.c.region == bindparam("region")]


def _scope(scope: Scope) -> dict[str, str]:
    return {"account_id": scope.account_id, "region": scope.region}


def _insert(table: Table) -> Statement:
    return Statement(lambda: table.insert().values({c.name: bindparam(c.name) for c in table.c}))


# -- environments ------------------------------------------------------------------------------------

_GET_ENVIRONMENT = Statement(
    lambda: select(environments).where(*_scoped(environments), environments.c.name == bindparam("name"))
)
_INSERT_ENVIRONMENT = _insert(environments)
_DELETE_ENVIRONMENT = Statement(
    lambda: environments.delete().where(*_scoped(environments), environments.c.name == bindparam("name"))
)
_PAGE_ENVIRONMENTS = Statement(
    lambda: (
        select(environments)
        .where(*_scoped(environments), CodePointOrder(environments.c.name) > bindparam("after"))
        .order_by(CodePointOrder(environments.c.name))
        .limit(bindparam("limit"))
    )
)
_ALL_ENVIRONMENTS = Statement(lambda: select(environments).where(*_scoped(environments)))
_BY_CONNECTION = Statement(
    lambda: select(environments).where(environments.c.environment_account_connection_id == bindparam("connection_id"))
)
_BY_TEMPLATE = Statement(
    lambda: select(environments).where(
        *_scoped(environments), environments.c.template_name == bindparam("template_name")
    )
)


def get_environment(tx: Tx, scope: Scope, name: str) -> Row | None:
    return tx.one(_GET_ENVIRONMENT, {**_scope(scope), "name": name})


def insert_environment(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_ENVIRONMENT, values)


def update_environment(tx: Tx, scope: Scope, name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, environments, {**_scope(scope), "name": name}, values)


def delete_environment(tx: Tx, scope: Scope, name: str) -> None:
    tx.run(_DELETE_ENVIRONMENT, {**_scope(scope), "name": name})


def page_environments(tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
    return tx.all(_PAGE_ENVIRONMENTS, {**_scope(scope), "after": after, "limit": limit})


def all_environments(tx: Tx, scope: Scope) -> list[Row]:
    """Every environment of the scope (bounded by the environment quota)."""
    return tx.all(_ALL_ENVIRONMENTS, _scope(scope))


def environments_using_connection(tx: Tx, connection_id: str) -> list[Row]:
    return tx.all(_BY_CONNECTION, {"connection_id": connection_id})


def environments_of_template(tx: Tx, scope: Scope, template_name: str) -> list[Row]:
    return tx.all(_BY_TEMPLATE, {**_scope(scope), "template_name": template_name})


# -- deployments -------------------------------------------------------------------------------------

_GET_DEPLOYMENT = Statement(
    lambda: select(deployments).where(*_scoped(deployments), deployments.c.id == bindparam("id"))
)
_FIND_DEPLOYMENT = Statement(lambda: select(deployments).where(deployments.c.id == bindparam("id")))
_INSERT_DEPLOYMENT = _insert(deployments)
_DELETE_DEPLOYMENT = Statement(lambda: deployments.delete().where(deployments.c.id == bindparam("id")))
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
_pages: dict[tuple[bool, bool], Statement] = {}


def _page_statement(named: bool, before: bool) -> Statement:
    def build() -> Any:
        query = select(deployments).where(*_scoped(deployments))
        if named:
            query = query.where(
                deployments.c.environment_name == bindparam("environment_name"),
                deployments.c.target_resource_created_at == bindparam("created_at"),
            )
        if before:
            query = query.where(
                tuple_(deployments.c.created_at, deployments.c.id)
                < tuple_(bindparam("before_at"), bindparam("before_id"))
            )
        return query.order_by(deployments.c.created_at.desc(), deployments.c.id.desc()).limit(bindparam("limit"))

    return Statement(build)


def get_deployment(tx: Tx, scope: Scope, deployment_id: str) -> Row | None:
    return tx.one(_GET_DEPLOYMENT, {**_scope(scope), "id": deployment_id})


def find_deployment(tx: Tx, deployment_id: str) -> Row | None:
    """A deployment in any account and region (administrative)."""
    return tx.one(_FIND_DEPLOYMENT, {"id": deployment_id})


def insert_deployment(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_DEPLOYMENT, values)


def update_deployment(tx: Tx, deployment_id: str, values: Mapping[str, Any]) -> None:
    update_row(tx, deployments, {"id": deployment_id}, values)


def delete_deployment(tx: Tx, deployment_id: str) -> None:
    tx.run(_DELETE_DEPLOYMENT, {"id": deployment_id})


def page_deployments(
    tx: Tx, scope: Scope, *, environment: tuple[str, int] | None, before: tuple[int, str] | None, limit: int
) -> list[Row]:
    """Newest first, before a position; keyset paging costs O(limit). `environment`: (name, created_at)."""
    key = (environment is not None, before is not None)
    statement = _pages.get(key)
    if statement is None:
        statement = _pages[key] = _page_statement(*key)
    params: dict[str, Any] = {**_scope(scope), "limit": limit}
    if environment is not None:
        params["environment_name"], params["created_at"] = environment
    if before is not None:
        params["before_at"], params["before_id"] = before
    return tx.all(statement, params)


def deployments_under_way(tx: Tx, *, now_ms: int, limit: int) -> list[Row]:
    """Unfinished deployments in every account and region, oldest first (administrative)."""
    statuses = {f"status_{i}": s for i, s in enumerate(UNDER_WAY)}
    return tx.all(_UNDER_WAY, {**statuses, "now": now_ms, "limit": limit})


# -- the settle policy -------------------------------------------------------------------------------

_POLICY_ID = 1
_GET_POLICY = Statement(lambda: select(settle_policy).where(settle_policy.c.id == _POLICY_ID))
_DELETE_POLICY = Statement(lambda: settle_policy.delete())
_INSERT_POLICY = _insert(settle_policy)


def get_policy(tx: Tx) -> Row | None:
    return tx.one(_GET_POLICY, {})


def put_policy(tx: Tx, *, policy: str, delay_ms: int, message: str | None) -> None:
    tx.run(_DELETE_POLICY, {})
    tx.run(_INSERT_POLICY, {"id": _POLICY_ID, "policy": policy, "delay_ms": delay_ms, "message": message})


def clear_policy(tx: Tx) -> None:
    tx.run(_DELETE_POLICY, {})
