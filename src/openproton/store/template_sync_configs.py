"""Queries on template sync configs, scoped to the owning account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import template_sync_configs as configs

Row = dict[str, Any]


def _key() -> list[Any]:
    return [
        configs.c.template_type == bindparam("template_type"),
        configs.c.template_name == bindparam("template_name"),
    ]


_GET = Statement(lambda: select(configs).where(*scoped(configs), *_key()))
_INSERT = insert_row(configs)
_DELETE = Statement(lambda: configs.delete().where(*scoped(configs), *_key()))
_OF_REPOSITORY = Statement(
    lambda: (
        select(configs)
        .where(
            *scoped(configs),
            configs.c.repository_provider == bindparam("provider"),
            configs.c.repository_name == bindparam("name"),
        )
        .order_by(configs.c.template_type, CodePointOrder(configs.c.template_name))
    )
)


def _params(scope: Scope, template_type: str, template_name: str) -> dict[str, str]:
    return {**scope_params(scope), "template_type": template_type, "template_name": template_name}


def get(tx: Tx, scope: Scope, template_type: str, template_name: str) -> Row | None:
    return tx.one(_GET, _params(scope, template_type, template_name))


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def update(tx: Tx, scope: Scope, template_type: str, template_name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, configs, _params(scope, template_type, template_name), values)


def delete(tx: Tx, scope: Scope, template_type: str, template_name: str) -> None:
    tx.run(_DELETE, _params(scope, template_type, template_name))


def of_repository(tx: Tx, scope: Scope, provider: str, name: str) -> list[Row]:
    """The configs that sync from a link, by template type, then name."""
    return tx.all(_OF_REPOSITORY, {**scope_params(scope), "provider": provider, "name": name})
