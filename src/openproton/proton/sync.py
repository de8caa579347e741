"""Git sync, assembled: the repository map, the git cache, the runner and its two kinds of work, the poller.

Built once per instance (service.OpenProton.sync). The admin facade offers it to the admin endpoints and the mock
handle; the composition root tells it of sync config changes, after their transaction committed, so that
Create and Update run their unit ([decided] Y-8): in-process before the call answers, in a server in the
background (a client's call never waits for git there).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from openproton.settings import Settings
from openproton.store import Database, Scope, sync_state

from .clock import Clock
from .git_source import GitSource
from .repository_map import MapEntry, RepositoryMap, make_entry, started_with
from .service_sync import ServiceSync
from .sync_calls import SyncCalls
from .sync_runs import SERVICE_SYNC, TEMPLATE_SYNC, Poller, SyncRunner, Unit
from .sync_status import deployment_reader
from .template_sync import TemplateSync
from .templates import Templates

log = logging.getLogger("openproton.sync")

# The operations after which a unit runs, and the sync type of their unit.
CONFIG_OPERATIONS = {
    "CreateTemplateSyncConfig": TEMPLATE_SYNC,
    "UpdateTemplateSyncConfig": TEMPLATE_SYNC,
    "CreateServiceSyncConfig": SERVICE_SYNC,
    "UpdateServiceSyncConfig": SERVICE_SYNC,
}


class Sync:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        calls: SyncCalls,
        families: dict[str, Templates],
    ) -> None:
        self.database = database
        self.clock = clock
        self.map = RepositoryMap(
            started_with(settings.repository_map_file, settings.repository_sources), strict=settings.auth == "strict"
        )
        cache = Path(settings.sync_cache_dir) if settings.sync_cache_dir else None
        self.git = GitSource(cache, timeout_seconds=settings.git_timeout_seconds)
        work = {
            TEMPLATE_SYNC: TemplateSync(database, clock, calls, families),
            SERVICE_SYNC: ServiceSync(database, clock, calls),
        }
        self.runner = SyncRunner(
            database,
            clock,
            self.map,
            self.git,
            work,  # type: ignore[arg-type]
            self._deployments,
            lease_seconds=settings.job_lease_seconds,
        )
        self.poller = Poller(self.runner, settings.sync_interval_seconds)
        self._background: ThreadPoolExecutor | None = None

    def _deployments(self, deployment_id: str) -> tuple[str, str | None, int | None] | None:
        with self.database.transaction(write=False) as tx:
            return deployment_reader(tx, self.clock.now_ms())(deployment_id)

    # -- server mode -------------------------------------------------------------------------------------

    def start_background(self) -> None:
        """Server mode: config changes run their unit on a thread, and the poller starts."""
        if self._background is None:
            self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="openproton-sync")
        self.poller.start()

    def stop(self) -> None:
        self.poller.stop()
        if self._background is not None:
            self._background.shutdown(wait=True, cancel_futures=True)
            self._background = None
        self.git.close()

    # -- what triggers runs ------------------------------------------------------------------------------

    def config_changed(self, account_id: str, region: str, operation: str, params: dict[str, Any]) -> None:
        """[decided] Y-8: a created or updated sync config runs its unit after commit."""
        unit = Unit(
            account_id,
            region,
            params["repositoryProvider"],
            params["repositoryName"],
            params["branch"],
            CONFIG_OPERATIONS[operation],
        )
        try:
            if self._background is None:
                self.runner.run(unit, config_updated=True)
                return
            # Queued before the call answers, run on a thread: a trigger after the answer runs or joins it.
            attempt_id = self.runner.enqueue(unit, config_updated=True)
            if attempt_id is not None:
                self._background.submit(self._wait_logged, unit, attempt_id)
        except Exception:  # a run records its own failures; this is a bug, and must not fail the call
            log.exception("sync run of %s after a config change failed", unit)

    def _wait_logged(self, unit: Unit, attempt_id: str) -> None:
        try:
            self.runner.wait(unit, attempt_id)
        except Exception:
            log.exception("sync run of %s after a config change failed", unit)

    def attempts_of_link(
        self, account_id: str, region: str, provider: str, name: str, *, limit: int
    ) -> list[dict[str, Any]]:
        with self.database.transaction(write=False) as tx:
            rows = sync_state.attempts_of_link(tx, Scope(account_id, region), provider, name, limit)
        return [self.runner.admin_view(row) for row in rows]

    # -- the map -------------------------------------------------------------------------------------------

    def map_entries(self) -> list[MapEntry]:
        return list(self.map.entries(self.database).values())

    def map_repository(
        self, provider: str, name: str, url: str, *, mode: str = "branch", accounts: list[str] | None = None
    ) -> MapEntry:
        """Raises RepositoryMapError for an entry that cannot be used."""
        return self.map.put(self.database, make_entry(provider, name, url, mode, accounts), self.clock.now_ms())

    def unmap_repository(self, provider: str, name: str) -> bool:
        return self.map.remove(self.database, provider, name, self.clock.now_ms())
