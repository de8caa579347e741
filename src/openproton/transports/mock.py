"""`mock_proton()`: fresh, isolated, in-memory Proton for one test, through the real wire format.

    with mock_proton() as proton:
        client = boto3.client("proton", region_name="us-east-1")
        client.create_environment_account_connection(...)

Each use gets its own in-memory SQLite database, copied from a template migrated once per process, so a
test pays for a page copy rather than for migrations.
"""

from __future__ import annotations

import functools
import inspect
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from openproton.protocol.faults import Faults
from openproton.protocol.pipeline import HttpRequest, HttpResponse
from openproton.proton.clock import Clock
from openproton.proton.deployments import SettlePolicy
from openproton.service import OpenProton
from openproton.settings import Settings
from openproton.store import Database

from .botocore_hook import INTERCEPTOR, register_on_session

F = TypeVar("F", bound=Callable[..., Any])

# Signing needs some credentials; requests never leave the process, so fake ones are safe. Real ones in the
# environment are left alone (a 12-digit key still chooses the account).
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class _MemoryDatabases:
    """The in-memory databases mocks run on, each a copy of one migrated template. A copy's first statement
    costs SQLite a parse of the whole schema (about 0.3 ms, most of a test's isolation), so a database goes back
    for the next mock once its rows are wiped (a mock that wrote nothing needs no wipe at all). A database whose
    schema changed, or that an SQLAlchemy engine took hold of (reset, export, import), is closed instead."""

    KEEP = 8  # databases kept for reuse (mocks may nest or run on several threads)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._template: sqlite3.Connection | None = None
        self._wipe: list[str] = []
        self._free: list[sqlite3.Connection] = []
        # id(connection) -> (its total_changes when it was last clean, its schema cookie then)
        self._clean: dict[int, tuple[int, int]] = {}

    def take(self) -> Database:
        with self._lock:
            if self._template is None:
                template = sqlite3.connect(":memory:", check_same_thread=False)
                Database.in_memory(template).migrate()
                tables = template.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                self._wipe = [f'DELETE FROM "{name}"' for (name,) in tables if name != "alembic_version"]
                self._template = template
            if self._free:
                raw = self._free.pop()
            else:
                raw = sqlite3.connect(":memory:", check_same_thread=False)
                self._template.backup(raw)
                self._clean[id(raw)] = _marks(raw)
        return Database.in_memory(raw)

    def give_back(self, database: Database) -> None:
        raw = database.memory_connection
        if raw is None:
            return
        with self._lock:
            clean = self._clean.pop(id(raw), None)
        try:
            if database.engine_made or clean is None or not self._wiped(raw, clean):
                raw.close()
                return
        except sqlite3.Error:
            raw.close()
            return
        with self._lock:
            if len(self._free) >= self.KEEP:
                raw.close()
                return
            self._clean[id(raw)] = _marks(raw)
            self._free.append(raw)

    def _wiped(self, raw: sqlite3.Connection, clean: tuple[int, int]) -> bool:
        """Whether `raw` is as the template is: its rows deleted if it changed any, its schema untouched."""
        if raw.in_transaction:
            raw.rollback()
        changes, schema = _marks(raw)
        if schema != clean[1]:
            return False
        if changes != clean[0]:
            raw.execute("BEGIN IMMEDIATE")
            for statement in self._wipe:
                raw.execute(statement)
            raw.execute("COMMIT")
        return True


def _marks(raw: sqlite3.Connection) -> tuple[int, int]:
    """What says whether a database changed: rows changed so far, and the schema cookie."""
    return raw.total_changes, int(raw.execute("PRAGMA schema_version").fetchone()[0])


_DATABASES = _MemoryDatabases()


def fresh_database() -> Database:
    """An in-memory database at the newest schema, empty, for an OpenProton built by hand (not handed back)."""
    return _DATABASES.take()


class ProtonMock:
    """A started mock answers every Proton request made by botocore in this process."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self._settings = settings or Settings(database_url="sqlite://")
        self._clock = clock
        self.service: OpenProton | None = None
        self._saved_env: dict[str, str | None] = {}

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> ProtonMock:
        if self.service is not None:
            raise RuntimeError("this mock_proton is already started")
        self.service = OpenProton(self._settings, _DATABASES.take(), self._clock)
        self._saved_env = {}
        if "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_PROFILE" not in os.environ:
            for name, value in _FAKE_CREDENTIALS.items():
                self._saved_env[name] = os.environ.get(name)
                os.environ[name] = value
        _attach_default_session()
        INTERCEPTOR.push(self)
        if self._settings.provisioning_mode == "thread":
            self.service.provisioning.start()  # [decided] P-12
        return self

    def stop(self) -> None:
        if self.service is None:
            return
        INTERCEPTOR.remove(self)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.service.provisioning.stop()
        self.service.sync.stop()  # its disposable git cache goes
        self.service.database.dispose()
        _DATABASES.give_back(self.service.database)
        self.service = None

    def __enter__(self) -> ProtonMock:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """As a decorator: every call of `func` runs inside its own fresh mock."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with ProtonMock(self._settings, self._clock):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with ProtonMock(self._settings, self._clock):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]

    # -- what the transport and tests use -----------------------------------------------------------
    # Beyond handle(), each is the admin facade (service.admin, proton/admin.py) in Python form, as the
    # /_openproton/ endpoints are in JSON form.

    def handle(self, request: HttpRequest) -> HttpResponse:
        if self.service is None:
            raise RuntimeError("mock_proton is not started")
        return self.service.handle(request)

    def events(self, after_seq: int = 0) -> list[dict[str, Any]]:
        """Status-change events of environment account connections, oldest first."""
        return self._started().admin.events(after_seq=after_seq)

    @property
    def faults(self) -> Faults:
        """The fault rules: `mock.faults.add({"action": "throttle", "operation": "Get*", "count": 1})`."""
        return self._started().admin.faults

    def audit(self, after_seq: int = 0) -> list[dict[str, Any]]:
        """The audit log of mutating calls, oldest first."""
        return self._started().admin.audit_entries(after_seq=after_seq)

    # -- deployments ---------------------------------------------------------------------------------

    def settle_policy(self) -> SettlePolicy:
        """The policy deployments that start now will end by."""
        return self._started().admin.settle_policy()

    def set_settle_policy(self, policy: str, *, delay_seconds: float = 0, message: str | None = None) -> SettlePolicy:
        """`succeed` or `fail` after `delay_seconds`, or `manual`: deployments wait for `settle()`."""
        admin = self._started().admin
        chosen = SettlePolicy.from_dict({"policy": policy, "delaySeconds": delay_seconds, "message": message})
        return admin.set_settle_policy(chosen)

    def deployments_under_way(self) -> list[dict[str, Any]]:
        """Deployments that have not ended, oldest first (as GET /_openproton/deployments shows them)."""
        return self._started().admin.deployments_under_way()

    def settle(
        self,
        deployment_id: str,
        status: str = "SUCCEEDED",
        *,
        message: str | None = None,
        outputs: list[dict[str, Any]] | None = None,
        provisioned_resources: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """End a deployment under way as SUCCEEDED or FAILED, with the outputs and resources it produced."""
        return self._started().admin.settle(
            deployment_id,
            status=status,
            message=message,
            outputs=outputs,
            provisioned_resources=provisioned_resources,
        )

    # -- git sync ([decided] Y-6, Y-8) ------------------------------------------------------------------

    def map_repository(
        self, provider: str, name: str, url: str, *, mode: str = "branch", accounts: list[str] | None = None
    ) -> dict[str, Any]:
        """Map a repository link (`"GITHUB", "owner/repo"`) to a git remote: a path, `file://`, `https://` ..."""
        return self._started().admin.map_repository(provider, name, url, mode=mode, accounts=accounts).to_dict()

    def unmap_repository(self, provider: str, name: str) -> bool:
        return self._started().admin.unmap_repository(provider, name)

    def repository_map(self) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in self._started().admin.repository_map()]

    def sync_repository(
        self,
        provider: str,
        name: str,
        branch: str | None = None,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run the repository's sync units to their end; their attempts, as the admin endpoint answers.

        Raises SyncRefused when no account links the repository or it is not mapped."""
        return self._started().admin.sync_repository(
            provider, name, account_id=account_id, region=region, branch=branch
        )

    def poll_repositories(self) -> int:
        """Fetch every mapped remote once and run the units whose heads moved, as a server's poller does."""
        return self._started().admin.poll_repositories()

    def wait(self, deployment_id: str | None = None, timeout: float = 60) -> None:
        """[decided] P-12: return once the deployment's provisioning job (or every job) ended; TimeoutError if not
        within `timeout` seconds."""
        self._started().admin.wait_for_jobs(deployment_id, timeout)

    def rendered(self, deployment_id: str) -> dict[str, Any] | None:
        """[decided] P-6: what the deployment rendered (`{deploymentId, provisioner, files}`), or None."""
        return self._started().admin.rendered(deployment_id)

    def log(self, deployment_id: str) -> str | None:
        """[decided] P-6: the provisioner's log of the deployment, or None."""
        return self._started().admin.log(deployment_id)

    def _started(self) -> OpenProton:
        if self.service is None:
            raise RuntimeError("mock_proton is not started")
        return self.service

    def reset(self) -> None:
        """Delete every row (a mock that is not started has nothing to reset)."""
        if self.service is not None:
            self.service.admin.reset()


def _attach_default_session() -> None:
    """boto3's default session may predate our import; give it the handler too."""
    import sys

    boto3 = sys.modules.get("boto3")
    session = getattr(boto3, "DEFAULT_SESSION", None) if boto3 is not None else None
    if session is not None:
        register_on_session(session._session)


@overload
def mock_proton(func: F, /) -> F: ...
@overload
def mock_proton(*, settings: Settings | None = None, clock: Clock | None = None) -> ProtonMock: ...


def mock_proton(
    func: Callable[..., Any] | None = None, /, *, settings: Settings | None = None, clock: Clock | None = None
) -> Any:
    """A context manager, decorator (`@mock_proton` or `@mock_proton()`) or handle with start()/stop()."""
    mock = ProtonMock(settings, clock)
    if func is not None:
        return mock(func)
    return mock
