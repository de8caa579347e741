"""Status-change events of environment account connections, as the admin interface shows them.

Proton sent one EventBridge event per change of status [doc]; here they are kept durably, in order.
"""

from __future__ import annotations

from typing import Any

from openproton.protocol.serializer import epoch_seconds
from openproton.store import Database
from openproton.store import connections as store

from .clock import to_datetime


def read_events(database: Database, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    with database.transaction(write=False) as tx:
        return [_view(row) for row in store.list_events(tx, after_seq=after_seq, limit=limit)]


def connection_history(database: Database, connection_id: str) -> list[dict[str, Any]]:
    """One connection's events, oldest first (the console shows it to the connection's parties)."""
    with database.transaction(write=False) as tx:
        return [_view(row) for row in store.events_of(tx, connection_id)]


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "time": epoch_seconds(to_datetime(row["occurred_at"])),
        "region": row["region"],
        "environmentAccountConnectionId": row["connection_id"],
        "status": row["status"],
        "previousStatus": row["previous_status"],
        "environmentAccountId": row["environment_account_id"],
        "managementAccountId": row["management_account_id"],
    }
