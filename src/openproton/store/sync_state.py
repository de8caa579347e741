"""Queries on what sync runs remember: the run-time repository map, units and their leases, attempts, records.

The map and a unit's lease are the administrator's and the runner's, across every account: those queries take
no scope. Attempts and records belong to one account and region, like every other row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, literal_column, or_, select, union

from .database import Scope
from .leases import LeaseTable
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import (
    repositories,
    repository_map,
    resource_sync_attempts,
    service_sync_configs,
    sync_attempts,
    sync_records,
    sync_units,
    template_sync_configs,
)

Row = dict[str, Any]
UNIT_COLUMNS = ("account_id", "region", "repository_provider", "repository_name", "branch", "sync_type")

# -- the run-time repository map ------------------------------------------------------------------------

_MAP = Statement(lambda: select(repository_map).order_by(repository_map.c.key))
_MAP_DELETE = Statement(lambda: repository_map.delete().where(repository_map.c.key == bindparam("key")))
_MAP_INSERT = insert_row(repository_map)


def map_entries(tx: Tx) -> list[Row]:
    return tx.all(_MAP, {})


def put_map_entry(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_MAP_DELETE, {"key": values["key"]})
    tx.run(_MAP_INSERT, values)


def delete_map_entry(tx: Tx, key: str) -> int:
    return tx.run(_MAP_DELETE, {"key": key})


# -- which accounts link a repository, and the units its configs make -----------------------------------

_LINKS = Statement(
    lambda: select(repositories.c.account_id, repositories.c.region).where(
        repositories.c.provider == bindparam("provider"), repositories.c.name == bindparam("name")
    )
)


def _unit_select(table: Any, sync_type: str) -> Any:
    return (
        select(
            table.c.account_id,
            table.c.region,
            table.c.repository_provider,
            table.c.repository_name,
            table.c.branch,
            literal_column(f"'{sync_type}'").label("sync_type"),
        )
        .where(table.c.repository_provider == bindparam("provider"), table.c.repository_name == bindparam("name"))
        .distinct()
    )


_UNITS_OF_REPOSITORY = Statement(
    lambda: union(
        _unit_select(template_sync_configs, "TEMPLATE_SYNC"), _unit_select(service_sync_configs, "SERVICE_SYNC")
    )
)


def linking_scopes(tx: Tx, provider: str, name: str) -> list[Row]:
    """The accounts and regions that link a repository."""
    return tx.all(_LINKS, {"provider": provider, "name": name})


def units_of_repository(tx: Tx, provider: str, name: str) -> list[Row]:
    """Every (account, region, branch, sync type) a sync config of the repository names."""
    return sorted(tx.all(_UNITS_OF_REPOSITORY, {"provider": provider, "name": name}), key=unit_key)


def unit_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[name]) for name in UNIT_COLUMNS)


def _unit_where(table: Any) -> list[Any]:
    return [table.c[name] == bindparam(name) for name in UNIT_COLUMNS]


# -- a unit's lease and heads -----------------------------------------------------------------------------

UNIT_LEASES = LeaseTable(sync_units, UNIT_COLUMNS)
_UNIT_GET = Statement(lambda: select(sync_units).where(*_unit_where(sync_units)))
_UNIT_INSERT = insert_row(sync_units)


def get_unit(tx: Tx, unit: Mapping[str, Any]) -> Row | None:
    return tx.one(_UNIT_GET, {name: unit[name] for name in UNIT_COLUMNS})


def ensure_unit(tx: Tx, unit: Mapping[str, Any]) -> None:
    if get_unit(tx, unit) is None:
        tx.run(
            _UNIT_INSERT,
            {**{name: unit[name] for name in UNIT_COLUMNS}, "lease_owner": None, "lease_until": None, "heads": None},
        )


def set_heads(tx: Tx, unit: Mapping[str, Any], heads: str) -> None:
    update_row(tx, sync_units, {name: unit[name] for name in UNIT_COLUMNS}, {"heads": heads})


# -- repository attempts ------------------------------------------------------------------------------------

_ATTEMPT_INSERT = Statement(
    lambda: sync_attempts.insert().values({c.name: bindparam(c.name) for c in sync_attempts.c if c.name != "seq"})
)
_ATTEMPT_GET = Statement(lambda: select(sync_attempts).where(sync_attempts.c.id == bindparam("id")))
_LATEST_ATTEMPT = Statement(
    lambda: select(sync_attempts).where(*_unit_where(sync_attempts)).order_by(sync_attempts.c.seq.desc()).limit(1)
)
_QUEUED = Statement(
    lambda: (
        select(sync_attempts)
        .where(*_unit_where(sync_attempts), sync_attempts.c.status == "QUEUED")
        .order_by(sync_attempts.c.seq)
        .limit(1)
    )
)
_ATTEMPTS_OF_LINK = Statement(
    lambda: (
        select(sync_attempts)
        .where(
            *scoped(sync_attempts),
            sync_attempts.c.repository_provider == bindparam("provider"),
            sync_attempts.c.repository_name == bindparam("name"),
        )
        .order_by(sync_attempts.c.seq.desc())
        .limit(bindparam("limit"))
    )
)
_DELETE_ATTEMPTS_OF_LINK = Statement(
    lambda: sync_attempts.delete().where(
        *scoped(sync_attempts),
        sync_attempts.c.repository_provider == bindparam("provider"),
        sync_attempts.c.repository_name == bindparam("name"),
    )
)
_DELETE_UNITS_OF_LINK = Statement(
    lambda: sync_units.delete().where(
        *scoped(sync_units),
        sync_units.c.repository_provider == bindparam("provider"),
        sync_units.c.repository_name == bindparam("name"),
    )
)


def insert_attempt(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_ATTEMPT_INSERT, values)


def get_attempt(tx: Tx, attempt_id: str) -> Row | None:
    return tx.one(_ATTEMPT_GET, {"id": attempt_id})


def update_attempt(tx: Tx, attempt_id: str, values: Mapping[str, Any]) -> None:
    update_row(tx, sync_attempts, {"id": attempt_id}, values)


def latest_attempt(tx: Tx, unit: Mapping[str, Any]) -> Row | None:
    return tx.one(_LATEST_ATTEMPT, {name: unit[name] for name in UNIT_COLUMNS})


def queued_attempt(tx: Tx, unit: Mapping[str, Any]) -> Row | None:
    return tx.one(_QUEUED, {name: unit[name] for name in UNIT_COLUMNS})


def attempts_of_link(tx: Tx, scope: Scope, provider: str, name: str, limit: int) -> list[Row]:
    """A link's repository attempts, newest first (the console's repository page)."""
    return tx.all(_ATTEMPTS_OF_LINK, {**scope_params(scope), "provider": provider, "name": name, "limit": limit})


def delete_of_link(tx: Tx, scope: Scope, provider: str, name: str) -> None:
    """[decided] Y-4: a link's attempts go with it."""
    params = {**scope_params(scope), "provider": provider, "name": name}
    tx.run(_DELETE_ATTEMPTS_OF_LINK, params)
    tx.run(_DELETE_UNITS_OF_LINK, params)


# -- resource attempts and records -----------------------------------------------------------------------

_TARGET = ("sync_type", "target", "major")


def _target_where(table: Any) -> list[Any]:
    return [*scoped(table), *(table.c[name] == bindparam(name) for name in _TARGET)]


_RESOURCE_INSERT = Statement(
    lambda: resource_sync_attempts.insert().values(
        {c.name: bindparam(c.name) for c in resource_sync_attempts.c if c.name != "seq"}
    )
)
_RESOURCE_ATTEMPTS = Statement(
    lambda: (
        select(resource_sync_attempts)
        .where(*_target_where(resource_sync_attempts))
        .order_by(resource_sync_attempts.c.seq.desc())
        .limit(bindparam("limit"))
    )
)
_RESOURCE_OF_REPOSITORY_ATTEMPT = Statement(
    lambda: (
        select(resource_sync_attempts)
        .where(resource_sync_attempts.c.repository_attempt_id == bindparam("attempt_id"))
        .order_by(resource_sync_attempts.c.seq)
    )
)
_RECORD_GET = Statement(lambda: select(sync_records).where(*_target_where(sync_records)))
_RECORD_INSERT = insert_row(sync_records)


def _target_params(scope: Scope, sync_type: str, target: str, major: str) -> dict[str, Any]:
    return {**scope_params(scope), "sync_type": sync_type, "target": target, "major": major}


def insert_resource_attempt(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_RESOURCE_INSERT, values)


def update_resource_attempt(tx: Tx, seq: int, values: Mapping[str, Any]) -> None:
    update_row(tx, resource_sync_attempts, {"seq": seq}, values)


def resource_attempts(tx: Tx, scope: Scope, sync_type: str, target: str, major: str, limit: int) -> list[Row]:
    """A target's attempts, newest first."""
    return tx.all(_RESOURCE_ATTEMPTS, {**_target_params(scope, sync_type, target, major), "limit": limit})


def resource_attempts_of(tx: Tx, repository_attempt_id: str) -> list[Row]:
    return tx.all(_RESOURCE_OF_REPOSITORY_ATTEMPT, {"attempt_id": repository_attempt_id})


def get_record(tx: Tx, scope: Scope, sync_type: str, target: str, major: str) -> Row | None:
    return tx.one(_RECORD_GET, _target_params(scope, sync_type, target, major))


def put_record(tx: Tx, scope: Scope, sync_type: str, target: str, major: str, values: Mapping[str, Any]) -> None:
    key = _target_params(scope, sync_type, target, major)
    if tx.one(_RECORD_GET, key) is None:
        tx.run(_RECORD_INSERT, {**key, "version": None, "tree_id": None, "desired_state": None, **values})
    else:
        update_row(tx, sync_records, key, values)


_DELETE_RESOURCE_OF_TARGETS = Statement(
    lambda: resource_sync_attempts.delete().where(
        *scoped(resource_sync_attempts),
        resource_sync_attempts.c.sync_type == bindparam("sync_type"),
        or_(
            resource_sync_attempts.c.target == bindparam("target"),
            resource_sync_attempts.c.target.like(bindparam("prefix"), escape="\\"),
        ),
    )
)
_DELETE_RECORDS_OF_TARGETS = Statement(
    lambda: sync_records.delete().where(
        *scoped(sync_records),
        sync_records.c.sync_type == bindparam("sync_type"),
        or_(sync_records.c.target == bindparam("target"), sync_records.c.target.like(bindparam("prefix"), escape="\\")),
    )
)


def forget_target(tx: Tx, scope: Scope, sync_type: str, target: str, *, with_children: bool = False) -> None:
    """[decided] Y-10, Y-14: deleting a config drops its attempts and records. `with_children`: every
    `<target>/...` too (a service's instances)."""
    escaped = target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = {
        **scope_params(scope),
        "sync_type": sync_type,
        "target": target,
        "prefix": f"{escaped}/%" if with_children else escaped,
    }
    tx.run(_DELETE_RESOURCE_OF_TARGETS, params)
    tx.run(_DELETE_RECORDS_OF_TARGETS, params)
