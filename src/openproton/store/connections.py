"""Queries on environment account connections. A connection is seen from two accounts, so the scope
matches either party; the domain decides what each party may do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, tuple_

from .database import Scope
from .tables import environment_account_connection_events as events
from .tables import environment_account_connections as eac

Row = Mapping[str, Any]


def get(
    connection: Connection,
    scope: Scope,
    connection_id: str,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Row | None:
    """The connection, if it is in the scope's region and the scope's account is one of its parties.

    `for_update` locks the row until the transaction ends (PostgreSQL; SQLite's writers are already serial),
    so accept, reject, update and delete of one connection cannot interleave.
    """
    query = select(eac).where(
        eac.c.id == connection_id,
        eac.c.region == scope.region,
        or_(eac.c.environment_account_id == scope.account_id, eac.c.management_account_id == scope.account_id),
    )
    if not include_deleted:
        query = query.where(eac.c.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return row._mapping if row is not None else None


def count_live(connection: Connection, scope: Scope) -> int:
    """Connections (any status, not deleted) requested by the scope's account in its region."""
    query = (
        select(func.count())
        .select_from(eac)
        .where(
            eac.c.region == scope.region,
            eac.c.environment_account_id == scope.account_id,
            eac.c.deleted_at.is_(None),
        )
    )
    return int(connection.execute(query).scalar_one())


def find_open(
    connection: Connection,
    scope: Scope,
    *,
    management_account_id: str,
    environment_name: str,
    statuses: Sequence[str],
) -> Row | None:
    query = select(eac).where(
        eac.c.region == scope.region,
        eac.c.environment_account_id == scope.account_id,
        eac.c.management_account_id == management_account_id,
        eac.c.environment_name == environment_name,
        eac.c.status.in_(list(statuses)),
        eac.c.deleted_at.is_(None),
    )
    row = connection.execute(query.limit(1)).first()
    return row._mapping if row is not None else None


def insert(connection: Connection, values: Mapping[str, Any]) -> None:
    connection.execute(eac.insert().values(**values))


def update(connection: Connection, connection_id: str, values: Mapping[str, Any]) -> None:
    connection.execute(eac.update().where(eac.c.id == connection_id).values(**values))


def page(
    connection: Connection,
    scope: Scope,
    *,
    side: str,
    environment_name: str | None,
    statuses: Sequence[str] | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """One page in (requested_at, id) order, after a position; keyset paging costs O(limit)."""
    account_column = eac.c.environment_account_id if side == "environment" else eac.c.management_account_id
    conditions = [eac.c.region == scope.region, account_column == scope.account_id, eac.c.deleted_at.is_(None)]
    if environment_name is not None:
        conditions.append(eac.c.environment_name == environment_name)
    if statuses:
        conditions.append(eac.c.status.in_(list(statuses)))
    if after is not None:
        conditions.append(tuple_(eac.c.requested_at, eac.c.id) > tuple_(*after))
    query = select(eac).where(and_(*conditions)).order_by(eac.c.requested_at, eac.c.id).limit(limit)
    return [row._mapping for row in connection.execute(query)]


def record_event(connection: Connection, values: Mapping[str, Any]) -> None:
    connection.execute(events.insert().values(**values))


def list_events(connection: Connection, *, after_seq: int = 0, limit: int = 1000) -> list[Row]:
    """Status-change events in the order they happened (administrative: across every account)."""
    query = select(events).where(events.c.seq > after_seq).order_by(events.c.seq).limit(limit)
    return [row._mapping for row in connection.execute(query)]
