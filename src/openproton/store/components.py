"""Queries on components, scoped to the owning (management) account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import components

Row = dict[str, Any]

_GET = Statement(lambda: select(components).where(*scoped(components), components.c.name == bindparam("name")))
_INSERT = insert_row(components)
_PAGE = Statement(
    lambda: (
        select(components)
        .where(*scoped(components), CodePointOrder(components.c.name) > bindparam("after"))
        .order_by(CodePointOrder(components.c.name))
        .limit(bindparam("limit"))
    )
)
_IN_ENVIRONMENT = Statement(
    lambda: (
        select(components)
        .where(*scoped(components), components.c.environment_name == bindparam("environment_name"))
        .order_by(CodePointOrder(components.c.name))
    )
)
_COUNT = Statement(lambda: select(func.count()).select_from(components).where(*scoped(components)))
_ALL = Statement(lambda: select(components).where(*scoped(components)))


def get(tx: Tx, scope: Scope, name: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "name": name})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def update(tx: Tx, scope: Scope, name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, components, {**scope_params(scope), "name": name}, values)


def page(tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
    """By name (code point order), after a name; keyset paging costs O(limit)."""
    return tx.all(_PAGE, {**scope_params(scope), "after": after, "limit": limit})


def in_environment(tx: Tx, scope: Scope, environment_name: str) -> list[Row]:
    """The environment's components, attached or not, by name (at most the component quota)."""
    return tx.all(_IN_ENVIRONMENT, {**scope_params(scope), "environment_name": environment_name})


def count(tx: Tx, scope: Scope) -> int:
    return int(tx.scalar(_COUNT, scope_params(scope)))


def all_in_scope(tx: Tx, scope: Scope) -> list[Row]:
    return tx.all(_ALL, scope_params(scope))
