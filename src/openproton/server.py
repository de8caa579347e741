"""Server mode: build the ASGI application for a set of settings."""

from __future__ import annotations

from openproton.proton.clock import Clock
from openproton.service import OpenProton
from openproton.settings import Settings, SettingsError
from openproton.store import Database
from openproton.store.database import sqlite_path
from openproton.transports.asgi import AsgiApp


def open_database(settings: Settings) -> Database:
    url = settings.resolved_database_url()
    if url.startswith("sqlite") and sqlite_path(url) is None:
        return Database.in_memory()
    try:
        return Database.from_url(url)
    except ValueError as error:
        raise SettingsError(f"--database / OPENPROTON_DATABASE: {error}") from error


def create_service(settings: Settings | None = None, clock: Clock | None = None) -> OpenProton:
    settings = settings or Settings.from_env()
    database = open_database(settings)
    database.migrate()
    return OpenProton(settings, database, clock)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> AsgiApp:
    """An ASGI application serving the Proton API, its database migrated and ready."""
    return AsgiApp(create_service(settings, clock))


def app_from_environment() -> AsgiApp:
    """uvicorn's factory for worker processes: settings come from OPENPROTON_* variables."""
    return create_app(Settings.from_env())
