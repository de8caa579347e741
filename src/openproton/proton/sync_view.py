"""Attempts as the model shapes them ([decided] Y-9): RepositorySyncAttempt and ResourceSyncAttempt.

A resource attempt whose deployment is under way is read as of the call, as deployments are: IN_PROGRESS until
the deployment ends, then SUCCEEDED or FAILED (a CANCELLED deployment is FAILED), its last event timed when the
deployment ended. Nothing is written by reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openproton.protocol.serializer import Millis

Row = dict[str, Any]
# A deployment's (status, statusMessage, completedAt ms) as of now, or None when it is gone.
DeploymentReader = Callable[[str], tuple[str, str | None, int | None] | None]

ENDED = ("SUCCEEDED", "FAILED")


def event(kind: str, text: str, at_ms: int, external_id: str | None = None) -> dict[str, Any]:
    """One event as stored: the model's members, time in epoch milliseconds."""
    item: dict[str, Any] = {"type": kind, "event": text, "time": at_ms}
    if external_id is not None:
        item["externalId"] = external_id
    return item


def _events(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "time": Millis(item["time"])} for item in stored]


def repository_attempt(row: Row) -> dict[str, Any]:
    return {
        "events": _events(json.loads(row["events"])),
        "startedAt": Millis(row["started_at"]),
        "status": row["status"],
    }


def resource_attempt(row: Row, deployments: DeploymentReader) -> dict[str, Any]:
    status, events = resolved(row, deployments)
    return {
        "events": _events(events),
        "initialRevision": json.loads(row["initial_revision"]),
        "startedAt": Millis(row["started_at"]),
        "status": status,
        "target": row["target"],
        "targetRevision": json.loads(row["target_revision"]),
    }


def resolved(row: Row, deployments: DeploymentReader) -> tuple[str, list[dict[str, Any]]]:
    """The attempt's status and events as of now: a deployment under way decides an IN_PROGRESS one."""
    events = json.loads(row["events"])
    if row["status"] != "IN_PROGRESS" or not row["deployment_id"]:
        return row["status"], events
    found = deployments(row["deployment_id"])
    if found is None:
        return "FAILED", [*events, event("SYNC_FAILED", "The deployment no longer exists", row["started_at"])]
    status, message, ended_at = found
    if status == "SUCCEEDED":
        return "SUCCEEDED", [*events, event("SYNC_SUCCEEDED", "Sync succeeded", ended_at or row["started_at"])]
    if status in ("FAILED", "CANCELLED"):
        reason = message or f"Deployment {row['deployment_id']} {status.lower()}"
        return "FAILED", [*events, event("SYNC_FAILED", reason, ended_at or row["started_at"])]
    return "IN_PROGRESS", events


def admin_attempt(row: Row, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The admin trigger's item: the model's shape, its unit, and the resource attempts of the run (plain JSON:
    times as epoch seconds, as the API gives them)."""

    def seconds(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "time": item["time"] / 1000}

    return {
        "id": row["id"],
        "accountId": row["account_id"],
        "region": row["region"],
        "repositoryProvider": row["repository_provider"],
        "repositoryName": row["repository_name"],
        "branch": row["branch"],
        "syncType": row["sync_type"],
        "status": row["status"],
        "startedAt": row["started_at"] / 1000,
        "events": [seconds(item) for item in json.loads(row["events"])],
        "resourceAttempts": [
            {**item, "startedAt": item["startedAt"] / 1000, "events": [seconds(e) for e in item["events"]]}
            for item in resources
        ],
    }
