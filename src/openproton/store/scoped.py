"""The pieces every scoped query module shares: a WHERE on the account and region, their parameters, an INSERT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam

from .database import Scope
from .sql import Statement


def scoped(table: Table) -> list[Any]:
    """The WHERE clauses that keep a query inside one account and region (parameters from `scope_params`)."""
    return [table.c.account_id == bindparam("account_id"), table.c.region == bindparam("region")]


def scope_params(scope: Scope) -> dict[str, str]:
    return {"account_id": scope.account_id, "region": scope.region}


def insert_row(table: Table) -> Statement:
    """INSERT of every column, each from the parameter of its name."""
    return Statement(lambda: table.insert().values({c.name: bindparam(c.name) for c in table.c}))
