"""Server mode: build the ASGI application for a set of settings."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy.exc

from openproton.proton.clock import Clock
from openproton.service import OpenProton
from openproton.settings import Settings, SettingsError
from openproton.store import Database
from openproton.store.database import sqlite_path
from openproton.transports.asgi import AsgiApp

# `scheme://user:password@`: the password part, which no message may show (up to the authority's last @).
_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@]*):[^/]*@")


class DatabaseUnavailable(Exception):
    """The database cannot be opened or reached; the message names it (without its password) and says why."""


def masked_url(url: str) -> str:
    """The URL with `user:password@` shown as `user:***@`."""
    return _PASSWORD.sub(r"\g<head>:***@", url, count=1)


def lower_first(reason: str) -> str:
    """ "Connection refused" as the end of our sentence: "connection refused" (but "SSL ..." stays)."""
    return reason[0].lower() + reason[1:] if reason[:1].isupper() and reason[1:2].islower() else reason


def _reason(error: BaseException) -> str:
    """The driver's reason on one line: psycopg's "connection to server at ... failed: REASON", else its text."""
    text = str(getattr(error, "orig", None) or error)
    reason = " ".join(text.split())
    for line in text.splitlines():
        _, failed, after = line.rpartition(" failed: ")
        if failed:
            reason = after.removeprefix("FATAL:").strip()
            break
    return lower_first(reason)  # libpq and sqlite3 never echo a password


def _check_reachable(database: Database, url: str) -> None:
    """Connect once, so that a server that is down or a database that does not exist is one clear error now."""
    try:
        with database.engine.connect():
            pass
    except sqlalchemy.exc.DatabaseError as error:  # connect-time only: OperationalError, "file is not a database"
        database.dispose()
        raise DatabaseUnavailable(f"cannot connect to the database {masked_url(url)}: {_reason(error)}") from None


def open_database(settings: Settings, *, existing: bool = False) -> Database:
    """The settings' database, reachable. `existing`: for reading commands, which must never create a database."""
    url = settings.resolved_database_url()
    path = sqlite_path(url)
    if url.startswith("sqlite") and path is None:
        return Database.in_memory()
    if existing and path is not None and not Path(path).exists():
        raise DatabaseUnavailable(f"no database at {path}")
    try:
        database = Database.from_url(url)
    except ValueError as error:  # an unsupported URL, which the message quotes: masked here
        raise SettingsError(f"--database / OPENPROTON_DATABASE: {str(error).replace(url, masked_url(url))}") from None
    except OSError as error:  # the SQLite file's directory cannot be made
        raise DatabaseUnavailable(
            f"cannot open the database {url}: {lower_first(error.strerror or str(error))}"
        ) from None
    _check_reachable(database, url)
    return database


def create_service(settings: Settings | None = None, clock: Clock | None = None) -> OpenProton:
    settings = settings or Settings.from_env()
    database = open_database(settings)
    database.migrate()
    return OpenProton(settings, database, clock, server=True)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> AsgiApp:
    """An ASGI application serving the Proton API, its database migrated and ready."""
    return AsgiApp(create_service(settings, clock))


def app_from_environment() -> AsgiApp:
    """uvicorn's factory for worker processes: settings come from OPENPROTON_* variables."""
    return create_app(Settings.from_env())
