"""The composition root: settings, database, clock, provider and pipeline, wired once per server or mock."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from openproton.protocol.errors import AccessDeniedException
from openproton.protocol.faults import FaultRule, FaultRuleError, Faults, rule_from_dict
from openproton.protocol.identity import Caller, DefaultIdentity
from openproton.protocol.model import ServiceIndex, load_service_model
from openproton.protocol.pipeline import HttpRequest, HttpResponse, Identity, Pipeline, RequestContext
from openproton.protocol.ratelimit import RateLimiter
from openproton.protocol.serializer import OutputSerializer
from openproton.protocol.sigv4 import StrictIdentity, load_credentials
from openproton.protocol.validator import InputValidator
from openproton.proton.admin import Admin
from openproton.proton.audit import AuditLog
from openproton.proton.clock import Clock, SystemClock
from openproton.proton.cloudformation import CloudFormation
from openproton.proton.codebuild import CodeBuild, token_digest
from openproton.proton.provider import ProtonProvider
from openproton.proton.provisioning import Provisioning
from openproton.proton.provisioning_roles import Roles
from openproton.proton.self_managed import SelfManaged
from openproton.proton.sync import CONFIG_OPERATIONS, Sync
from openproton.proton.sync_calls import SyncCalls
from openproton.proton.worker_process import WorkerProcess
from openproton.settings import Settings, SettingsError
from openproton.store import Database
from openproton.store.database import sqlite_path

SERVICE_NAME = "proton"


@lru_cache(maxsize=1)
def protocol_parts() -> tuple[ServiceIndex, InputValidator, OutputSerializer]:
    """The model's index and the compiled checkers, shared by every instance in the process."""
    return ServiceIndex(load_service_model(SERVICE_NAME)), InputValidator(), OutputSerializer()


def make_identity(settings: Settings) -> Identity:
    if settings.auth != "strict":
        return DefaultIdentity(settings.default_account, settings.access_key_accounts)
    path = Path(settings.credentials_file or "")
    try:
        credentials = load_credentials(path.read_text(), source=str(path))
    except OSError as error:
        raise SettingsError(f"cannot read the credentials file {path}: {error.strerror}") from None
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return StrictIdentity(credentials, service=SERVICE_NAME)


def load_fault_rules(path: str | None) -> list[FaultRule]:
    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text())
    except OSError as error:
        raise SettingsError(f"cannot read the faults file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise SettingsError(f"the faults file {path} is not valid JSON: {error}") from None
    if not isinstance(data, list):
        raise SettingsError(f"the faults file {path} must hold a JSON list of rules")
    try:
        return [rule_from_dict(item) for item in data]
    except FaultRuleError as error:
        raise SettingsError(f"the faults file {path}: {error}") from None


NOTIFY = "NotifyResourceDeploymentStatusChange"
RUN_REFUSED = "A provisioning run may only notify the deployment status of its own resource."


class _RunIdentity:
    """The caller of a run's callback: the resource's account and region, whatever the request is signed with."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    def identify(self, request: HttpRequest) -> Caller:
        return self.caller


def provisioners_from(settings: Settings, database: Database, sync: Sync, *, server: bool) -> dict[str, Any]:
    """[decided] P-24: only what `--provisioners` lists runs; nothing else enables a provisioner."""
    found: dict[str, Any] = {}
    roles = Roles(database, settings.cloudformation_endpoint)
    if "cloudformation" in settings.provisioners:
        found["cloudformation"] = CloudFormation(database, roles, settings.cloudformation_role_mode)
    if "codebuild" in settings.provisioners:
        found["codebuild"] = CodeBuild(
            database,
            roles,
            timeout_seconds=settings.codebuild_timeout_seconds,
            # In-process there is no server to call back: commands get no AWS_ENDPOINT_URL_PROTON.
            callback_url=settings.resolved_public_url if server else None,
        )
    if "self-managed" in settings.provisioners:
        # [decided] P-21: the repository map and git of sync, so both follow the same administrator's map.
        found["self-managed"] = SelfManaged(database, sync.git, sync.map)
    return found


class Worker(Protocol):
    """What a server starts and stops: the provisioning worker thread, or the process that runs it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class OpenProton:
    """One OpenProton instance: everything a transport needs to answer requests.

    `worker_for`: this instance is the provisioning worker process of that server process (provisioning_worker.py),
    which runs the worker thread and answers nothing."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock | None = None,
        *,
        server: bool = False,
        worker_for: int | None = None,
    ) -> None:
        self.settings = settings.check()
        self.database = database
        self.clock = clock or SystemClock()
        self.index, validator, serializer = protocol_parts()
        self.audit = AuditLog(database, self.clock)
        self.provider = ProtonProvider(database, settings, self.clock, self.audit)
        # Git sync changes resources through the same operations, as sync's own calls (no blockers).
        calls = SyncCalls(database, self.clock, self.audit, self.index, validator, self.provider.operations)
        self.sync = Sync(
            settings,
            database,
            self.clock,
            calls,
            {"ENVIRONMENT": self.provider.templates, "SERVICE": self.provider.service_templates},
        )
        # [decided] P-10 to P-12: the provisioners the administrator enabled, run by this process's worker.
        self.provisioning = Provisioning(
            database,
            self.clock,
            self.provider.deployments,
            self.provider.board,
            provisioners_from(settings, database, self.sync, server=server),
            lease_seconds=settings.job_lease_seconds,
            # A server's calls never run jobs themselves (`sync` is in-process only): its worker does, even when
            # that worker is another process and this one's thread never starts.
            mode="thread" if server else settings.provisioning_mode,
            server_pid=worker_for,
            concurrency=settings.provisioning_concurrency,
        )
        # [decided] P-10: a server's worker runs in a process of its own unless told otherwise, or unless the
        # database lives in this process's memory.
        self.worker: Worker = self.provisioning
        if server and worker_for is None and self._worker_process_fits():
            self.worker = WorkerProcess(self.provider.board, settings.to_env())
        identity = make_identity(settings)
        self.faults = Faults(load_fault_rules(settings.faults_file))
        limiter = RateLimiter(settings.rate_limit, settings.rate_burst) if settings.rate_limit else None
        self.pipeline = Pipeline(
            self.index,
            self._dispatch,
            identity,
            max_body_bytes=settings.max_body_bytes,
            validator=validator,
            serializer=serializer,
            faults=self.faults,
            rate_limiter=limiter,
            on_failure=self.audit.record_failure,
            access_log=settings.access_log,
        )
        # Everything beyond the API (settle policy, settling, events, audit, faults, reset), for the admin
        # endpoints, the mock handle and the console alike.
        self.admin = Admin(
            database,
            self.clock,
            audit=self.audit,
            faults=self.faults,
            deployments=self.provider.deployments,
            sync=self.sync,
            provisioning=self.provisioning,
        )

    def _worker_process_fits(self) -> bool:
        url = self.settings.resolved_database_url()
        shared = not url.startswith("sqlite") or sqlite_path(url) is not None
        return self.settings.provisioning_worker == "process" and bool(self.provisioning.provisioners) and shared

    def _dispatch(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        result = self.provider.dispatch(context, params)
        self.provisioning.after_call()  # [decided] P-12: in-process `sync` mode runs the call's jobs now
        if context.operation in CONFIG_OPERATIONS:
            # [decided] Y-8: after the config's transaction committed, its unit runs.
            self.sync.config_changed(context.account_id, context.region, context.operation, params)
        return result

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self.pipeline.handle(request)

    def handle_run(self, token: str, request: HttpRequest) -> HttpResponse:
        """[decided] P-19: a CodeBuild run's callback, `<public URL>/_openproton/runs/<token>`: only
        NotifyResourceDeploymentStatusChange on the run's own resource, answered as the resource's account and
        region whatever the signature (strict mode too); it records outputs, not a status (S-27: the run's exit
        code gives that)."""
        found = self.provisioning.run_of(token_digest(token))
        if found is None:
            return self.pipeline.error_response(AccessDeniedException(RUN_REFUSED))
        account, region, resource_arn = found

        def admit(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            if context.operation != NOTIFY or params.get("resourceArn") != resource_arn:
                raise AccessDeniedException(RUN_REFUSED)
            return {key: value for key, value in params.items() if key not in ("status", "statusMessage")}

        return self.pipeline.handle(request, identity=_RunIdentity(Caller(account, region, None)), admit=admit)
