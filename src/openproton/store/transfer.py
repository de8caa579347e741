"""Export and import of the whole state, every table of every account and region, as JSON.

The format is table-generic (the schema's own column names), so state moves between SQLite and PostgreSQL
and new resource families are carried without new code.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import LargeBinary, func, select, text

from openproton.redaction import redact

from .database import Database
from .tables import metadata

FORMAT = "openproton-state"
FORMAT_VERSION = 1


class StateImportError(ValueError):
    """The file cannot be imported; the message says why. Nothing was written."""


def _plain(name: str) -> str:
    # SQLAlchemy names are str subclasses (quoted_name), which JSON encoders refuse as keys.
    return str.__str__(name)


def _exported(table: str, row: Any) -> dict[str, Any]:
    # Binary columns (a bundle's archive, B-4) travel as base64 text; import turns them back by column type.
    values = {
        _plain(key): base64.b64encode(value).decode() if isinstance(value, bytes | memoryview) else value
        for key, value in row.items()
    }
    if table == "repository_map" and values.get("url"):
        values["url"] = redact(values["url"])  # [decided] P-21: no git credentials in an export
    return values


def _binary(value: Any) -> bytes | None:
    return None if value is None else base64.b64decode(value, validate=True)


def export_state(database: Database) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with database.admin_transaction() as connection:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns)
            rows = connection.execute(select(table).order_by(*order))
            tables[_plain(table.name)] = [_exported(table.name, row._mapping) for row in rows]
    return {"format": FORMAT, "version": FORMAT_VERSION, "schema": database.schema_version(), "tables": tables}


def import_state(database: Database, data: Any) -> dict[str, int]:
    """Load an export into an empty database in one transaction; returns the rows loaded per table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateImportError(f'not an OpenProton export (expected "format": "{FORMAT}")')
    if data.get("version") != FORMAT_VERSION:
        raise StateImportError(f"export format version {data.get('version')!r} is not {FORMAT_VERSION}")
    schema = database.schema_version()
    if data.get("schema") != schema:
        raise StateImportError(f"the export is of schema {data.get('schema')!r}; this database is at {schema!r}")
    given = data.get("tables")
    known = {table.name for table in metadata.sorted_tables}
    if not isinstance(given, dict) or set(given) - known:
        raise StateImportError(f"unknown tables in the export: {sorted(set(given or {}) - known)}")
    counts: dict[str, int] = {}
    with database.admin_transaction() as connection:
        for table in metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise StateImportError(
                    f"the database is not empty (table {table.name} has rows); import needs an empty one"
                )
        for table in metadata.sorted_tables:
            rows = given.get(table.name) or []
            columns = set(table.columns.keys())
            for row in rows:
                if not isinstance(row, dict) or set(row) != columns:
                    raise StateImportError(f"a row of {table.name} does not have exactly the columns {sorted(columns)}")
            binary = [column.name for column in table.columns if isinstance(column.type, LargeBinary)]
            if binary:
                try:
                    rows = [{**row, **{name: _binary(row[name]) for name in binary}} for row in rows]
                except (TypeError, ValueError):
                    raise StateImportError(f"a row of {table.name} has a binary column that is not base64") from None
            if rows:
                connection.execute(table.insert(), rows)
            counts[table.name] = len(rows)
        if database.dialect == "postgresql":
            # Imported serial values were given explicitly; move each sequence past them.
            for table in metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True:
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                            )
                        )
    return counts
