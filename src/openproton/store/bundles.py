"""Queries on stored template bundles (B-4) and on what deployments rendered (P-6), scoped to the owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from .database import Scope
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import deployment_renders as renders
from .tables import template_bundles as bundles

Row = dict[str, Any]

_GET_BUNDLE = Statement(
    lambda: select(bundles.c.content).where(*scoped(bundles), bundles.c.sha256 == bindparam("sha256"))
)
_HAS_BUNDLE = Statement(lambda: select(bundles.c.size).where(*scoped(bundles), bundles.c.sha256 == bindparam("sha256")))
_INSERT_BUNDLE = insert_row(bundles)
_GET_RENDER = Statement(lambda: select(renders).where(renders.c.deployment_id == bindparam("deployment_id")))
_GET_SCOPED_RENDER = Statement(
    lambda: select(renders).where(*scoped(renders), renders.c.deployment_id == bindparam("deployment_id"))
)
_INSERT_RENDER = insert_row(renders)
_DELETE_RENDER = Statement(
    lambda: renders.delete().where(*scoped(renders), renders.c.deployment_id == bindparam("deployment_id"))
)


def bundle(tx: Tx, scope: Scope, sha256: str) -> bytes | None:
    found = tx.row(_GET_BUNDLE, {**scope_params(scope), "sha256": sha256})
    return None if found is None else bytes(found[0])


def keep_bundle(tx: Tx, scope: Scope, sha256: str, data: bytes, now_ms: int) -> None:
    """Store a bundle once per owner: versions registered from the same archive share it."""
    if tx.row(_HAS_BUNDLE, {**scope_params(scope), "sha256": sha256}) is None:
        tx.run(
            _INSERT_BUNDLE,
            {
                **scope_params(scope),
                "sha256": sha256,
                "size": len(data),
                "content": data,
                "created_at": now_ms,
            },
        )


def render(tx: Tx, deployment_id: str, scope: Scope | None = None) -> Row | None:
    """A deployment's render; without a scope, whoever's it is (the admin endpoints, by deployment id)."""
    if scope is None:
        return tx.one(_GET_RENDER, {"deployment_id": deployment_id})
    return tx.one(_GET_SCOPED_RENDER, {**scope_params(scope), "deployment_id": deployment_id})


def insert_render(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_RENDER, values)


def delete_render(tx: Tx, scope: Scope, deployment_id: str) -> None:
    tx.run(_DELETE_RENDER, {**scope_params(scope), "deployment_id": deployment_id})


def set_log(tx: Tx, deployment_id: str, log: str) -> None:
    """[decided] P-6: the provisioner's log beside the deployment's rendered files."""
    update_row(tx, renders, {"deployment_id": deployment_id}, {"log": log})


def set_pushed(tx: Tx, deployment_id: str, pushed: str | None) -> None:
    """[decided] P-23: where a self-managed deployment's branch was pushed (JSON), for a later cancel."""
    update_row(tx, renders, {"deployment_id": deployment_id}, {"pushed": pushed})
