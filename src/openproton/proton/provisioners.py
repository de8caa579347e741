"""Which provisioner runs a deployment ([decided] P-8), fixed when it starts, and where its job is announced.

Without a bundle a deployment ends by the settle policy (`settle`); a customer-managed environment's by nothing
(`none`: it succeeds at once with its spec's outputs); otherwise its folder's method picks `cloudformation`,
`codebuild` or `self-managed` when the administrator enabled it (`--provisioners`), else `settle`. The three
run as jobs (P-10): written in the transaction that starts the deployment, run by a worker (provisioning.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SETTLE = "settle"
NONE = "none"
CLOUDFORMATION = "cloudformation"
CODEBUILD = "codebuild"
SELF_MANAGED = "self-managed"
JOB_PROVISIONERS = frozenset({CLOUDFORMATION, CODEBUILD, SELF_MANAGED})
# [decided] P-8: the admin interface settles only what no provisioner of its own ends.
SETTLED_BY_HAND = frozenset({SETTLE, SELF_MANAGED, NONE})


@dataclass(frozen=True, slots=True)
class Prepared:
    """How a deployment starting now is run: its provisioner, why it fails at once (a render that failed), the
    state its job starts with, and (customer-managed) the outputs it succeeds with."""

    provisioner: str
    failure: str | None = None
    job: dict[str, Any] | None = None
    outputs: list[dict[str, str]] | None = None


class JobBoard:
    """Where the transaction that writes a job and the worker that runs it meet: `posted` after a commit wakes
    the worker at once rather than at its next poll."""

    def __init__(self) -> None:
        self._posted = threading.Event()
        self._also: list[Callable[[], None]] = []

    def also_wake(self, wake: Callable[[], None]) -> None:
        """Call `wake` on every post as well: a worker in a process of its own cannot wait on this board."""
        self._also.append(wake)

    def posted(self) -> None:
        self._posted.set()
        for wake in self._also:
            wake()

    def take(self) -> bool:
        """Whether a job was posted since the last take (in-process `sync` mode runs them after the call)."""
        posted = self._posted.is_set()
        self._posted.clear()
        return posted

    def wait(self, timeout: float) -> None:
        self._posted.wait(timeout)
        self._posted.clear()
