"""The settle policy: how deployments that OpenProton runs itself end (environments.md, "How deployments finish").

`succeed` or `fail` after a delay, or `manual` (they wait for the admin interface). The policy in force when a
deployment starts fixes its ending [decided] D-12. Set at run time, it is kept in the database, so every replica
follows it; without one, each process uses the policy it was started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openproton import decided
from openproton.settings import MAX_SETTLE_DELAY_SECONDS
from openproton.store import Database
from openproton.store import environments as store
from openproton.store.sql import Tx

from .deployment_view import FAILED, SUCCEEDED

SUCCEED, FAIL, MANUAL = "succeed", "fail", "manual"
POLICIES = (SUCCEED, FAIL, MANUAL)

# (outcome, its status message, when it ends): how a deployment that starts now ends. No outcome: it waits.
Plan = tuple[str | None, str | None, int | None]
WAITS: Plan = (None, None, None)


class SettlePolicyError(ValueError):
    """A settle policy or a settlement that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """How deployments end: `succeed` or `fail` after `delay_ms`, or `manual` (they wait to be settled)."""

    policy: str = SUCCEED
    delay_ms: int = 0
    message: str | None = None  # the status message of deployments that `fail`

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "delaySeconds": self.delay_ms / 1000, "message": self.message}

    @classmethod
    def from_dict(cls, data: Any) -> SettlePolicy:
        if not isinstance(data, dict):
            raise SettlePolicyError(
                'A settle policy is a JSON object such as {"policy": "succeed", "delaySeconds": 0}.'
            )
        unknown = sorted(set(data) - {"policy", "delaySeconds", "message"})
        if unknown:
            raise SettlePolicyError(f"Unknown settle policy fields: {', '.join(unknown)}.")
        policy = data.get("policy")
        if policy not in POLICIES:
            raise SettlePolicyError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}.")
        delay = data.get("delaySeconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise SettlePolicyError(f"delaySeconds must be a number of seconds, 0 or more, not {delay!r}.")
        if not delay <= MAX_SETTLE_DELAY_SECONDS:  # also NaN, which compares false
            raise SettlePolicyError(f"delaySeconds must be at most {MAX_SETTLE_DELAY_SECONDS} (a year), not {delay!r}.")
        message = data.get("message")
        if message is not None and not isinstance(message, str):
            raise SettlePolicyError("message must be a string.")
        return cls(policy, round(delay * 1000), message)

    def plan(self, now_ms: int) -> Plan:
        """How a deployment that starts now ends: [decided] D-12."""
        if self.policy == MANUAL:
            return WAITS
        if self.policy == FAIL:
            return FAILED, self.message or decided.SETTLE_FAIL_MESSAGE, now_ms + self.delay_ms
        return SUCCEEDED, None, now_ms + self.delay_ms


class SettlePolicies:
    """The policy in force: the one set at run time, else the one this process started with."""

    def __init__(self, started_with: SettlePolicy) -> None:
        self.started_with = started_with

    def current(self, tx: Tx) -> SettlePolicy:
        row = store.get_policy(tx)
        if row is None:
            return self.started_with
        return SettlePolicy(row["policy"], int(row["delay_ms"]), row["message"])

    def read(self, database: Database) -> SettlePolicy:
        with database.transaction(write=False) as tx:
            return self.current(tx)

    def set(self, database: Database, policy: SettlePolicy | None) -> SettlePolicy:
        """Set the run-time policy; None returns to the one this process started with."""
        with database.transaction(write=True) as tx:
            database.lock(tx, "settle-policy")  # replicas may set it at once: one writer at a time
            if policy is None:
                store.clear_policy(tx)
            else:
                store.put_policy(tx, policy=policy.policy, delay_ms=policy.delay_ms, message=policy.message)
            return self.current(tx)
