"""The worker that runs provisioning jobs ([decided] P-10 to P-12), whatever their provisioner.

A job is written in the transaction that starts its deployment (deployments.py); the request answers at once.
A worker claims a job by its lease (P-11: one conditional UPDATE against the database's clock), renews it while
the provisioner runs (no transaction is open during any external call), and writes the ending only while it
still holds it: the job row is deleted `WHERE lease_owner = me` in the transaction that ends the deployment, so
a deployment never ends twice across replicas or workers. A job whose holder died is claimable again once its
lease runs out, and the next holder resumes it from the state the provisioner saved before each external call.

Server mode runs a worker for each process (polling every 5 s, woken at once by a job posted there): this worker
thread, in a child process of its own (worker_process.py) unless `--provisioning-worker thread`; in-process,
`sync` mode runs the jobs a call posted before the call returns, `thread` mode a worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from openproton.store import Database, Scope
from openproton.store import bundles as render_store
from openproton.store import deployments as deployment_store
from openproton.store import provisioning as store
from openproton.store.leases import database_now_ms
from openproton.store.sql import Tx

from .clock import Clock
from .deployment_view import FAILED, SUCCEEDED, UNDER_WAY, as_of
from .deployments import Deployments, LeaseLost, SettlePolicyError
from .leases import Held, holding
from .provisioners import JobBoard

log = logging.getLogger("openproton.provisioning")

# [decided] P-10: how often a worker looks for jobs (and a provisioner polls what it started).
POLL_SECONDS = 5.0
# How much lower than the request threads the worker thread is scheduled (Linux: per-thread niceness).
WORKER_NICENESS = 10
# [decided] P-15: the longest status message a provisioner's ending keeps.
MAX_MESSAGE = 5000


@dataclass(frozen=True, slots=True)
class Ending:
    """How a job ended: the deployment's outcome and what it produced."""

    # SUCCEEDED or FAILED (a delete's SUCCEEDED reads DELETE_COMPLETE), CANCELLED (P-17), or None: the job is
    # done and the deployment goes on without it (self-managed: it waits for NotifyResourceDeploymentStatusChange).
    status: str | None
    message: str | None = None
    outputs: list[dict[str, Any]] | None = None
    provisioned_resources: list[dict[str, Any]] | None = None


def failed(message: str) -> Ending:
    return Ending(FAILED, message[:MAX_MESSAGE])


# The job is done; the deployment is left as it is.
HANDED_OVER = Ending(None)


@dataclass
class Job:
    """What a provisioner is handed: the deployment, its rendered files, and the job's saved state."""

    deployment: dict[str, Any]
    action: str  # CREATE, UPDATE, DELETE, or CANCEL (a self-managed branch to delete, P-23)
    state: dict[str, Any]
    files: list[dict[str, str]]
    held: Held
    cancelled: bool  # a cancel arrived before the job was handed over (P-17, P-23)
    _write: Callable[[Callable[[Tx], None]], None] = field(repr=False)
    _sleep: Callable[[float], bool] = field(repr=False)
    _cancelled: Callable[[], bool] = field(repr=False)
    _waiting: Callable[[], AbstractContextManager[None]] = field(repr=False, default=contextlib.nullcontext)

    @property
    def id(self) -> str:
        return str(self.deployment["id"])

    @property
    def scope(self) -> Scope:
        return Scope(self.deployment["account_id"], self.deployment["region"])

    def save(self, **changes: Any) -> None:
        """Keep `changes` in the job's state before an external call, so a restart resumes rather than repeats."""
        self.state.update(changes)
        state = orjson.dumps(self.state).decode()
        self.write(lambda tx: store.set_state(tx, self.id, state))

    def write(self, change: Callable[[Tx], None]) -> None:
        """Run `change` in a transaction of its own while the job's lease is still held (renewing it);
        [decided] P-11: JobLost when another worker has it by now, and this one must stop."""
        self._write(change)

    def sleep(self, seconds: float) -> bool:
        """Wait between polls; False when the worker is stopping or the lease was lost (give up quietly). Other
        jobs take their turn meanwhile (`waiting`)."""
        with self.waiting():
            return bool(self._sleep(seconds))

    def interrupted(self) -> bool:
        """Whether the worker is stopping or lost the job's lease (a provisioner waiting on the world stops)."""
        return not self._sleep(0)

    def waiting(self) -> AbstractContextManager[None]:
        """[decided] P-10: while the job waits on the world (a stack between polls, commands running), another
        job's work goes on; the rest of a job's work takes its turn, one job at a time."""
        return self._waiting()

    def cancel_requested(self) -> bool:
        """Whether a cancel has arrived by now (read again from the database, for a provisioner that polls)."""
        if not self.cancelled:
            self.cancelled = bool(self._cancelled())
        return self.cancelled


class JobLost(Exception):
    """The job's lease passed to another worker (this one was too slow to renew it): stop, write nothing."""


class Provisioner(Protocol):
    # Whether it runs a cancelled job whose deployment has ended (self-managed: to delete its branch, P-23).
    cleans_up: bool

    def run(self, job: Job) -> Ending | None: ...


class Provisioning:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        deployments: Deployments,
        board: JobBoard,
        provisioners: Mapping[str, Provisioner],
        *,
        lease_seconds: float,
        mode: str = "thread",
        poll_seconds: float = POLL_SECONDS,
        server_pid: int | None = None,
        concurrency: int = 8,
    ) -> None:
        self.database = database
        self.clock = clock
        self.deployments = deployments
        self.board = board
        self.provisioners = dict(provisioners)
        self.lease_ms = round(lease_seconds * 1000)
        self.mode = mode
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self._running_lock = threading.Lock()  # guards the four below
        self._running: set[str] = set()  # jobs this worker's pool is running now
        self._targets: dict[str, str] = {}  # target ARN -> the job of this worker working on it
        self._deferred: dict[str, str] = {}  # job -> the target ARN it waits for (another job of ours works on it)
        self._resting: dict[str, float] = {}  # job -> when it may be claimed again (its run raised)
        # [decided] P-10: the pool's jobs work one at a time and wait together: a job holds the turn except while
        # it waits, so jobs whose stacks take minutes overlap, while work that never waits (a stand-in cloud that
        # answers at once) runs one job after another and leaves the CPU to the requests as a single job would.
        self._turn = threading.Lock()
        self._holds_turn = threading.local()
        # One owner per worker, unique across processes and hosts sharing the database; it names the server process
        # it works for (the parent of a worker process: worker_process.py).
        self.owner = f"{socket.gethostname()[:24]}-{server_pid or os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()

    # -- running jobs ----------------------------------------------------------------------------------

    def run_pending(self) -> int:
        """Claim and run every job nobody holds, one after another; the number run (`sync` mode, and `wait`
        when no worker thread runs)."""
        ran = 0
        while not self._stop.is_set():
            claimed = self._claim_next()
            if claimed is None:
                break
            self._run(claimed)
            ran += 1
        with self._idle:
            self._idle.notify_all()
        return ran

    def _claim_next(self) -> str | None:
        """Claim the oldest job nobody holds that this worker may take now; its id, or None. Not one it runs
        already, one waiting for its target (another of its jobs works on that resource), or one resting after a
        run that raised (it is tried again a poll later, not at once and forever)."""
        with self.database.transaction(write=False) as tx:
            candidates = store.claimable(tx, database_now_ms(tx), frozenset(self.provisioners))
        now = time.monotonic()
        with self._running_lock:
            self._resting = {job: until for job, until in self._resting.items() if until > now}
            skip = self._running | self._deferred.keys() | self._resting.keys()
        return next((job_id for job_id in candidates if job_id not in skip and self._claim(job_id)), None)

    def _fill(self, pool: ThreadPoolExecutor) -> None:
        """[decided] P-10: claim jobs while fewer than `concurrency` run, each on a pool thread of its own."""
        while not self._stop.is_set():
            with self._running_lock:
                if len(self._running) >= self.concurrency:
                    return
            claimed = self._claim_next()
            if claimed is None:
                return
            with self._running_lock:
                self._running.add(claimed)
            try:
                pool.submit(self._run_in_pool, claimed)
            except RuntimeError:  # the pool is shutting down: the job goes back for the next claim
                with self._running_lock:
                    self._running.discard(claimed)
                self._drop_lease(claimed)
                return

    def _run_in_pool(self, deployment_id: str) -> None:
        ran = False
        try:
            self._run(deployment_id, pooled=True)
            ran = True
        except Exception:  # the database gone for a moment: the job stays for a later claim
            log.exception("provisioning job %s could not be run", deployment_id)
        finally:
            with self._running_lock:
                self._running.discard(deployment_id)
                if not ran:
                    self._resting[deployment_id] = time.monotonic() + self.poll_seconds
            with self._idle:
                self._idle.notify_all()
            if ran:
                self.board.posted()  # a slot is free: claim the next job now rather than at the next poll

    @contextlib.contextmanager
    def _taking_turn(self) -> Iterator[None]:
        with self._turn:
            self._holds_turn.value = True
            try:
                yield
            finally:
                self._holds_turn.value = False

    def _take_target(self, job: Job) -> bool:
        """Whether the job may work on its resource now: not while another job of this worker does (a cancelled
        CodeBuild run still stopping, say); it then waits, unclaimed, until that job ends."""
        target = str(job.deployment["target_arn"])
        with self._running_lock:
            holder = self._targets.get(target)
            if holder is not None and holder != job.id:
                self._deferred[job.id] = target
                return False
            self._targets[target] = job.id
            return True

    def _free_target(self, deployment_id: str) -> bool:
        """The job's resource is free again; whether jobs waiting for it may now be claimed."""
        with self._running_lock:
            target = next((t for t, holder in self._targets.items() if holder == deployment_id), None)
            if target is None:
                return False
            del self._targets[target]
            waiting = [job for job, wanted in self._deferred.items() if wanted == target]
            for job in waiting:
                del self._deferred[job]
        return bool(waiting)

    def after_call(self) -> None:
        """In-process `sync` mode ([decided] P-12): the jobs a call posted run before the call returns."""
        if self.mode == "sync" and self._thread is None and self.board.take():
            self.run_pending()

    def _claim(self, deployment_id: str) -> bool:
        with self.database.transaction(write=True) as tx:
            now = database_now_ms(tx)
            return store.JOB_LEASES.claim(tx, {"deployment_id": deployment_id}, self.owner, now, now + self.lease_ms)

    def _run(self, deployment_id: str, *, pooled: bool = False) -> None:
        key = {"deployment_id": deployment_id}
        # The lease is renewed from the claim on, while a pooled job still waits for its turn.
        with (
            holding(
                self.database, store.JOB_LEASES, key, self.owner, self.lease_ms, name="openproton-job-lease"
            ) as held,
            self._taking_turn() if pooled else contextlib.nullcontext(),
        ):
            try:
                self._run_held(deployment_id, held)
            finally:
                if self._free_target(deployment_id):
                    self.board.posted()

    def _run_held(self, deployment_id: str, held: Held) -> None:
        first = True
        again = True
        while again:  # once more when a cancel arrived as the job was handed over ([decided] P-23)
            if held.lost.is_set() or self._stop.is_set():
                return  # stopping (or no longer ours) before it starts: the job stays for the next claim
            job = self._job(deployment_id, held)
            if job is None or (first and not self._take_target(job)):
                return
            first = False
            try:
                ending = self.provisioners[job.deployment["provisioner"]].run(job)
            except JobLost:
                return  # [decided] P-11: the job is another worker's now
            except Exception as error:  # a provisioner's own defect must not kill the worker
                log.exception("provisioning job %s failed", deployment_id)
                ending = failed(f"Provisioning failed: {type(error).__name__}")
            if held.lost.is_set() or self._stop.is_set():
                return  # interrupted: the job stays, for whoever claims it next
            if ending is None:
                # A provisioner may answer None only when interrupted; anything else would be claimed again
                # at once, forever.
                ending = failed("Provisioning ended without an outcome")
            again = not self._end(job, ending)

    def _job(self, deployment_id: str, held: Held) -> Job | None:
        with self.database.transaction(write=False) as tx:
            row = store.get_job(tx, deployment_id)
            deployment = deployment_store.find(tx, deployment_id)
            render = render_store.render(tx, deployment_id)
        if row is None:
            return None  # ended meanwhile
        provisioner = self.provisioners[row["provisioner"]]
        under_way = deployment is not None and as_of(deployment, self.clock.now_ms())["status"] in UNDER_WAY
        if deployment is None or not (under_way or (row["cancelled_at"] is not None and provisioner.cleans_up)):
            self._drop(deployment_id)  # deleted, cancelled or settled by other means: nothing left to run
            return None

        def write(change: Callable[[Tx], None]) -> None:
            with self.database.transaction(write=True) as tx:
                until = database_now_ms(tx) + self.lease_ms
                if not store.JOB_LEASES.renew(tx, {"deployment_id": deployment_id}, self.owner, until):
                    held.lost.set()
                    raise JobLost(deployment_id)
                change(tx)

        def sleep(seconds: float) -> bool:
            return not (self._stop.wait(seconds) or held.lost.is_set())

        def cancelled() -> bool:
            with self.database.transaction(write=False) as tx:
                current = store.get_job(tx, deployment_id)
            return current is not None and current["cancelled_at"] is not None

        files = orjson.loads(render["files"]) if render is not None else []
        state = orjson.loads(row["state"])
        is_cancelled = row["cancelled_at"] is not None
        return Job(deployment, row["action"], state, files, held, is_cancelled, write, sleep, cancelled, self._waiting)

    @contextlib.contextmanager
    def _waiting(self) -> Iterator[None]:
        """Give the turn to the next job while this one waits (a job run outside the pool holds none)."""
        if not getattr(self._holds_turn, "value", False):
            yield
            return
        self._holds_turn.value = False
        self._turn.release()
        try:
            yield
        finally:
            self._turn.acquire()
            self._holds_turn.value = True

    def _end(self, job: Job, ending: Ending) -> bool:
        """Write the ending; False when the job must run again (a cancel arrived as it was handed over)."""
        if ending.status is None:
            with self.database.transaction(write=True) as tx:
                if store.finish(tx, job.id, self.owner, unless_cancelled=not job.cancelled):
                    return True
                current = store.get_job(tx, job.id)
            # Still ours and now cancelled: run it again, so its provisioner sees the cancel.
            return not (current is not None and current["lease_owner"] == self.owner)

        def finish(tx: Any) -> bool:
            return store.finish(tx, job.id, self.owner)

        try:
            self.deployments.settle(
                self.database,
                self.clock.now_ms(),
                job.id,
                status=ending.status,
                message=ending.message,
                outputs=ending.outputs,
                provisioned_resources=ending.provisioned_resources,
                guard=finish,
            )
        except LeaseLost:
            log.warning("the lease on job %s ran out before its ending was written; another worker has it", job.id)
        except (SettlePolicyError, LookupError):
            self._drop(job.id)  # it ended meanwhile (a cancel): the job goes
        return True

    def _drop_lease(self, deployment_id: str) -> None:
        with self.database.transaction(write=True) as tx:
            store.JOB_LEASES.release(tx, {"deployment_id": deployment_id}, self.owner)

    def _drop(self, deployment_id: str) -> None:
        with self.database.transaction(write=True) as tx:
            store.finish(tx, deployment_id, self.owner)

    def run_of(self, token_digest: str) -> tuple[str, str, str] | None:
        """[decided] P-19: the (account, region, resource ARN) of the run whose callback token this is."""
        with self.database.transaction(write=False) as tx:
            job = store.job_of_token(tx, token_digest)
            deployment = deployment_store.find(tx, job["deployment_id"]) if job is not None else None
        if deployment is None:
            return None
        return deployment["account_id"], deployment["region"], deployment["target_arn"]

    # -- the worker thread -------------------------------------------------------------------------------

    def start(self) -> None:
        """[decided] P-10: the worker of a server process (or of `thread` mode); it resumes unfinished jobs."""
        if self._thread is not None or not self.provisioners:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="openproton-provisioning", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        # The worker yields the CPU to the threads answering requests ([decided] P-10: it must not starve them);
        # the pool's threads, started from this one, inherit its niceness.
        with contextlib.suppress(AttributeError, OSError, PermissionError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="openproton-job") as pool:
            while not self._stop.is_set():
                try:
                    self._fill(pool)
                except Exception:  # the database gone for a moment: try again at the next poll
                    log.exception("the provisioning worker's poll failed")
                self.board.wait(self.poll_seconds)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self.board.posted()  # wake it
        self._thread.join(timeout=30)
        self._thread = None

    def wait(self, deployment_id: str | None = None, timeout: float = 60.0) -> None:
        """[decided] P-12: return once the deployment's job (or every job) has ended, else TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            with self.database.transaction(write=False) as tx:
                left = store.unfinished(tx)
            if not left or (deployment_id is not None and deployment_id not in left):
                return
            if self._thread is None and self.run_pending():
                continue  # `sync` mode: nothing else would run them
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"provisioning jobs still running after {timeout:g} seconds: {', '.join(left)}")
            with self._idle:
                self._idle.wait(min(remaining, 0.05))


def succeeded(
    outputs: list[dict[str, Any]] | None = None, provisioned_resources: list[dict[str, Any]] | None = None
) -> Ending:
    return Ending(SUCCEEDED, None, outputs, provisioned_resources)
