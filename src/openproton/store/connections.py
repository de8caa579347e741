"""Queries on environment account connections. A connection is seen from two accounts, so the scope
matches either party; the domain decides what each party may do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, or_, select, tuple_

from .database import Scope
from .sql import Statement, Tx, update_row
from .tables import environment_account_connection_events as events
from .tables import environment_account_connections as eac

Row = Mapping[str, Any]


def _get(*, deleted: bool, locked: bool) -> Statement:
    def build() -> Any:
        query = select(eac).where(
            eac.c.id == bindparam("id"),
            eac.c.region == bindparam("region"),
            or_(
                eac.c.environment_account_id == bindparam("account"),
                eac.c.management_account_id == bindparam("account"),
            ),
        )
        if not deleted:
            query = query.where(eac.c.deleted_at.is_(None))
        return query.with_for_update() if locked else query

    return Statement(build)


_GET = {
    (deleted, locked): _get(deleted=deleted, locked=locked) for deleted in (False, True) for locked in (False, True)
}

_COUNT_LIVE = Statement(
    lambda: (
        select(func.count())
        .select_from(eac)
        .where(
            eac.c.region == bindparam("region"),
            eac.c.environment_account_id == bindparam("account"),
            eac.c.deleted_at.is_(None),
        )
    )
)

# The status filter takes three parameters; fewer statuses repeat one (the enum has three values).
_STATUS_SLOTS = ("status_1", "status_2", "status_3")

_FIND_OPEN = Statement(
    lambda: (
        select(eac)
        .where(
            eac.c.region == bindparam("region"),
            eac.c.environment_account_id == bindparam("account"),
            eac.c.management_account_id == bindparam("management_account_id"),
            eac.c.environment_name == bindparam("environment_name"),
            eac.c.status.in_([bindparam(slot) for slot in _STATUS_SLOTS]),
            eac.c.deleted_at.is_(None),
        )
        .limit(1)
    )
)

_INSERT = Statement(lambda: eac.insert().values({column.name: bindparam(column.name) for column in eac.c}))

_INSERT_EVENT = Statement(
    lambda: events.insert().values({column.name: bindparam(column.name) for column in events.c if column.name != "seq"})
)

_LIST_EVENTS = Statement(
    lambda: select(events).where(events.c.seq > bindparam("after")).order_by(events.c.seq).limit(bindparam("limit"))
)

_EVENTS_OF = Statement(
    lambda: select(events).where(events.c.connection_id == bindparam("connection_id")).order_by(events.c.seq)
)

_pages: dict[tuple[str, bool, bool, bool], Statement] = {}


def _statuses(statuses: Sequence[str]) -> dict[str, str]:
    padded = list(statuses) + [statuses[0]] * (len(_STATUS_SLOTS) - len(statuses))
    return dict(zip(_STATUS_SLOTS, padded, strict=True))


def get(
    tx: Tx,
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
    return tx.one(
        _GET[include_deleted, for_update], {"id": connection_id, "region": scope.region, "account": scope.account_id}
    )


def count_live(tx: Tx, scope: Scope) -> int:
    """Connections (any status, not deleted) requested by the scope's account in its region."""
    return int(tx.scalar(_COUNT_LIVE, {"region": scope.region, "account": scope.account_id}))


def find_open(
    tx: Tx,
    scope: Scope,
    *,
    management_account_id: str,
    environment_name: str,
    statuses: Sequence[str],
) -> Row | None:
    params = {
        "region": scope.region,
        "account": scope.account_id,
        "management_account_id": management_account_id,
        "environment_name": environment_name,
        **_statuses(statuses),
    }
    return tx.one(_FIND_OPEN, params)


def insert(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def update(tx: Tx, connection_id: str, values: Mapping[str, Any]) -> None:
    update_row(tx, eac, {"id": connection_id}, values)


def _page_statement(side: str, named: bool, filtered: bool, after: bool) -> Statement:
    def build() -> Any:
        account = eac.c.environment_account_id if side == "environment" else eac.c.management_account_id
        query = select(eac).where(
            eac.c.region == bindparam("region"), account == bindparam("account"), eac.c.deleted_at.is_(None)
        )
        if named:
            query = query.where(eac.c.environment_name == bindparam("environment_name"))
        if filtered:
            query = query.where(eac.c.status.in_([bindparam(slot) for slot in _STATUS_SLOTS]))
        if after:
            query = query.where(
                tuple_(eac.c.requested_at, eac.c.id) > tuple_(bindparam("after_at"), bindparam("after_id"))
            )
        return query.order_by(eac.c.requested_at, eac.c.id).limit(bindparam("limit"))

    return Statement(build)


def page(
    tx: Tx,
    scope: Scope,
    *,
    side: str,
    environment_name: str | None,
    statuses: Sequence[str] | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """One page in (requested_at, id) order, after a position; keyset paging costs O(limit)."""
    key = (side, environment_name is not None, bool(statuses), after is not None)
    statement = _pages.get(key)
    if statement is None:
        statement = _pages[key] = _page_statement(*key)
    params: dict[str, Any] = {"region": scope.region, "account": scope.account_id, "limit": limit}
    if environment_name is not None:
        params["environment_name"] = environment_name
    if statuses:
        params.update(_statuses(statuses))
    if after is not None:
        params["after_at"], params["after_id"] = after
    return tx.all(statement, params)


def record_event(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_EVENT, values)


def list_events(tx: Tx, *, after_seq: int = 0, limit: int = 1000) -> list[Row]:
    """Status-change events in the order they happened (administrative: across every account)."""
    return tx.all(_LIST_EVENTS, {"after": after_seq, "limit": limit})


def _by_id(locked: bool) -> Statement:
    def build() -> Any:
        query = select(eac).where(eac.c.id == bindparam("id"), eac.c.deleted_at.is_(None))
        return query.with_for_update() if locked else query

    return Statement(build)


_BY_ID = {locked: _by_id(locked) for locked in (False, True)}


def get_by_id(tx: Tx, connection_id: str, *, for_update: bool = False) -> Row | None:
    """A live connection in any account and region: for rules that must tell "elsewhere" from "nowhere"."""
    return tx.one(_BY_ID[for_update], {"id": connection_id})


def events_of(tx: Tx, connection_id: str) -> list[Row]:
    """One connection's status changes, oldest first."""
    return tx.all(_EVENTS_OF, {"connection_id": connection_id})
