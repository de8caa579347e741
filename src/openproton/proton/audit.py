"""The audit log: every mutating call, recorded durably and in order, whatever its outcome.

A call that succeeds is recorded inside its own transaction, so the change and its record commit together or not
at all. A call that fails is rolled back, so its record is written in a transaction of its own once the outcome
is known; it is committed before the answer leaves.
"""

from __future__ import annotations

from typing import Any

from openproton.protocol.pipeline import RequestContext
from openproton.protocol.serializer import epoch_seconds
from openproton.store import Database
from openproton.store import audit as store
from openproton.store.sql import Tx

from .clock import Clock, to_datetime

# Operations that only read; every other operation of the model changes something.
_READ_PREFIXES = ("Get", "List")


def is_mutating(operation: str) -> bool:
    return not operation.startswith(_READ_PREFIXES)


def _resource(params: dict[str, Any] | None, result: dict[str, Any] | None) -> str | None:
    """The ARN the call acted on when the answer names one, else the identifying parameter."""
    for value in (result or {}).values():
        if isinstance(value, dict) and isinstance(value.get("arn"), str):
            return str(value["arn"])
    for name in ("resourceArn", "id", "name", "environmentName", "templateName"):
        if params and isinstance(params.get(name), str):
            return str(params[name])
    return None


class AuditLog:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def record_success(
        self, tx: Tx, context: RequestContext, params: dict[str, Any] | None, result: dict[str, Any] | None
    ) -> None:
        """Record a call that succeeded, in the transaction of its change (before that commits)."""
        if is_mutating(context.operation):
            store.record(tx, self._entry(context, "OK", params, result))

    def record_failure(self, context: RequestContext, outcome: str, params: dict[str, Any] | None) -> None:
        """Record a call that failed (its own transaction was rolled back, if it had one)."""
        if not is_mutating(context.operation):
            return
        with self.database.transaction(write=True) as tx:
            store.record(tx, self._entry(context, outcome, params, None))

    def _entry(
        self, context: RequestContext, outcome: str, params: dict[str, Any] | None, result: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "occurred_at": self.clock.now_ms(),
            "account_id": context.account_id,
            "access_key": context.access_key,
            "region": context.region,
            "operation": context.operation,
            "resource": _resource(params, result),
            "outcome": outcome,
            "request_id": context.request_id,
        }

    def entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        with self.database.transaction(write=False) as tx:
            rows = store.entries(tx, after_seq=after_seq, limit=limit)
        return self._view(rows)

    def latest_of_account(self, account_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """One account's entries, newest first."""
        with self.database.transaction(write=False) as tx:
            return self._view(store.latest_of_account(tx, account_id, limit=limit))

    @staticmethod
    def _view(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "seq": row["seq"],
                "time": epoch_seconds(to_datetime(row["occurred_at"])),
                "accountId": row["account_id"],
                "accessKeyId": row["access_key"],
                "region": row["region"],
                "operation": row["operation"],
                "resource": row["resource"],
                "outcome": row["outcome"],
                "requestId": row["request_id"],
            }
            for row in rows
        ]
