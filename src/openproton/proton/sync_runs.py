"""Sync runs ([decided] Y-7, Y-8, Y-9): one unit at a time across replicas, git outside every transaction.

A **unit** is an account and region's link, a branch a sync config names, and a sync type. A run fetches the
mapped remote into the disposable cache, then hands the heads to the unit's work (template_sync.py or
service_sync.py), which evaluates every target and changes those whose desired state differs.

One run per unit at a time: the unit's lease row is claimed by one conditional UPDATE (P-11), renewed every
third of its length on a thread while the run lasts, and released at its end; no transaction stays open while
git runs. A run asked for while another holds the lease becomes a QUEUED repository attempt, which later
requests join; whichever waiter claims the lease next runs it. The poller picks up queued attempts whose
requesters went away.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from openproton.store import Database, Scope
from openproton.store import sync_state as store
from openproton.store.leases import database_now_ms
from openproton.store.sql import Tx

from .clock import Clock
from .git_source import GitError, GitSource, valid_branch
from .leases import holding
from .repository_map import MapEntry, RepositoryMap, map_key
from .sync_view import ENDED, DeploymentReader, admin_attempt, event, resource_attempt

log = logging.getLogger("openproton.sync")

TEMPLATE_SYNC, SERVICE_SYNC = "TEMPLATE_SYNC", "SERVICE_SYNC"
QUEUED, INITIATED, IN_PROGRESS, SUCCEEDED, FAILED = "QUEUED", "INITIATED", "IN_PROGRESS", "SUCCEEDED", "FAILED"
_WAIT_STEP_SECONDS = 0.05


def _lock_key(unit: Unit) -> str:
    return "sync-unit:" + "|".join(unit.columns().values())


class SyncRefused(Exception):
    """A trigger that cannot run: `status` is the admin endpoint's (404 nobody links it, 409 unmapped)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Unit:
    account_id: str
    region: str
    repository_provider: str
    repository_name: str
    branch: str
    sync_type: str

    @property
    def scope(self) -> Scope:
        return Scope(self.account_id, self.region)

    def columns(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in store.UNIT_COLUMNS}

    @property
    def key(self) -> str:
        return map_key(self.repository_provider, self.repository_name)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one fetch found: the heads of every branch, and the cache to read their objects from."""

    git: GitSource
    key: str
    heads: dict[str, str]

    def head(self, branch: str) -> str | None:
        return self.heads.get(branch) if valid_branch(branch) else None


class AttemptLog:
    """The repository attempt of a run, its events written as they happen (reads see the run progress)."""

    def __init__(self, database: Database, clock: Clock, attempt_id: str) -> None:
        self.database = database
        self.clock = clock
        self.id = attempt_id
        self.failed = False

    def add(self, kind: str, text: str, external_id: str | None = None, *, status: str | None = None) -> None:
        with self.database.transaction(write=True) as tx:
            row = store.get_attempt(tx, self.id)
            if row is None:  # the link went while the run went on: its attempts went with it
                return
            events = [*json.loads(row["events"]), event(kind, text, self.clock.now_ms(), external_id)]
            changes: dict[str, Any] = {"events": json.dumps(events)}
            if status is not None:
                changes["status"] = status
            store.update_attempt(tx, self.id, changes)

    def finish(self) -> None:
        with self.database.transaction(write=True) as tx:
            if store.get_attempt(tx, self.id) is not None:
                store.update_attempt(tx, self.id, {"status": FAILED if self.failed else SUCCEEDED})

    def fail(self, kind: str, text: str, external_id: str | None = None) -> None:
        """An event that fails the run (an unusable OPS file, say); the run goes on with other targets."""
        self.failed = True
        self.add(kind, text, external_id)


class UnitWork(Protocol):
    """What a sync type does with a fetched unit (template_sync.TemplateSync, service_sync.ServiceSync)."""

    def relevant_heads(self, unit: Unit, heads: dict[str, str]) -> dict[str, str]: ...

    def evaluate(self, unit: Unit, snapshot: Snapshot, attempt: AttemptLog) -> None: ...


class SyncRunner:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        repository_map: RepositoryMap,
        git: GitSource,
        work: dict[str, UnitWork],
        deployments: DeploymentReader,
        *,
        lease_seconds: float,
    ) -> None:
        self.database = database
        self.clock = clock
        self.map = repository_map
        self.git = git
        self.work = work
        self.deployments = deployments
        self.lease_ms = round(lease_seconds * 1000)
        self.owner = f"openproton-{uuid.uuid4()}"

    # -- which units -------------------------------------------------------------------------------------

    def _entry_for(self, unit: Unit) -> MapEntry | None:
        """[decided] Y-7: the unit's map entry, if one serves its account; else it is unmapped."""
        entry = self.map.lookup(self.database, unit.repository_provider, unit.repository_name)
        if entry is None or not entry.serves(unit.account_id, strict=self.map.strict):
            return None
        return entry

    def units(
        self, provider: str, name: str, *, account_id: str | None = None, region: str | None = None
    ) -> list[Unit]:
        with self.database.transaction(write=False) as tx:
            rows = store.units_of_repository(tx, provider, name)
        return [
            Unit(**{k: row[k] for k in store.UNIT_COLUMNS})
            for row in rows
            if (account_id is None or row["account_id"] == account_id) and (region is None or row["region"] == region)
        ]

    def trigger(
        self,
        provider: str,
        name: str,
        *,
        account_id: str | None = None,
        region: str | None = None,
        branch: str | None = None,
    ) -> list[dict[str, Any]]:
        """[decided] Y-8: run every matching unit to its end; one attempt per unit run."""
        key = map_key(provider, name)
        provider = key.partition(":")[0]
        with self.database.transaction(write=False) as tx:
            scopes = [
                row
                for row in store.linking_scopes(tx, provider, name)
                if (account_id is None or row["account_id"] == account_id)
                and (region is None or row["region"] == region)
            ]
        if not scopes:
            raise SyncRefused(404, f"No account links the repository {key}.")
        entry = self.map.lookup(self.database, provider, name)
        if entry is None or not any(entry.serves(s["account_id"], strict=self.map.strict) for s in scopes):
            raise SyncRefused(409, f"The repository {key} is not mapped to a git remote (see the repository map).")
        units = [
            unit
            for unit in self.units(provider, name, account_id=account_id, region=region)
            if (branch is None or unit.branch == branch) and entry.serves(unit.account_id, strict=self.map.strict)
        ]
        results = [self.run(unit) for unit in units]
        return [result for result in results if result is not None]

    # -- one run ---------------------------------------------------------------------------------------------

    def run(self, unit: Unit, *, config_updated: bool = False) -> dict[str, Any] | None:
        """Run the unit to its end (or join the queued run); its attempt, or None when it is unmapped."""
        if self._entry_for(unit) is None:
            return None
        self._ensure_unit(unit)
        if self._claim(unit):
            queued = self._read(lambda tx: store.queued_attempt(tx, unit.columns()))
            return self._run_claimed(unit, queued["id"] if queued else None, config_updated)
        return self.wait(unit, self._join_queue(unit, config_updated))

    def enqueue(self, unit: Unit, *, config_updated: bool = False) -> str | None:
        """A QUEUED attempt of the unit (made, or joined), for a run that `wait` or a trigger will start; None when
        the unit is unmapped. A server queues a config change's run before answering, so a trigger that comes
        after the answer runs it (or waits for it), never before it."""
        if self._entry_for(unit) is None:
            return None
        self._ensure_unit(unit)
        return self._join_queue(unit, config_updated)

    def wait(self, unit: Unit, attempt_id: str) -> dict[str, Any] | None:
        """Wait for a queued attempt to end, running it when the unit's lease comes free first."""
        deadline = time.monotonic() + max(600.0, 3 * self.lease_ms / 1000)
        while time.monotonic() < deadline:
            row = self._read(lambda tx: store.get_attempt(tx, attempt_id))
            if row is None:
                return None  # the link went meanwhile, and its attempts with it
            if row["status"] in ENDED:
                return self.admin_view(row)
            if row["status"] == QUEUED and self._claim(unit):
                return self._run_claimed(unit, attempt_id, False)
            time.sleep(_WAIT_STEP_SECONDS)
        row = self._read(lambda tx: store.get_attempt(tx, attempt_id))
        return None if row is None else self.admin_view(row)

    def _read(self, query: Callable[[Any], Any]) -> Any:
        with self.database.transaction(write=False) as tx:
            return query(tx)

    def _ensure_unit(self, unit: Unit) -> None:
        with self.database.transaction(write=True) as tx:
            self.database.lock(tx, _lock_key(unit))  # two replicas making the same row: one at a time
            store.ensure_unit(tx, unit.columns())

    def _claim(self, unit: Unit) -> bool:
        with self.database.transaction(write=True) as tx:
            now = database_now_ms(tx)
            # [decided] Y-8: a unit's run holds P-11's lease.
            return store.UNIT_LEASES.claim(tx, unit.columns(), self.owner, now, now + self.lease_ms)

    def _join_queue(self, unit: Unit, config_updated: bool) -> str:
        """[decided] Y-8: the one QUEUED attempt of the unit, made by the first request that found it busy."""
        with self.database.transaction(write=True) as tx:
            self.database.lock(tx, _lock_key(unit))
            queued = store.queued_attempt(tx, unit.columns())
            updated = [event("CONFIG_UPDATED", "Updated configuration", self.clock.now_ms())] if config_updated else []
            if queued is not None:
                events = json.loads(queued["events"])
                if updated and not events:
                    store.update_attempt(tx, queued["id"], {"events": json.dumps(updated)})
                return str(queued["id"])
            attempt_id = str(uuid.uuid4())
            store.insert_attempt(
                tx,
                {
                    "id": attempt_id,
                    **unit.columns(),
                    "status": QUEUED,
                    "started_at": self.clock.now_ms(),
                    "events": json.dumps(updated),
                },
            )
            return attempt_id

    def _lease(self, unit: Unit) -> Any:
        """Renew the lease every third of its length while the run lasts; release it at the end."""
        return holding(
            self.database, store.UNIT_LEASES, unit.columns(), self.owner, self.lease_ms, name="openproton-sync-lease"
        )

    def _run_claimed(self, unit: Unit, attempt_id: str | None, config_updated: bool) -> dict[str, Any] | None:
        with self._lease(unit):
            attempt_id = self._start_attempt(unit, attempt_id)
            attempt = AttemptLog(self.database, self.clock, attempt_id)
            if config_updated:  # a queued attempt of a config change carries it already
                attempt.add("CONFIG_UPDATED", "Updated configuration")
            attempt.add("CLONE_STARTED", "Clone started")
            try:
                self._fetch_and_evaluate(unit, attempt)
            except Exception:
                log.exception("sync run of %s failed", unit)
                attempt.failed = True
                attempt.add("SYNC_FAILED", "Sync failed: an internal error (see the server log)")
            attempt.finish()
            row = self._read(lambda tx: store.get_attempt(tx, attempt_id))
        return None if row is None else self.admin_view(row)

    def _start_attempt(self, unit: Unit, attempt_id: str | None) -> str:
        with self.database.transaction(write=True) as tx:
            if attempt_id is not None and store.get_attempt(tx, attempt_id) is not None:
                # A queued attempt starts now: its requesters see it run.
                store.update_attempt(tx, attempt_id, {"status": INITIATED, "started_at": self.clock.now_ms()})
                return attempt_id
            attempt_id = str(uuid.uuid4())
            store.insert_attempt(
                tx,
                {
                    "id": attempt_id,
                    **unit.columns(),
                    "status": INITIATED,
                    "started_at": self.clock.now_ms(),
                    "events": "[]",
                },
            )
            return attempt_id

    def _fetch_and_evaluate(self, unit: Unit, attempt: AttemptLog) -> None:
        entry = self._entry_for(unit)
        if entry is None:
            attempt.fail("CLONE_FAILED", f"Clone failed: {unit.key} is no longer mapped to a git remote")
            return
        try:
            heads = self.git.fetch(entry.key, entry.url, display=unit.key)
        except GitError as error:
            attempt.fail("CLONE_FAILED", f"Clone failed: {error}")
            return
        snapshot = Snapshot(self.git, entry.key, heads)
        head = snapshot.head(unit.branch)
        if head is None:
            attempt.fail("CLONE_FAILED", f"Clone failed: branch {unit.branch} not found")
            return
        attempt.add("STARTING_SYNC", f"Starting syncs for commit {head}", head, status=IN_PROGRESS)
        self.work[unit.sync_type].evaluate(unit, snapshot, attempt)
        relevant = self.work[unit.sync_type].relevant_heads(unit, heads)
        with self.database.transaction(write=True) as tx:
            store.set_heads(tx, unit.columns(), json.dumps(relevant, sort_keys=True))

    # -- polling ----------------------------------------------------------------------------------------------

    def poll_once(self) -> int:
        """[decided] Y-8: fetch every mapped remote once; run the units whose heads moved (or that have a queued
        attempt nobody runs). Returns the number of runs."""
        runs = 0
        for entry in self.map.entries(self.database).values():
            provider, name = entry.provider, entry.name
            units = [u for u in self.units(provider, name) if entry.serves(u.account_id, strict=self.map.strict)]
            if not units:
                continue
            try:
                heads = self.git.fetch(entry.key, entry.url, display=entry.key)
            except GitError:
                heads = None  # each unit's run records the failure, once per change of the remote
            for unit in units:
                row = self._read(lambda tx, u=unit: store.get_unit(tx, u.columns()))
                seen = json.loads(row["heads"]) if row and row["heads"] else None
                queued = self._read(lambda tx, u=unit: store.queued_attempt(tx, u.columns()))
                moved = heads is not None and self.work[unit.sync_type].relevant_heads(unit, heads) != seen
                if moved or queued is not None:
                    self.run(unit)
                    runs += 1
        return runs

    # -- reading ------------------------------------------------------------------------------------------------

    def admin_view(self, row: dict[str, Any]) -> dict[str, Any]:
        resources = self._read(lambda tx: store.resource_attempts_of(tx, row["id"]))
        return admin_attempt(row, [resource_attempt(r, self.deployments) for r in resources])


class Poller:
    """The server's background polling, one thread per process ([decided] Y-8: `--sync-interval`)."""

    def __init__(self, runner: SyncRunner, interval_seconds: float) -> None:
        self.runner = runner
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="openproton-sync-poll", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.runner.poll_once()
            except Exception:
                log.exception("sync poll failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def initial_revision(tx: Tx, scope: Scope, sync_type: str, target: str, major: str, desired: dict[str, str]) -> str:
    """[decided] Y-9: that of the target's last SUCCEEDED attempt, else its targetRevision."""
    for row in store.resource_attempts(tx, scope, sync_type, target, major, limit=50):
        if row["status"] == SUCCEEDED:
            return str(row["target_revision"])
    return json.dumps(desired)


def record_resource_attempt(
    tx: Tx,
    unit: Unit,
    attempt_id: str,
    target: str,
    major: str,
    desired: dict[str, str],
    status: str,
    started: int,
    events: list[dict[str, Any]],
    *,
    deployment_id: str | None = None,
) -> None:
    """[decided] Y-9: one resource attempt per target a run changes or fails to change."""
    store.insert_resource_attempt(
        tx,
        {
            "account_id": unit.account_id,
            "region": unit.region,
            "sync_type": unit.sync_type,
            "target": target,
            "major": major,
            "repository_attempt_id": attempt_id,
            "status": status,
            "started_at": started,
            "target_revision": json.dumps(desired),
            "initial_revision": initial_revision(tx, unit.scope, unit.sync_type, target, major, desired),
            "events": json.dumps(events),
            "deployment_id": deployment_id,
        },
    )
