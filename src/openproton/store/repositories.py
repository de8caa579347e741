"""Queries on repository links, scoped to the linking account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, tuple_

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx
from .tables import repositories

Row = dict[str, Any]


def _key() -> list[Any]:
    return [repositories.c.provider == bindparam("provider"), repositories.c.name == bindparam("name")]


_GET = Statement(lambda: select(repositories).where(*scoped(repositories), *_key()))
_INSERT = insert_row(repositories)
_DELETE = Statement(lambda: repositories.delete().where(*scoped(repositories), *_key()))
# By name, then provider: the order ListRepositories answers in ([decided] Y-3's neighbour in the spec).
_ORDER = (CodePointOrder(repositories.c.name), CodePointOrder(repositories.c.provider))
_PAGE = Statement(
    lambda: (
        select(repositories)
        .where(
            *scoped(repositories),
            tuple_(*_ORDER) > tuple_(bindparam("after_name"), bindparam("after_provider")),
        )
        .order_by(*_ORDER)
        .limit(bindparam("limit"))
    )
)


def get(tx: Tx, scope: Scope, provider: str, name: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "provider": provider, "name": name})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def delete(tx: Tx, scope: Scope, provider: str, name: str) -> None:
    tx.run(_DELETE, {**scope_params(scope), "provider": provider, "name": name})


def page(tx: Tx, scope: Scope, *, after: tuple[str, str], limit: int) -> list[Row]:
    """Links after (name, provider), by name then provider; keyset paging costs O(limit)."""
    params = {**scope_params(scope), "after_name": after[0], "after_provider": after[1], "limit": limit}
    return tx.all(_PAGE, params)
