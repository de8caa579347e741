"""Statements written once in SQLAlchemy Core, compiled once per dialect, run on the DBAPI connection.

SQLAlchemy's per-execution machinery (statement construction, cache keys, result wrapping) cost more than the
rest of a request together (bench/RESULTS.md has the profile). The SQL stays explicit Core; only its
execution skips the layers a compiled, parameter-only statement does not need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnElement

_DIALECTS: dict[str, Dialect] = {}


def _dialect(name: str) -> Dialect:
    """Named parameters on both backends, so one dict of parameters serves either: `:name` and `%(name)s`.
    Each dialect is imported when first used: a SQLite server never loads PostgreSQL's (30 ms of start-up)."""
    found = _DIALECTS.get(name)
    if found is None:
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

            found = SQLiteDialect_pysqlite(paramstyle="named")
        else:
            from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

            found = PGDialect_psycopg()
        _DIALECTS[name] = found
    return found


class Statement:
    """One statement, built lazily and compiled once for each dialect that runs it."""

    __slots__ = ("_build", "_sql", "columns")

    def __init__(self, build: Callable[[], ClauseElement]) -> None:
        self._build = build
        self._sql: dict[str, tuple[str, dict[str, Any]]] = {}
        self.columns: list[str] | None = None  # result column names, learnt from the first execution

    def sql(self, dialect: str) -> tuple[str, dict[str, Any]]:
        """The SQL text, and the values of parameters the statement fixed itself (a LIMIT 1, say)."""
        found = self._sql.get(dialect)
        if found is None:
            compiled = self._build().compile(dialect=_dialect(dialect), compile_kwargs={"render_postcompile": True})
            fixed = {name: value for name, value in compiled.params.items() if value is not None}
            found = self._sql[dialect] = (str(compiled), fixed)
        return found

    def bind(self, dialect: str, params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        text, fixed = self.sql(dialect)
        return text, ({**fixed, **params} if fixed else params)


class Tx:
    """One open transaction on a DBAPI connection (sqlite3 or psycopg)."""

    __slots__ = ("dialect", "raw")

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw = raw
        self.dialect = dialect

    @staticmethod
    def _names(statement: Statement, cursor: Any) -> list[str]:
        names = statement.columns
        if names is None:
            names = statement.columns = [column[0] for column in cursor.description]
        return names

    def one(self, statement: Statement, params: Mapping[str, Any]) -> dict[str, Any] | None:
        cursor = self.raw.cursor()
        try:
            cursor.execute(*statement.bind(self.dialect, params))
            row = cursor.fetchone()
            if row is None:
                return None
            return dict(zip(self._names(statement, cursor), row, strict=True))
        finally:
            cursor.close()

    def row(self, statement: Statement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row as a tuple, in the statement's column order (for a caller that splits a join)."""
        cursor = self.raw.cursor()
        try:
            cursor.execute(*statement.bind(self.dialect, params))
            row = cursor.fetchone()
            return None if row is None else tuple(row)
        finally:
            cursor.close()

    def all(self, statement: Statement, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(*statement.bind(self.dialect, params))
            names = self._names(statement, cursor)
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        cursor = self.raw.cursor()
        try:
            cursor.execute(*statement.bind(self.dialect, params))
            row = cursor.fetchone()
            return None if row is None else row[0]
        finally:
            cursor.close()

    def run(self, statement: Statement, params: Mapping[str, Any]) -> int:
        cursor = self.raw.cursor()
        try:
            cursor.execute(*statement.bind(self.dialect, params))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, statement: Statement, rows: Iterable[Mapping[str, Any]]) -> None:
        cursor = self.raw.cursor()
        try:
            text, fixed = statement.sql(self.dialect)
            cursor.executemany(text, [{**fixed, **row} for row in rows])
        finally:
            cursor.close()


class CodePointOrder(ColumnElement[Any]):
    """A text column compared and sorted by code point on every backend: SQLite's default (BINARY), and on
    PostgreSQL the "C" collation, whatever the database's own collation is."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(CodePointOrder)
def _code_point_order(element: CodePointOrder, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(CodePointOrder, "postgresql")
def _code_point_order_postgresql(element: CodePointOrder, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "C"'


_UPDATES: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Statement] = {}


def update_row(tx: Tx, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> int:
    """UPDATE `table` SET `values` WHERE each `key` column equals its value; the number of rows changed.

    Callers change different sets of columns; each set gets a statement of its own, built and compiled once.
    Nothing to change is no statement at all (an UPDATE without SET is not SQL).
    """
    if not values:
        return 0
    key_columns, columns = tuple(key), tuple(sorted(values))
    statement = _UPDATES.get((table.name, key_columns, columns))
    if statement is None:
        statement = _UPDATES[table.name, key_columns, columns] = Statement(
            lambda: (
                table.update()
                .where(*[table.c[name] == bindparam(f"key_{name}") for name in key_columns])
                .values({name: bindparam(f"new_{name}") for name in columns})
            )
        )
    return tx.run(statement, {**{f"key_{k}": v for k, v in key.items()}, **{f"new_{k}": v for k, v in values.items()}})
