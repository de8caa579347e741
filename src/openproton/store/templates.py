"""Queries on environment templates and their versions, scoped to the owning account and region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select

from .database import Scope
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import environment_template_versions as versions
from .tables import environment_templates as templates

Row = dict[str, Any]


def _scoped(table: Any) -> list[Any]:
    return [table.c.account_id == bindparam("account_id"), table.c.region == bindparam("region")]


def _scope(scope: Scope) -> dict[str, str]:
    return {"account_id": scope.account_id, "region": scope.region}


_GET_TEMPLATE = Statement(lambda: select(templates).where(*_scoped(templates), templates.c.name == bindparam("name")))
_INSERT_TEMPLATE = Statement(lambda: templates.insert().values({c.name: bindparam(c.name) for c in templates.c}))
_UPDATE_TEMPLATE = Statement(
    lambda: (
        templates.update()
        .where(*_scoped(templates), templates.c.name == bindparam("key_name"))
        .values(
            display_name=bindparam("display_name"),
            description=bindparam("description"),
            last_modified_at=bindparam("last_modified_at"),
        )
    )
)
_DELETE_TEMPLATE = Statement(
    lambda: templates.delete().where(*_scoped(templates), templates.c.name == bindparam("name"))
)
_PAGE_TEMPLATES = Statement(
    lambda: (
        select(templates)
        .where(*_scoped(templates), CodePointOrder(templates.c.name) > bindparam("after"))
        .order_by(CodePointOrder(templates.c.name))
        .limit(bindparam("limit"))
    )
)

_VERSION_KEY = [
    versions.c.template_name == bindparam("template_name"),
    versions.c.major_version == bindparam("major_version"),
    versions.c.minor_version == bindparam("minor_version"),
]
_GET_VERSION = Statement(lambda: select(versions).where(*_scoped(versions), *_VERSION_KEY))
_INSERT_VERSION = Statement(lambda: versions.insert().values({c.name: bindparam(c.name) for c in versions.c}))
_DELETE_VERSION = Statement(lambda: versions.delete().where(*_scoped(versions), *_VERSION_KEY))
_COUNT_VERSIONS = Statement(
    lambda: (
        select(func.count())
        .select_from(versions)
        .where(*_scoped(versions), versions.c.template_name == bindparam("template_name"))
    )
)
_ALL_VERSIONS = Statement(
    lambda: (
        select(versions)
        .where(*_scoped(versions), versions.c.template_name == bindparam("template_name"))
        .order_by(versions.c.major_version, versions.c.minor_version)
    )
)


def get_template(tx: Tx, scope: Scope, name: str) -> Row | None:
    return tx.one(_GET_TEMPLATE, {**_scope(scope), "name": name})


def insert_template(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_TEMPLATE, values)


def update_template(
    tx: Tx, scope: Scope, name: str, *, display_name: str | None, description: str | None, at: int
) -> None:
    tx.run(
        _UPDATE_TEMPLATE,
        {
            **_scope(scope),
            "key_name": name,
            "display_name": display_name,
            "description": description,
            "last_modified_at": at,
        },
    )


def delete_template(tx: Tx, scope: Scope, name: str) -> None:
    tx.run(_DELETE_TEMPLATE, {**_scope(scope), "name": name})


def page_templates(tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
    return tx.all(_PAGE_TEMPLATES, {**_scope(scope), "after": after, "limit": limit})


def get_version(tx: Tx, scope: Scope, template_name: str, major: int, minor: int) -> Row | None:
    return tx.one(
        _GET_VERSION, {**_scope(scope), "template_name": template_name, "major_version": major, "minor_version": minor}
    )


def all_versions(tx: Tx, scope: Scope, template_name: str) -> list[Row]:
    """Every version of a template in (major, minor) order (a template has few)."""
    return tx.all(_ALL_VERSIONS, {**_scope(scope), "template_name": template_name})


def count_versions(tx: Tx, scope: Scope, template_name: str) -> int:
    return int(tx.scalar(_COUNT_VERSIONS, {**_scope(scope), "template_name": template_name}))


def insert_version(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_VERSION, values)


def update_version(tx: Tx, scope: Scope, template_name: str, major: int, minor: int, values: Mapping[str, Any]) -> None:
    key = {**_scope(scope), "template_name": template_name, "major_version": major, "minor_version": minor}
    update_row(tx, versions, key, values)


def delete_version(tx: Tx, scope: Scope, template_name: str, major: int, minor: int) -> None:
    tx.run(
        _DELETE_VERSION,
        {**_scope(scope), "template_name": template_name, "major_version": major, "minor_version": minor},
    )
