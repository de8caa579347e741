"""Queries on service sync configs, scoped to the owning account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import service_sync_configs as configs

Row = dict[str, Any]

_GET = Statement(lambda: select(configs).where(*scoped(configs), configs.c.service_name == bindparam("service_name")))
_INSERT = insert_row(configs)
_DELETE = Statement(
    lambda: configs.delete().where(*scoped(configs), configs.c.service_name == bindparam("service_name"))
)
_OF_REPOSITORY = Statement(
    lambda: (
        select(configs)
        .where(
            *scoped(configs),
            configs.c.repository_provider == bindparam("provider"),
            configs.c.repository_name == bindparam("name"),
        )
        .order_by(CodePointOrder(configs.c.service_name))
    )
)


def get(tx: Tx, scope: Scope, service_name: str) -> Row | None:
    return tx.one(_GET, {**scope_params(scope), "service_name": service_name})


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def update(tx: Tx, scope: Scope, service_name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, configs, {**scope_params(scope), "service_name": service_name}, values)


def delete(tx: Tx, scope: Scope, service_name: str) -> None:
    tx.run(_DELETE, {**scope_params(scope), "service_name": service_name})


def of_repository(tx: Tx, scope: Scope, provider: str, name: str) -> list[Row]:
    """The configs that sync from a link, by service name."""
    return tx.all(_OF_REPOSITORY, {**scope_params(scope), "provider": provider, "name": name})
