"""The composition root: settings, database, clock, provider and pipeline, wired once per server or mock."""

from __future__ import annotations

from functools import lru_cache

from openproton.protocol.identity import DefaultIdentity
from openproton.protocol.model import ServiceIndex, load_service_model
from openproton.protocol.pipeline import HttpRequest, HttpResponse, Pipeline
from openproton.protocol.serializer import OutputSerializer
from openproton.protocol.validator import InputValidator
from openproton.proton.clock import Clock, SystemClock
from openproton.proton.provider import ProtonProvider
from openproton.settings import Settings
from openproton.store import Database

SERVICE_NAME = "proton"


@lru_cache(maxsize=1)
def protocol_parts() -> tuple[ServiceIndex, InputValidator, OutputSerializer]:
    """The model's index and the compiled checkers, shared by every instance in the process."""
    return ServiceIndex(load_service_model(SERVICE_NAME)), InputValidator(), OutputSerializer()


class OpenProton:
    """One OpenProton instance: everything a transport needs to answer requests."""

    def __init__(self, settings: Settings, database: Database, clock: Clock | None = None) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock or SystemClock()
        self.index, validator, serializer = protocol_parts()
        self.provider = ProtonProvider(database, settings, self.clock)
        identity = DefaultIdentity(settings.default_account, settings.access_key_accounts)
        self.pipeline = Pipeline(
            self.index,
            self.provider.dispatch,
            identity,
            max_body_bytes=settings.max_body_bytes,
            validator=validator,
            serializer=serializer,
        )

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self.pipeline.handle(request)
