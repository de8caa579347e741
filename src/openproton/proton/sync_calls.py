"""How sync changes resources: through the same operations a client calls, marked as sync's own.

[decided] Y-16: sync's calls are not manual changes, so they raise no sync blockers (`Call.manual` is False).
Each goes through the model's validator (a spec file's text is checked as a client's request would be), the
family's rules, the audit log and one transaction, exactly as a client's call does; only the transport and the
identity are skipped, since the caller is OpenProton itself acting for the account that configured the sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from openproton.protocol.model import ServiceIndex
from openproton.protocol.pipeline import RequestContext, new_request_id
from openproton.protocol.validator import InputValidator
from openproton.store import Database, Scope

from .audit import AuditLog
from .call import Call
from .clock import Clock

Handler = Callable[[Call, dict[str, Any]], dict[str, Any]]


class SyncCalls:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        audit: AuditLog,
        index: ServiceIndex,
        validator: InputValidator,
        handlers: dict[str, tuple[Handler, bool]],
    ) -> None:
        self.database = database
        self.clock = clock
        self.audit = audit
        self.index = index
        self.validator = validator
        self.handlers = handlers

    @staticmethod
    def context(account_id: str, region: str, operation: str) -> RequestContext:
        return RequestContext(operation, account_id, region, None, new_request_id(), {})

    @contextmanager
    def call(self, account_id: str, region: str, operation: str) -> Iterator[Call]:
        """One writing transaction as `operation` would run, for work that is not one plain operation (a
        template version at the major sync chose). Committed when the block ends without an error."""
        context = self.context(account_id, region, operation)
        with self.database.transaction(write=True) as tx:
            yield Call(context, self.database, tx, Scope(account_id, region), self.clock.now_ms(), True, manual=False)

    def invoke(self, account_id: str, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run an API operation as sync; raises its AwsError as a client would get it."""
        checked = self.validator.check(self.index.operations[operation].input_shape, params)
        handler, _write = self.handlers[operation]
        context = self.context(account_id, region, operation)
        with self.database.transaction(write=True) as tx:
            call = Call(context, self.database, tx, Scope(account_id, region), self.clock.now_ms(), True, manual=False)
            result = handler(call, checked)
            self.audit.record_success(tx, context, checked, result)
            return result
