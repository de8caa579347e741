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
from typing import TYPE_CHECKING, Any

from openproton.store import Scope
from openproton.store import bundles as render_store
from openproton.store import provisioning as job_store

if TYPE_CHECKING:
    from .call import Call

SETTLE = "settle"
NONE = "none"
CLOUDFORMATION = "cloudformation"
CODEBUILD = "codebuild"
SELF_MANAGED = "self-managed"
JOB_PROVISIONERS = frozenset({CLOUDFORMATION, CODEBUILD, SELF_MANAGED})
# [decided] P-8: the admin interface settles only what no provisioner of its own ends.
SETTLED_BY_HAND = frozenset({SETTLE, SELF_MANAGED, NONE})
# A job's action beside CREATE, UPDATE and DELETE: [decided] P-23, a cancelled self-managed deployment's branch
# to delete after its own job ended.
CANCEL = "CANCEL"
# Call.memo's key for "this call wrote (or changed) a provisioning job": the worker is woken after the commit.
JOBS_POSTED = "jobs-posted"


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


def cancel_job(call: Call, deployment: dict[str, Any]) -> bool:
    """Hand a cancel to the deployment's provisioner. True: it ends the deployment itself ([decided] P-17:
    cloudformation cancels the stack's update and ends as the stack does), which stays CANCELLING meanwhile.
    False: the deployment ends CANCELLED at once (D-2); a codebuild run under way is stopped ([decided] P-20), and
    a self-managed one's branch is still deleted ([decided] P-23) by its job, or by a CANCEL job made now when its
    own job has ended."""
    provisioner = deployment.get("provisioner")
    if provisioner not in (CLOUDFORMATION, SELF_MANAGED, CODEBUILD):
        return False
    flagged = job_store.request_cancel(call.tx, deployment["id"], call.now_ms)
    if provisioner == CLOUDFORMATION:
        call.memo[JOBS_POSTED] = call.memo.get(JOBS_POSTED) or flagged
        return flagged
    if provisioner == CODEBUILD:
        # The run looks for the cancel itself, every second; its callback token goes now, so commands still
        # stopping cannot notify on the resource's next deployment ([decided] P-19: valid during the run).
        job_store.set_run_token(call.tx, deployment["id"], None)
        return False
    if not flagged:
        render = render_store.render(call.tx, deployment["id"])
        if render is None or not render["pushed"]:
            return False  # nothing was pushed: nothing to delete
        scope = Scope(deployment["account_id"], deployment["region"])
        job_store.insert_job(
            call.tx, scope, deployment["id"], SELF_MANAGED, CANCEL, render["pushed"], call.now_ms, cancelled=True
        )
    call.memo[JOBS_POSTED] = True
    return False
