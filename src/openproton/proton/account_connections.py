"""Environment account connections: the rules of ../shared/spec/environment-account-connections.md.

The environment account requests a connection to a management account, which accepts or rejects it.
Every change of status is recorded as an event, in order, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any

from openproton import decided
from openproton.protocol.serializer import Millis
from openproton.settings import Settings
from openproton.store import connections as store

from . import arns, paging
from .call import Call
from .deployments import lock_key as environments_lock_key
from .errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from .idempotency import ClientTokens
from .tagging import Tags

RESOURCE_TYPE = "environment-account-connection"

PENDING = "PENDING"
CONNECTED = "CONNECTED"
REJECTED = "REJECTED"
DELETED = "DELETED"  # only ever an event status: a deleted connection keeps its last status


class Party(Enum):
    ENVIRONMENT = "environment"
    MANAGEMENT = "management"


@dataclass(slots=True)  # a value, but not frozen: it is built on every request, and freezing costs there
class EnvironmentAccountConnection:
    id: str
    region: str
    environment_account_id: str
    management_account_id: str
    environment_name: str
    role_arn: str | None
    codebuild_role_arn: str | None
    component_role_arn: str | None
    status: str
    requested_at: int
    last_modified_at: int
    deleted_at: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EnvironmentAccountConnection:
        return cls(**row)

    @property
    def arn(self) -> str:
        return arns.build(self.region, self.environment_account_id, RESOURCE_TYPE, self.id)

    def party_of(self, account_id: str) -> Party | None:
        if account_id == self.environment_account_id:
            return Party.ENVIRONMENT
        if account_id == self.management_account_id:
            return Party.MANAGEMENT
        return None

    def to_wire(self) -> dict[str, Any]:
        """The model's EnvironmentAccountConnection; unset roles are omitted."""
        return {
            "arn": self.arn,
            "codebuildRoleArn": self.codebuild_role_arn,
            "componentRoleArn": self.component_role_arn,
            "environmentAccountId": self.environment_account_id,
            "environmentName": self.environment_name,
            "id": self.id,
            "lastModifiedAt": Millis(self.last_modified_at),
            "managementAccountId": self.management_account_id,
            "requestedAt": Millis(self.requested_at),
            "roleArn": self.role_arn,
            "status": self.status,
        }

    def to_summary(self) -> dict[str, Any]:
        """The model's EnvironmentAccountConnectionSummary: the same members without codebuildRoleArn."""
        wire = self.to_wire()
        del wire["codebuildRoleArn"]
        return wire


_ROLE_COLUMNS = {
    "roleArn": "role_arn",
    "codebuildRoleArn": "codebuild_role_arn",
    "componentRoleArn": "component_role_arn",
}

_VERBS = {
    "UpdateEnvironmentAccountConnection": "update",
    "DeleteEnvironmentAccountConnection": "delete",
    "AcceptEnvironmentAccountConnection": "accept",
    "RejectEnvironmentAccountConnection": "reject",
    "TagResource": "tag",
    "UntagResource": "untag",
    "ListTagsForResource": "list the tags of",
}


def not_found(connection_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested environment account connection does not exist: {connection_id}")


class AccountConnections:
    def __init__(
        self, settings: Settings, tokens: ClientTokens, tags: Tags, environments_using: Callable[[Call, str], list[str]]
    ) -> None:
        self.quota = settings.connection_quota
        self.tokens = tokens
        self.tags = tags
        # The environments provisioned through a connection; set by the provider (environments are a family
        # of their own).
        # The environments provisioned through a connection (relations.py): it cannot be rejected while one exists.
        self.environments_using = environments_using

    # -- reading -------------------------------------------------------------------------------------

    def load(
        self, call: Call, connection_id: str, *, party: Party | None, include_deleted: bool = False
    ) -> EnvironmentAccountConnection:
        """The connection as the caller may see it; `party` is the side the operation belongs to.

        Anyone who is not a party (another account, another region) learns nothing: not found.
        """
        row = store.get(call.tx, call.scope, connection_id, include_deleted=include_deleted, for_update=call.write)
        if row is None:
            raise not_found(connection_id)
        found = EnvironmentAccountConnection.from_row(row)
        if party is not None and found.party_of(call.account_id) is not party:
            # [decided] E-2, E-3, E-4: the other party is told who may do it.
            owner = found.environment_account_id if party is Party.ENVIRONMENT else found.management_account_id
            side = "environment" if party is Party.ENVIRONMENT else "management"
            verb = _VERBS.get(call.context.operation, "change")
            raise AccessDeniedException(
                f"Only the {side} account {owner} can {verb} environment account connection {connection_id}"
            )
        return found

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # [decided] E-1: either party may read it.
        found = self.load(call, params["id"], party=None)
        return {"environmentAccountConnection": found.to_wire()}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        side = "environment" if params["requestedBy"] == "ENVIRONMENT_ACCOUNT" else "management"
        statuses = sorted(set(params.get("statuses") or []))
        environment_name = params.get("environmentName")
        query = paging.query_key(
            "ListEnvironmentAccountConnections", call.account_id, call.region, side, environment_name, statuses
        )
        position = paging.decode(params.get("nextToken"), query, (int, str))
        after = (position[0], position[1]) if position else None
        limit = paging.page_size(params)
        # [decided] E-12: requestedAt, then id. One row more than the page tells whether another follows.
        rows = store.page(
            call.tx,
            call.scope,
            side=side,
            environment_name=environment_name,
            statuses=statuses,
            after=after,
            limit=limit + 1,
        )
        items = [EnvironmentAccountConnection.from_row(row) for row in rows[:limit]]
        result: dict[str, Any] = {"environmentAccountConnections": [item.to_summary() for item in items]}
        if len(rows) > limit:
            last = items[-1]
            result["nextToken"] = paging.encode(query, [last.requested_at, last.id])
        return result

    # -- changing ------------------------------------------------------------------------------------

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        management_account_id = params["managementAccountId"]
        environment_name = params["environmentName"]
        if not any(params.get(member) for member in decided.CONNECTION_ROLE_MEMBERS):
            # [decided] E-5
            raise ValidationException(
                "An environment account connection needs a roleArn or a codebuildRoleArn: give at least one of them."
            )
        if management_account_id == call.account_id:
            # [decided] E-6
            raise ValidationException(
                f"The management account {management_account_id} is the calling account; an environment "
                "account connection joins two different accounts."
            )
        new_tags = self.tags.check_new(params.get("tags") or [])

        # Quota, the one-live-connection rule and the client token all read before they write.
        call.database.lock(call.tx, f"eac:{call.region}:{call.account_id}")
        replayed = self.tokens.replay(call, params)
        if replayed is not None:
            previous = store.get(call.tx, call.scope, replayed)
            if previous is not None:
                return {"environmentAccountConnection": EnvironmentAccountConnection.from_row(previous).to_wire()}
            # The connection that token made has been deleted since: the retry makes a new one [doc].

        live = store.find_open(
            call.tx,
            call.scope,
            management_account_id=management_account_id,
            environment_name=environment_name,
            statuses=decided.LIVE_CONNECTION_STATUSES,
        )
        if live is not None:
            # [decided] E-7
            raise ConflictException(
                f"Environment account connection {live['id']} for environment {environment_name} and "
                f"management account {management_account_id} is already {live['status']}."
            )
        if store.count_live(call.tx, call.scope) >= self.quota:
            raise ServiceQuotaExceededException(
                f"Account {call.account_id} already has {self.quota} environment account connections in "
                f"{call.region}, the most it may have."
            )

        created = EnvironmentAccountConnection(
            id=str(uuid.uuid4()),
            region=call.region,
            environment_account_id=call.account_id,
            management_account_id=management_account_id,
            environment_name=environment_name,
            role_arn=params.get("roleArn"),
            codebuild_role_arn=params.get("codebuildRoleArn"),
            component_role_arn=params.get("componentRoleArn"),
            status=PENDING,
            requested_at=call.now_ms,
            last_modified_at=call.now_ms,
        )
        store.insert(call.tx, asdict(created))
        self.tags.put(call, created.arn, new_tags)
        self._record(call, created, previous_status=None)
        self.tokens.remember(call, params, created.id)
        return {"environmentAccountConnection": created.to_wire()}

    def accept(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = self.load(call, params["id"], party=Party.MANAGEMENT)
        if found.status == REJECTED:
            raise ConflictException(f"Environment account connection {found.id} is REJECTED and cannot be accepted")
        if found.status == CONNECTED:
            return {"environmentAccountConnection": found.to_wire()}  # [decided] E-8
        changed = self._change(call, found, status=CONNECTED)
        return {"environmentAccountConnection": changed.to_wire()}

    def reject(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # Environment writers lock the scope's environments, then a connection row; so does this, in that order.
        call.database.lock(call.tx, environments_lock_key(call.scope))
        found = self.load(call, params["id"], party=Party.MANAGEMENT)
        if found.status == REJECTED:
            return {"environmentAccountConnection": found.to_wire()}  # [decided] E-9
        users = self.environments_using(call, found.id)
        if users:
            # [doc] A connection an environment uses cannot be rejected.
            raise ConflictException(
                f"Environment account connection {found.id} is used by environment {', '.join(users)}; delete the "
                "environment, or move it to another connection, before rejecting this one."
            )
        changed = self._change(call, found, status=REJECTED)
        return {"environmentAccountConnection": changed.to_wire()}

    def update(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = self.load(call, params["id"], party=Party.ENVIRONMENT)
        if found.status == REJECTED:
            # [decided] E-11
            raise ConflictException(f"Environment account connection {found.id} is REJECTED and cannot be updated")
        # [decided] E-10: only the roles given change.
        roles = {_ROLE_COLUMNS[member]: params[member] for member in _ROLE_COLUMNS if params.get(member)}
        changed = self._change(call, found, **roles)
        return {"environmentAccountConnection": changed.to_wire()}

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # Deletes are idempotent [doc]: a deleted connection is still found, and answered as it was.
        found = self.load(call, params["id"], party=Party.ENVIRONMENT, include_deleted=True)
        if found.deleted_at is None:
            store.update(call.tx, found.id, {"deleted_at": call.now_ms})
            self.tags.drop(call, found.arn)
            self._record(call, found, previous_status=found.status, status=DELETED)
        return {"environmentAccountConnection": found.to_wire()}

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        """Tags on a connection's ARN are managed by its environment account [doc]."""
        found = self.load(call, resource_id, party=Party.ENVIRONMENT)
        if found.environment_account_id != arn.account_id:
            raise not_found(resource_id)

    # -- helpers -------------------------------------------------------------------------------------

    def _change(self, call: Call, found: EnvironmentAccountConnection, **changes: Any) -> EnvironmentAccountConnection:
        # [decided] E-13: lastModifiedAt always moves forward.
        moved = max(call.now_ms, found.last_modified_at + decided.LAST_MODIFIED_MIN_STEP_MS)
        changed = replace(found, last_modified_at=moved, **changes)
        store.update(call.tx, found.id, {"last_modified_at": moved, **changes})
        if changed.status != found.status:
            self._record(call, changed, previous_status=found.status)
        return changed

    @staticmethod
    def _record(
        call: Call, connection: EnvironmentAccountConnection, *, previous_status: str | None, status: str | None = None
    ) -> None:
        store.record_event(
            call.tx,
            {
                "occurred_at": call.now_ms,
                "region": connection.region,
                "connection_id": connection.id,
                "status": status or connection.status,
                "previous_status": previous_status,
                "environment_account_id": connection.environment_account_id,
                "management_account_id": connection.management_account_id,
            },
        )
