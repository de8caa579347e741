"""The composition root: settings, database, clock, provider and pipeline, wired once per server or mock."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from openproton.protocol.faults import FaultRule, FaultRuleError, Faults, rule_from_dict
from openproton.protocol.identity import DefaultIdentity
from openproton.protocol.model import ServiceIndex, load_service_model
from openproton.protocol.pipeline import HttpRequest, HttpResponse, Identity, Pipeline, RequestContext
from openproton.protocol.ratelimit import RateLimiter
from openproton.protocol.serializer import OutputSerializer
from openproton.protocol.sigv4 import StrictIdentity, load_credentials
from openproton.protocol.validator import InputValidator
from openproton.proton.admin import Admin
from openproton.proton.audit import AuditLog
from openproton.proton.clock import Clock, SystemClock
from openproton.proton.provider import ProtonProvider
from openproton.proton.sync import CONFIG_OPERATIONS, Sync
from openproton.proton.sync_calls import SyncCalls
from openproton.settings import Settings, SettingsError
from openproton.store import Database

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


class OpenProton:
    """One OpenProton instance: everything a transport needs to answer requests."""

    def __init__(self, settings: Settings, database: Database, clock: Clock | None = None) -> None:
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
        )

    def _dispatch(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        result = self.provider.dispatch(context, params)
        if context.operation in CONFIG_OPERATIONS:
            # [decided] Y-8: after the config's transaction committed, its unit runs.
            self.sync.config_changed(context.account_id, context.region, context.operation, params)
        return result

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self.pipeline.handle(request)
