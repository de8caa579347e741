"""Deliberate faults: rules that answer ThrottlingException, InternalServerException or AccessDeniedException,
or add latency.

A rule matches on operation (shell wildcards), account, region and the SDK's attempt number (from the
`amz-sdk-request: attempt=N; max=M` header that botocore, the JS and Go SDKs send), and applies either to the
next `count` matching calls or with a `probability`. Rules live in the process that answers: with several
workers or replicas, each keeps its own counts.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# throttle: ThrottlingException; internal: InternalServerException; deny: AccessDeniedException ([decided] W-9:
# so that every modelled error of an operation can be met on purpose); latency: answer late.
ACTIONS = ("throttle", "internal", "deny", "latency")


class FaultRuleError(ValueError):
    """A rule that cannot be used; the message says which field and why."""


@dataclass(slots=True)
class FaultRule:
    action: str
    operation: str = "*"
    account: str | None = None
    region: str | None = None
    attempt: int | None = None
    count: int | None = None  # remaining matching calls; None with a probability, or for every call
    probability: float | None = None
    latency_ms: int = 0
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def matches(self, operation: str, account: str, region: str, attempt: int | None) -> bool:
        return (
            fnmatch.fnmatchcase(operation, self.operation)
            and self.account in (None, account)
            and self.region in (None, region)
            and self.attempt in (None, attempt)
        )


def rule_from_dict(data: Mapping[str, Any]) -> FaultRule:
    if not isinstance(data, Mapping):
        raise FaultRuleError("a fault rule is a JSON object")
    unknown = set(data) - {
        "action",
        "operation",
        "account",
        "region",
        "attempt",
        "count",
        "probability",
        "latencyMs",
        "id",
    }
    if unknown:
        raise FaultRuleError(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
    action = data.get("action")
    if action not in ACTIONS:
        raise FaultRuleError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    count, probability = data.get("count"), data.get("probability")
    if count is not None and (type(count) is not int or count < 1):
        raise FaultRuleError("count must be a whole number of at least 1")
    if probability is not None and (not isinstance(probability, int | float) or not 0 < probability <= 1):
        raise FaultRuleError("probability must be a number above 0 and at most 1")
    if count is not None and probability is not None:
        raise FaultRuleError("give count or probability, not both")
    attempt = data.get("attempt")
    if attempt is not None and (type(attempt) is not int or attempt < 1):
        raise FaultRuleError("attempt must be a whole number of at least 1")
    latency = data.get("latencyMs", 0)
    if type(latency) is not int or latency < 0 or latency > 60_000:
        raise FaultRuleError("latencyMs must be a whole number from 0 to 60000")
    if action == "latency" and latency == 0:
        raise FaultRuleError("a latency rule needs latencyMs")
    for name in ("operation", "account", "region"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise FaultRuleError(f"{name} must be a string")
    return FaultRule(
        action=action,
        operation=data.get("operation") or "*",
        account=data.get("account"),
        region=data.get("region"),
        attempt=attempt,
        count=count,
        probability=float(probability) if probability is not None else None,
        latency_ms=latency,
        id=str(data.get("id") or uuid.uuid4()),
    )


def attempt_number(header: str | None) -> int | None:
    """`attempt=2; max=3` -> 2."""
    if not header:
        return None
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return None


class Faults:
    """The active rules, first match wins; safe to change while requests are answered.

    [decided] W-10: the rules and their counts live in this process, not in the database.
    """

    def __init__(self, rules: list[FaultRule] | None = None, *, rng: random.Random | None = None) -> None:
        self._rules: list[FaultRule] = list(rules or [])
        self._lock = threading.Lock()
        self._random = rng or random.Random()

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        made = rule if isinstance(rule, FaultRule) else rule_from_dict(rule)
        with self._lock:
            self._rules.append(made)
        return made

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            removed = len(kept) != len(self._rules)
            self._rules = kept
            return removed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def take(self, operation: str, account: str, region: str, attempt: int | None) -> FaultRule | None:
        """The rule that applies to this call, counting it; None when no rule fires."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(operation, account, region, attempt):
                    continue
                if rule.probability is not None and self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                return rule
        return None
