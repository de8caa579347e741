"""Queries on the audit log (administrative: across every account)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .sql import Statement, Tx
from .tables import audit_log

_INSERT = Statement(
    lambda: audit_log.insert().values({c.name: bindparam(c.name) for c in audit_log.c if c.name != "seq"})
)
_LIST = Statement(
    lambda: (
        select(audit_log)
        .where(audit_log.c.seq > bindparam("after"))
        .order_by(audit_log.c.seq)
        .limit(bindparam("limit"))
    )
)
_BY_ACCOUNT = Statement(
    lambda: (
        select(audit_log)
        .where(audit_log.c.account_id == bindparam("account_id"))
        .order_by(audit_log.c.seq.desc())
        .limit(bindparam("limit"))
    )
)


def record(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT, values)


def entries(tx: Tx, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    return tx.all(_LIST, {"after": after_seq, "limit": limit})


def latest_of_account(tx: Tx, account_id: str, *, limit: int) -> list[dict[str, Any]]:
    """The account's own entries, newest first (the console shows a caller its own trail)."""
    return tx.all(_BY_ACCOUNT, {"account_id": account_id, "limit": limit})
