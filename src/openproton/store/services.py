"""Queries on services, their instances and pipelines, and account settings, scoped to the owning account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import CodePointOrder, Statement, Tx, update_row
from .tables import account_settings, service_instances, service_pipelines, services

Row = dict[str, Any]


# -- services ------------------------------------------------------------------------------------------------

_GET_SERVICE = Statement(lambda: select(services).where(*scoped(services), services.c.name == bindparam("name")))
_INSERT_SERVICE = insert_row(services)
_DELETE_SERVICE = Statement(lambda: services.delete().where(*scoped(services), services.c.name == bindparam("name")))
_PAGE_SERVICES = Statement(
    lambda: (
        select(services)
        .where(*scoped(services), CodePointOrder(services.c.name) > bindparam("after"))
        .order_by(CodePointOrder(services.c.name))
        .limit(bindparam("limit"))
    )
)
_ALL_SERVICES = Statement(lambda: select(services).where(*scoped(services)))
_COUNT_SERVICES = Statement(lambda: select(func.count()).select_from(services).where(*scoped(services)))
_DELETING_SERVICES = Statement(
    lambda: select(services).where(*scoped(services), services.c.operation == bindparam("operation"))
)


def get_service(tx: Tx, scope: Scope, name: str) -> Row | None:
    return tx.one(_GET_SERVICE, {**scope_params(scope), "name": name})


_SERVICE_COLUMNS = [column.name for column in services.c]
_PIPELINE_COLUMNS = [column.name for column in service_pipelines.c]
_PIPELINE_ID = len(_SERVICE_COLUMNS) + _PIPELINE_COLUMNS.index("id")
_GET_SERVICE_AND_PIPELINE = Statement(
    lambda: (
        select(services, *[column.label(f"pipeline_{column.name}") for column in service_pipelines.c])
        .select_from(
            services.outerjoin(
                service_pipelines,
                (service_pipelines.c.account_id == services.c.account_id)
                & (service_pipelines.c.region == services.c.region)
                & (service_pipelines.c.service_name == services.c.name),
            )
        )
        .where(*scoped(services), services.c.name == bindparam("name"))
    )
)


def get_service_and_pipeline(tx: Tx, scope: Scope, name: str) -> tuple[Row | None, Row | None]:
    """A service and its pipeline (None without one) in one statement: what GetService shows."""
    joined = tx.row(_GET_SERVICE_AND_PIPELINE, {**scope_params(scope), "name": name})
    if joined is None:
        return None, None
    width = len(_SERVICE_COLUMNS)
    service = dict(zip(_SERVICE_COLUMNS, joined[:width], strict=True))
    if joined[_PIPELINE_ID] is None:
        return service, None
    return service, dict(zip(_PIPELINE_COLUMNS, joined[width:], strict=True))


def insert_service(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_SERVICE, values)


def update_service(tx: Tx, scope: Scope, name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, services, {**scope_params(scope), "name": name}, values)


def delete_service(tx: Tx, scope: Scope, name: str) -> None:
    tx.run(_DELETE_SERVICE, {**scope_params(scope), "name": name})


def page_services(tx: Tx, scope: Scope, *, after: str, limit: int) -> list[Row]:
    return tx.all(_PAGE_SERVICES, {**scope_params(scope), "after": after, "limit": limit})


def all_services(tx: Tx, scope: Scope) -> list[Row]:
    """Every service of the scope (bounded by the service quota)."""
    return tx.all(_ALL_SERVICES, scope_params(scope))


def count_services(tx: Tx, scope: Scope) -> int:
    return int(tx.scalar(_COUNT_SERVICES, scope_params(scope)))


def deleting_services(tx: Tx, scope: Scope) -> list[Row]:
    """The services whose latest operation is a deletion (some may have ended, not yet stored)."""
    return tx.all(_DELETING_SERVICES, {**scope_params(scope), "operation": "DELETE"})


# -- service instances ---------------------------------------------------------------------------------------

_GET_INSTANCE = Statement(
    lambda: select(service_instances).where(
        *scoped(service_instances),
        service_instances.c.service_name == bindparam("service_name"),
        service_instances.c.name == bindparam("name"),
    )
)
_INSERT_INSTANCE = insert_row(service_instances)
_INSTANCES_OF_SERVICE = Statement(
    lambda: (
        select(service_instances)
        .where(*scoped(service_instances), service_instances.c.service_name == bindparam("service_name"))
        .order_by(CodePointOrder(service_instances.c.name))
    )
)
_INSTANCES_IN_ENVIRONMENT = Statement(
    lambda: (
        select(service_instances)
        .where(*scoped(service_instances), service_instances.c.environment_name == bindparam("environment_name"))
        .order_by(CodePointOrder(service_instances.c.service_name), CodePointOrder(service_instances.c.name))
    )
)
_INSTANCES_OF_TEMPLATE = Statement(
    lambda: select(service_instances).where(
        *scoped(service_instances), service_instances.c.template_name == bindparam("template_name")
    )
)
_ALL_INSTANCES = Statement(
    lambda: (
        select(service_instances)
        .where(*scoped(service_instances))
        .order_by(CodePointOrder(service_instances.c.service_name), CodePointOrder(service_instances.c.name))
    )
)


_instance_pages: dict[tuple[bool, bool, bool], Statement] = {}


def _instance_page(of_service: bool, after: bool, descending: bool) -> Statement:
    def build() -> Any:
        key = (CodePointOrder(service_instances.c.service_name), CodePointOrder(service_instances.c.name))
        query = select(service_instances).where(*scoped(service_instances))
        if of_service:
            query = query.where(service_instances.c.service_name == bindparam("service_name"))
        if after:
            position = tuple_(bindparam("after_service"), bindparam("after_name"))
            query = query.where(tuple_(*key) < position if descending else tuple_(*key) > position)
        order = [column.desc() for column in key] if descending else list(key)
        return query.order_by(*order).limit(bindparam("limit"))

    return Statement(build)


def page_instances(
    tx: Tx,
    scope: Scope,
    *,
    service_name: str | None,
    after: tuple[str, str] | None,
    descending: bool,
    limit: int,
) -> list[Row]:
    """Instances in (service name, name) order by code point, after a position: keyset paging, O(limit)."""
    key = (service_name is not None, after is not None, descending)
    statement = _instance_pages.get(key)
    if statement is None:
        statement = _instance_pages[key] = _instance_page(*key)
    params: dict[str, Any] = {**scope_params(scope), "limit": limit}
    if service_name is not None:
        params["service_name"] = service_name
    if after is not None:
        params["after_service"], params["after_name"] = after
    return tx.all(statement, params)


def get_instance(tx: Tx, scope: Scope, service_name: str, name: str) -> Row | None:
    return tx.one(_GET_INSTANCE, {**scope_params(scope), "service_name": service_name, "name": name})


def insert_instance(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_INSTANCE, values)


def update_instance(tx: Tx, scope: Scope, service_name: str, name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, service_instances, {**scope_params(scope), "service_name": service_name, "name": name}, values)


def instances_of_service(tx: Tx, scope: Scope, service_name: str) -> list[Row]:
    """A service's instances by name (at most the instance quota)."""
    return tx.all(_INSTANCES_OF_SERVICE, {**scope_params(scope), "service_name": service_name})


def instances_in_environment(tx: Tx, scope: Scope, environment_name: str) -> list[Row]:
    return tx.all(_INSTANCES_IN_ENVIRONMENT, {**scope_params(scope), "environment_name": environment_name})


def instances_of_template(tx: Tx, scope: Scope, template_name: str) -> list[Row]:
    return tx.all(_INSTANCES_OF_TEMPLATE, {**scope_params(scope), "template_name": template_name})


def all_instances(tx: Tx, scope: Scope) -> list[Row]:
    """Every instance of the scope, by service and name (bounded by the quotas: services x instances)."""
    return tx.all(_ALL_INSTANCES, scope_params(scope))


# -- pipelines -----------------------------------------------------------------------------------------------

_GET_PIPELINE = Statement(
    lambda: select(service_pipelines).where(
        *scoped(service_pipelines), service_pipelines.c.service_name == bindparam("service_name")
    )
)
_INSERT_PIPELINE = insert_row(service_pipelines)
_PIPELINES_OF_TEMPLATE = Statement(
    lambda: select(service_pipelines).where(
        *scoped(service_pipelines), service_pipelines.c.template_name == bindparam("template_name")
    )
)


def get_pipeline(tx: Tx, scope: Scope, service_name: str) -> Row | None:
    return tx.one(_GET_PIPELINE, {**scope_params(scope), "service_name": service_name})


def insert_pipeline(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_PIPELINE, values)


def update_pipeline(tx: Tx, scope: Scope, service_name: str, values: Mapping[str, Any]) -> None:
    update_row(tx, service_pipelines, {**scope_params(scope), "service_name": service_name}, values)


_ALL_PIPELINES = Statement(lambda: select(service_pipelines).where(*scoped(service_pipelines)))


def all_pipelines(tx: Tx, scope: Scope) -> list[Row]:
    """Every pipeline of the scope (at most one per service)."""
    return tx.all(_ALL_PIPELINES, scope_params(scope))


def pipelines_of_template(tx: Tx, scope: Scope, template_name: str) -> list[Row]:
    return tx.all(_PIPELINES_OF_TEMPLATE, {**scope_params(scope), "template_name": template_name})


# -- account settings ----------------------------------------------------------------------------------------

_GET_SETTINGS = Statement(lambda: select(account_settings).where(*scoped(account_settings)))
_INSERT_SETTINGS = insert_row(account_settings)


def get_settings(tx: Tx, scope: Scope) -> Row | None:
    return tx.one(_GET_SETTINGS, scope_params(scope))


def put_settings(tx: Tx, scope: Scope, values: Mapping[str, Any]) -> None:
    if get_settings(tx, scope) is None:
        empty = {c.name: None for c in account_settings.c}
        tx.run(_INSERT_SETTINGS, {**empty, **scope_params(scope), **values})
    else:
        update_row(tx, account_settings, scope_params(scope), values)
