"""Queries on environments and the run-time settle policy (deployments: deployments.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import environments, settle_policy

Row = dict[str, Any]


# -- environments ------------------------------------------------------------------------------------

_GET_ENVIRONMENT = Statement(
    lambda: select(environments).where(*scoped(environments), environments.c.name == bindparam("name"))
)
_INSERT_ENVIRONMENT = insert_row(environments)
_DELETE_ENVIRONMENT = Statement(
    lambda: environments.delete().where(*scoped(environments), environments.c.name == bindparam("name"))
)
_PAGE_ENVIRONMENTS = Statement(
    lambda: (
        select(environments)
        .where(*scoped(environments), CodePointOrder(environments.c.name) > bindparam("after"))
        .order_by(CodePointOrder(environments.c.name))
        .limit(bindparam("limit"))
    )
)
_ALL_ENVIRONMENTS = Statement(lambda: select(environments).where(*scoped(environments)))
_BY_CONNECTION = Statement(
    lambda: select(environments).where(environments.c.environment_account_connection_id == bindparam("connection_id"))
)
_BY_TEMPLATE = Statement(
    lambda: select(environments).where(
        *scoped(environments), environments.c.template_name == bindparam("template_name")
    )
)


def get_environment(tx: Tx, scope: Scope, name: str) -> Row | None:
    return tx.one(_GET_ENVIRONMENT, {**scope_params(scope), "name": name})


def insert_environment(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_ENVIRONMENT, values)


def update_environment(tx: Tx, scope: Scope, name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, environments, {**scope_params(scope), "name": name}, values)


def delete_environment(tx: Tx, scope: Scope, name: str) -> None:
    tx.run(_DELETE_ENVIRONMENT, {**scope_params(scope), "name": name})


def page_environments(tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
    return tx.all(_PAGE_ENVIRONMENTS, {**scope_params(scope), "after": after, "limit": limit})


def all_environments(tx: Tx, scope: Scope) -> list[Row]:
    """Every environment of the scope (bounded by the environment quota)."""
    return tx.all(_ALL_ENVIRONMENTS, scope_params(scope))


def environments_using_connection(tx: Tx, connection_id: str) -> list[Row]:
    return tx.all(_BY_CONNECTION, {"connection_id": connection_id})


def environments_of_template(tx: Tx, scope: Scope, template_name: str) -> list[Row]:
    return tx.all(_BY_TEMPLATE, {**scope_params(scope), "template_name": template_name})


# -- the settle policy -------------------------------------------------------------------------------

_POLICY_ID = 1
_GET_POLICY = Statement(lambda: select(settle_policy).where(settle_policy.c.id == _POLICY_ID))
_DELETE_POLICY = Statement(lambda: settle_policy.delete())
_INSERT_POLICY = insert_row(settle_policy)


def get_policy(tx: Tx) -> Row | None:
    return tx.one(_GET_POLICY, {})


def put_policy(tx: Tx, *, policy: str, delay_ms: int, message: str | None) -> None:
    tx.run(_DELETE_POLICY, {})
    tx.run(_INSERT_POLICY, {"id": _POLICY_ID, "policy": policy, "delay_ms": delay_ms, "message": message})


def clear_policy(tx: Tx) -> None:
    tx.run(_DELETE_POLICY, {})
