"""What a domain operation is handed: who calls, in which scope, on which open transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openproton.protocol.pipeline import RequestContext
from openproton.store import Database, Scope
from openproton.store.sql import Tx


@dataclass(slots=True)
class Call:
    context: RequestContext
    database: Database
    tx: Tx  # the operation's one transaction
    scope: Scope
    now_ms: int
    write: bool  # a writing operation locks what it reads before it changes it
    # A client's call (True) or git sync's own (False): only manual changes raise sync blockers ([decided] Y-17).
    manual: bool = True
    # What the operation's prepare step brought from outside the process before the transaction opened (a
    # fetched bundle, [decided] B-5), or None.
    prepared: Any = None
    # What this call already worked out and would otherwise work out twice (a spec's inputs: checked, then
    # rendered from, spec_inputs.py). Lives and dies with the call.
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.scope.account_id

    @property
    def region(self) -> str:
        return self.scope.region
