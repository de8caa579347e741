"""Queries on provisioning jobs (P-10, P-11) and the stacks targets keep (P-14).

Jobs are the workers', across every account (a worker serves them all); each row still names its account and
region, and a job's deployment is read in that scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, or_, select

from .database import Scope
from .leases import LeaseTable
from .scoped import insert_row, scope_params, scoped
from .sql import Statement, Tx, update_row
from .tables import provisioning_jobs as jobs
from .tables import target_stacks as stacks

Row = dict[str, Any]

JOB_LEASES = LeaseTable(jobs, ("deployment_id",))

_INSERT_JOB = insert_row(jobs)
_GET_JOB = Statement(lambda: select(jobs).where(jobs.c.deployment_id == bindparam("deployment_id")))
_CLAIMABLE = Statement(
    lambda: (
        select(jobs.c.deployment_id, jobs.c.provisioner)
        .where(or_(jobs.c.lease_owner.is_(None), jobs.c.lease_until < bindparam("now")))
        .order_by(jobs.c.created_at, jobs.c.deployment_id)
        .limit(bindparam("limit"))
    )
)
_FINISH = Statement(
    lambda: jobs.delete().where(
        jobs.c.deployment_id == bindparam("deployment_id"), jobs.c.lease_owner == bindparam("owner")
    )
)
_FINISH_UNCANCELLED = Statement(
    lambda: jobs.delete().where(
        jobs.c.deployment_id == bindparam("deployment_id"),
        jobs.c.lease_owner == bindparam("owner"),
        jobs.c.cancelled_at.is_(None),
    )
)
_COUNT = Statement(lambda: select(jobs.c.deployment_id))
_BY_TOKEN = Statement(lambda: select(jobs).where(jobs.c.run_token == bindparam("token")))
_GET_STACK = Statement(
    lambda: select(stacks).where(
        *scoped(stacks),
        stacks.c.target_arn == bindparam("target_arn"),
        stacks.c.target_resource_created_at == bindparam("created_at"),
    )
)
_INSERT_STACK = insert_row(stacks)


def insert_job(
    tx: Tx,
    scope: Scope,
    deployment_id: str,
    provisioner: str,
    action: str,
    state: str,
    now_ms: int,
    *,
    cancelled: bool = False,
) -> None:
    """A job nobody holds yet; `state` is the provisioner's JSON, `action` CREATE, UPDATE, DELETE or CANCEL."""
    tx.run(
        _INSERT_JOB,
        {
            **scope_params(scope),
            "deployment_id": deployment_id,
            "provisioner": provisioner,
            "action": action,
            "state": state,
            "run_token": None,
            "lease_owner": None,
            "lease_until": None,
            "cancelled_at": now_ms if cancelled else None,
            "created_at": now_ms,
        },
    )


def get_job(tx: Tx, deployment_id: str) -> Row | None:
    return tx.one(_GET_JOB, {"deployment_id": deployment_id})


def claimable(tx: Tx, now_ms: int, provisioners: frozenset[str], limit: int = 50) -> list[str]:
    """Jobs of these provisioners nobody holds (or whose holder's lease ran out), oldest first."""
    rows = tx.all(_CLAIMABLE, {"now": now_ms, "limit": limit})
    return [row["deployment_id"] for row in rows if row["provisioner"] in provisioners]


def unfinished(tx: Tx) -> list[str]:
    return [row["deployment_id"] for row in tx.all(_COUNT, {})]


def set_state(tx: Tx, deployment_id: str, state: str) -> None:
    update_row(tx, jobs, {"deployment_id": deployment_id}, {"state": state})


def finish(tx: Tx, deployment_id: str, owner: str, *, unless_cancelled: bool = False) -> bool:
    """[decided] P-11: the job goes with its ending, and only its lease holder may end it. `unless_cancelled`:
    not if a cancel arrived meanwhile (the provisioner must see it: [decided] P-23)."""
    statement = _FINISH_UNCANCELLED if unless_cancelled else _FINISH
    return tx.run(statement, {"deployment_id": deployment_id, "owner": owner}) == 1


def request_cancel(tx: Tx, deployment_id: str, now_ms: int) -> bool:
    """[decided] P-17, P-23: ask the job's provisioner to stop; False when the deployment has no job."""
    return update_row(tx, jobs, {"deployment_id": deployment_id}, {"cancelled_at": now_ms}) == 1


def stack_of(tx: Tx, scope: Scope, target_arn: str, created_at: int) -> Row | None:
    return tx.one(_GET_STACK, {**scope_params(scope), "target_arn": target_arn, "created_at": created_at})


def keep_stack(tx: Tx, values: Mapping[str, Any]) -> None:
    tx.run(_INSERT_STACK, values)


def set_run_token(tx: Tx, deployment_id: str, digest: str | None) -> None:
    update_row(tx, jobs, {"deployment_id": deployment_id}, {"run_token": digest})


def job_of_token(tx: Tx, digest: str) -> Row | None:
    return tx.one(_BY_TOKEN, {"token": digest})
