"""Queries on templates and their versions (environment and service templates alike), scoped to the owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, bindparam, func, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import environment_template_versions, environment_templates, service_template_versions, service_templates

Row = dict[str, Any]


class TemplateStore:
    """The statements of one pair of tables: templates and their versions."""

    def __init__(self, templates: Table, versions: Table) -> None:
        self.templates, self.versions = templates, versions
        self._get_template = Statement(
            lambda: select(templates).where(*scoped(templates), templates.c.name == bindparam("name"))
        )
        self._insert_template = insert_row(templates)
        self._delete_template = Statement(
            lambda: templates.delete().where(*scoped(templates), templates.c.name == bindparam("name"))
        )
        self._page_templates = Statement(
            lambda: (
                select(templates)
                .where(*scoped(templates), CodePointOrder(templates.c.name) > bindparam("after"))
                .order_by(CodePointOrder(templates.c.name))
                .limit(bindparam("limit"))
            )
        )
        self._count_templates = Statement(lambda: select(func.count()).select_from(templates).where(*scoped(templates)))
        key = lambda: [  # noqa: E731 - built lazily, with the statements
            versions.c.template_name == bindparam("template_name"),
            versions.c.major_version == bindparam("major_version"),
            versions.c.minor_version == bindparam("minor_version"),
        ]
        self._get_version = Statement(lambda: select(versions).where(*scoped(versions), *key()))
        self._insert_version = insert_row(versions)
        self._delete_version = Statement(lambda: versions.delete().where(*scoped(versions), *key()))
        self._count_versions = Statement(
            lambda: (
                select(func.count())
                .select_from(versions)
                .where(*scoped(versions), versions.c.template_name == bindparam("template_name"))
            )
        )
        self._all_versions = Statement(
            lambda: (
                select(versions)
                .where(*scoped(versions), versions.c.template_name == bindparam("template_name"))
                .order_by(versions.c.major_version, versions.c.minor_version)
            )
        )

    def get_template(self, tx: Tx, scope: Scope, name: str) -> Row | None:
        return tx.one(self._get_template, {**scope_params(scope), "name": name})

    def insert_template(self, tx: Tx, values: Mapping[str, Any]) -> None:
        tx.run(self._insert_template, values)

    def update_template(self, tx: Tx, scope: Scope, name: str, values: Mapping[str, Any]) -> None:
        update_row(tx, self.templates, {**scope_params(scope), "name": name}, values)

    def delete_template(self, tx: Tx, scope: Scope, name: str) -> None:
        tx.run(self._delete_template, {**scope_params(scope), "name": name})

    def page_templates(self, tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
        return tx.all(self._page_templates, {**scope_params(scope), "after": after, "limit": limit})

    def count_templates(self, tx: Tx, scope: Scope) -> int:
        return int(tx.scalar(self._count_templates, scope_params(scope)))

    def get_version(self, tx: Tx, scope: Scope, template_name: str, major: int, minor: int) -> Row | None:
        key = {"template_name": template_name, "major_version": major, "minor_version": minor}
        return tx.one(self._get_version, {**scope_params(scope), **key})

    def all_versions(self, tx: Tx, scope: Scope, template_name: str) -> list[Row]:
        """Every version of a template in (major, minor) order (a template has few)."""
        return tx.all(self._all_versions, {**scope_params(scope), "template_name": template_name})

    def count_versions(self, tx: Tx, scope: Scope, template_name: str) -> int:
        return int(tx.scalar(self._count_versions, {**scope_params(scope), "template_name": template_name}))

    def insert_version(self, tx: Tx, values: Mapping[str, Any]) -> None:
        tx.run(self._insert_version, values)

    def update_version(
        self, tx: Tx, scope: Scope, template_name: str, major: int, minor: int, values: Mapping[str, Any]
    ) -> None:
        key = {**scope_params(scope), "template_name": template_name, "major_version": major, "minor_version": minor}
        update_row(tx, self.versions, key, values)

    def delete_version(self, tx: Tx, scope: Scope, template_name: str, major: int, minor: int) -> None:
        key = {"template_name": template_name, "major_version": major, "minor_version": minor}
        tx.run(self._delete_version, {**scope_params(scope), **key})


ENVIRONMENT_TEMPLATES = TemplateStore(environment_templates, environment_template_versions)
SERVICE_TEMPLATES = TemplateStore(service_templates, service_template_versions)
