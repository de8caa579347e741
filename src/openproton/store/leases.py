"""Leases on rows ([decided] P-11): claimed by one conditional UPDATE against the database's clock, renewed by
their holder, released at the end. Sync units and provisioning jobs take turns across replicas this one way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, null, or_, text

from .sql import Statement, Tx

_NOW_MS = {
    "sqlite": Statement(lambda: text("SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")),
    "postgresql": Statement(lambda: text("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")),
}


def database_now_ms(tx: Tx) -> int:
    """The database's clock, which every replica shares (a lease never trusts a replica's own clock)."""
    return int(tx.scalar(_NOW_MS[tx.dialect], {}))


class LeaseTable:
    """The lease statements of one table whose rows carry `lease_owner` and `lease_until`."""

    def __init__(self, table: Table, key_columns: Sequence[str]) -> None:
        self.key_columns = tuple(key_columns)

        def keyed() -> list[Any]:
            return [table.c[name] == bindparam(name) for name in self.key_columns]

        self._claim = Statement(
            lambda: (
                table.update()
                .where(*keyed(), or_(table.c.lease_owner.is_(None), table.c.lease_until < bindparam("now")))
                .values(lease_owner=bindparam("owner"), lease_until=bindparam("until"))
            )
        )
        self._renew = Statement(
            lambda: (
                table.update()
                .where(*keyed(), table.c.lease_owner == bindparam("owner"))
                .values(lease_until=bindparam("until"))
            )
        )
        self._release = Statement(
            lambda: (
                table.update()
                .where(*keyed(), table.c.lease_owner == bindparam("owner"))
                .values(lease_owner=null(), lease_until=null())
            )
        )

    def _key(self, key: Mapping[str, Any]) -> dict[str, Any]:
        return {name: key[name] for name in self.key_columns}

    def claim(self, tx: Tx, key: Mapping[str, Any], owner: str, now_ms: int, until_ms: int) -> bool:
        """[decided] P-11: one conditional UPDATE; one row changed is the lease claimed."""
        return tx.run(self._claim, {**self._key(key), "owner": owner, "now": now_ms, "until": until_ms}) == 1

    def renew(self, tx: Tx, key: Mapping[str, Any], owner: str, until_ms: int) -> bool:
        """False once another holds it (this holder's lease ran out meanwhile)."""
        return tx.run(self._renew, {**self._key(key), "owner": owner, "until": until_ms}) == 1

    def release(self, tx: Tx, key: Mapping[str, Any], owner: str) -> None:
        tx.run(self._release, {**self._key(key), "owner": owner})
