"""The admin surface: what OpenProton offers beyond the AWS API, in one place.

The HTTP endpoints under /_openproton/ (transports/admin.py), the mock handle (transports/mock.py) and the web
console all reach state beyond the API through `Admin`, never through the families themselves. So each thing is
offered once, the transports only translate (JSON and status codes, or Python calls), and a new admin thing
(the repository map, sync runs, rendered files, run logs) is one more collaborator given to `__init__` and one
more section of methods here, which every transport then exposes in its own form.

Nothing here checks who is asking or whether an action is allowed on this deployment: that is the transport's
business (the admin token, the browser guard and `reset_enabled` are HTTP concerns; the mock's owner holds the
whole process).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from openproton.protocol.faults import FaultRule, Faults
from openproton.store import Database
from openproton.store import bundles as render_store
from openproton.store import deployments as deployment_store

from .audit import AuditLog
from .clock import Clock
from .deployments import SettlePolicy
from .events import connection_history, read_events
from .provisioners import SETTLE
from .provisioning import Provisioning
from .repository_map import MapEntry
from .sync import Sync


class DeploymentDesk(Protocol):
    """What the admin surface needs of the deployments family: its settle policy and its deployments under way."""

    @property
    def started_with(self) -> SettlePolicy: ...

    def read_policy(self, database: Database) -> SettlePolicy: ...

    def set_policy(self, database: Database, policy: SettlePolicy | None) -> SettlePolicy: ...

    def under_way(self, database: Database, now_ms: int) -> list[dict[str, Any]]: ...

    def settle(
        self,
        database: Database,
        now_ms: int,
        deployment_id: str,
        *,
        status: str,
        message: str | None,
        outputs: list[dict[str, Any]] | None,
        provisioned_resources: list[dict[str, Any]] | None,
    ) -> dict[str, Any]: ...


class Admin:
    """Built once per instance (service.OpenProton.admin) from the parts it reads and drives."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        audit: AuditLog,
        faults: Faults,
        deployments: DeploymentDesk,
        sync: Sync,
        provisioning: Provisioning,
    ) -> None:
        self._provisioning = provisioning
        self.database = database
        self._sync = sync
        self.clock = clock
        self._audit = audit
        self._deployments = deployments
        # The mock handle hands out the rules object itself (`mock.faults.add(...)`), so it is public.
        self.faults = faults

    # -- the whole state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Delete every row, keeping the schema. Unconditional: the HTTP endpoint checks `reset_enabled`."""
        self.database.reset()

    # -- events and the audit log ------------------------------------------------------------------------

    def events(self, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Status-change events of environment account connections, oldest first."""
        return read_events(self.database, after_seq=after_seq, limit=limit)

    def connection_history(self, connection_id: str) -> list[dict[str, Any]]:
        """One connection's events, oldest first."""
        return connection_history(self.database, connection_id)

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """The audit log of mutating calls, every account and region, oldest first."""
        return self._audit.entries(after_seq=after_seq, limit=limit)

    def audit_of_account(self, account_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """One account's latest audit entries, newest first."""
        return self._audit.latest_of_account(account_id, limit=limit)

    # -- fault rules -------------------------------------------------------------------------------------

    def fault_rules(self) -> list[FaultRule]:
        return self.faults.rules()

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Raises FaultRuleError for a rule that cannot be used."""
        return self.faults.add(rule)

    def remove_fault(self, rule_id: str) -> bool:
        """Whether a rule of that id was there."""
        return self.faults.remove(rule_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- deployments: the settle policy and settling by hand ---------------------------------------------

    def settle_policy(self) -> SettlePolicy:
        """The policy deployments that start now will end by."""
        return self._deployments.read_policy(self.database)

    def settle_policy_started_with(self) -> SettlePolicy:
        """The policy this process started with, which clearing the run-time one returns to."""
        return self._deployments.started_with

    def set_settle_policy(self, policy: SettlePolicy) -> SettlePolicy:
        """Set the run-time policy (in the database, so every replica follows it); returns the one now in force."""
        return self._deployments.set_policy(self.database, policy)

    def clear_settle_policy(self) -> SettlePolicy:
        """Return to the policy this process started with, and return it."""
        return self._deployments.set_policy(self.database, None)

    def deployments_under_way(self) -> list[dict[str, Any]]:
        """Deployments that have not ended, every account and region, oldest first."""
        return self._deployments.under_way(self.database, self.clock.now_ms())

    def settle(
        self,
        deployment_id: str,
        *,
        status: str = "SUCCEEDED",
        message: str | None = None,
        outputs: list[dict[str, Any]] | None = None,
        provisioned_resources: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """End a deployment under way as SUCCEEDED or FAILED, with what it produced.

        Raises LookupError when there is no such deployment and SettlePolicyError when the settlement cannot be
        used (a bad status or field, or a deployment that has already ended).
        """
        return self._deployments.settle(
            self.database,
            self.clock.now_ms(),
            deployment_id,
            status=status,
            message=message,
            outputs=outputs,
            provisioned_resources=provisioned_resources,
        )

    # -- git sync: the repository map and runs ([decided] Y-6, Y-8) ----------------------------------------

    def repository_map(self) -> list[MapEntry]:
        """The map in force: run-time entries over those given at start."""
        return self._sync.map_entries()

    def map_repository(
        self, provider: str, name: str, url: str, *, mode: str = "branch", accounts: list[str] | None = None
    ) -> MapEntry:
        """Map a link to a git remote for every replica; raises RepositoryMapError for an unusable entry."""
        return self._sync.map_repository(provider, name, url, mode=mode, accounts=accounts)

    def unmap_repository(self, provider: str, name: str) -> bool:
        """Whether the key was mapped."""
        return self._sync.unmap_repository(provider, name)

    def sync_repository(
        self,
        provider: str,
        name: str,
        *,
        account_id: str | None = None,
        region: str | None = None,
        branch: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run the matching units to their end; raises SyncRefused (404 unlinked, 409 unmapped)."""
        return self._sync.runner.trigger(provider, name, account_id=account_id, region=region, branch=branch)

    def poll_repositories(self) -> int:
        """One poll of every mapped remote, as the server's poller does; the number of runs."""
        return self._sync.runner.poll_once()

    # -- what deployments rendered and logged ([decided] P-6) ---------------------------------------------

    def rendered(self, deployment_id: str) -> dict[str, Any] | None:
        """`{deploymentId, provisioner, files: [{path, content}]}` and, once a self-managed deployment's branch is
        pushed ([decided] P-22), `pushed: {key, branch, target, commit}`; None when the deployment rendered nothing."""
        with self.database.transaction(write=False) as tx:
            row = render_store.render(tx, deployment_id)
        if row is None:
            return None
        found = {"deploymentId": deployment_id, "provisioner": row["provisioner"], "files": orjson.loads(row["files"])}
        if row["pushed"]:
            found["pushed"] = orjson.loads(row["pushed"])
        return found

    def provisioner(self, deployment_id: str) -> str | None:
        """[decided] P-8: what ends the deployment, fixed when it started (a deletion renders nothing, so its
        render cannot say); None for an unknown deployment."""
        with self.database.transaction(write=False) as tx:
            row = deployment_store.find(tx, deployment_id)
        return None if row is None else str(row["provisioner"] or SETTLE)

    def wait_for_jobs(self, deployment_id: str | None, timeout: float) -> None:
        """Until the deployment's provisioning job (or every job) ended; TimeoutError past `timeout`."""
        self._provisioning.wait(deployment_id, timeout)

    def log(self, deployment_id: str) -> str | None:
        """The provisioner's log of the deployment, or None when it has none."""
        with self.database.transaction(write=False) as tx:
            row = render_store.render(tx, deployment_id)
        return None if row is None else row["log"]

    def sync_attempts(
        self, account_id: str, region: str, provider: str, name: str, *, limit: int = 10
    ) -> list[dict[str, Any]]:
        """One link's latest repository attempts (every unit), newest first, each with its resource attempts."""
        return self._sync.attempts_of_link(account_id, region, provider, name, limit=limit)
