"""Repository links (repositories-and-sync.md): Create, Get, List and DeleteRepository.

A link names a git repository by provider and `owner/repo`; where sync reads it from is the administrator's
repository map, never anything an API caller sends ([decided] Y-6). What may not lose its link (self-managed
environments, the account's pipeline repository) is asked of relations.py.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from openproton.store import repositories as store
from openproton.store import sync_state

from . import arns, paging
from .call import Call
from .errors import ConflictException, ResourceNotFoundException
from .idempotency import digest
from .relations import Relations
from .tagging import Tags

RESOURCE_TYPE = "repository"

Row = dict[str, Any]


def repository_arn(call: Call, provider: str, name: str) -> str:
    # [doc] `repository/github:myrepos/templates`; [decided] Y-1: the other providers in lowercase too.
    return arns.build(call.region, call.account_id, RESOURCE_TYPE, f"{provider.lower()}:{name}")


def label(provider: str, name: str) -> str:
    """A link as messages name it: `GITHUB:owner/repo`."""
    return f"{provider}:{name}"


def not_found(call: Call, provider: str, name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The requested repository does not exist: {repository_arn(call, provider, name)}")


class Repositories:
    def __init__(self, relations: Relations, tags: Tags) -> None:
        self.relations = relations
        self.tags = tags

    def _wire(self, call: Call, row: Row, *, summary: bool = False) -> dict[str, Any]:
        wire = {
            "arn": repository_arn(call, row["provider"], row["name"]),
            "connectionArn": row["connection_arn"],
            "name": row["name"],
            "provider": row["provider"],
        }
        if not summary:
            wire["encryptionKey"] = row["encryption_key"]
        return wire

    def _load(self, call: Call, params: dict[str, Any]) -> Row:
        row = store.get(call.tx, call.scope, params["provider"], params["name"])
        if row is None:
            raise not_found(call, params["provider"], params["name"])
        return row

    def create(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        provider, name = params["provider"], params["name"]
        new_tags = self.tags.check_new(params.get("tags") or [])
        fingerprint = digest(params)
        existing = store.get(call.tx, call.scope, provider, name)
        if existing is not None:
            # [decided] Y-3: the same members return the link; others are a conflict.
            if existing["parameters_digest"] != fingerprint:
                raise ConflictException(f"Repository {label(provider, name)} is already linked")
            return {"repository": self._wire(call, existing)}
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "provider": provider,
            "name": name,
            "connection_arn": params["connectionArn"],
            "encryption_key": params.get("encryptionKey"),
            "parameters_digest": fingerprint,
            "created_at": call.now_ms,
        }
        store.insert(call.tx, row)
        self.tags.put(call, repository_arn(call, provider, name), new_tags)
        return {"repository": self._wire(call, row)}

    def get(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"repository": self._wire(call, self._load(call, params))}

    def list(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        query = paging.query_key("ListRepositories", call.account_id, call.region)
        position = paging.decode(params.get("nextToken"), query, (str, str))
        limit = paging.page_size(params)
        after = (position[0], position[1]) if position else ("", "")
        rows = store.page(call.tx, call.scope, after=after, limit=limit + 1)
        page = list(islice(rows, limit))
        result: dict[str, Any] = {"repositories": [self._wire(call, row, summary=True) for row in page]}
        if len(rows) > limit:
            result["nextToken"] = paging.encode(query, [page[-1]["name"], page[-1]["provider"]])
        return result

    def delete(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """[decided] Y-4: only unlinks, and not while something names the link."""
        row = self._load(call, params)
        users = self.relations.repository_users(call, row["provider"], row["name"])
        if users:
            raise ConflictException(
                f"Repository {label(row['provider'], row['name'])} is in use by {', '.join(users)}; it cannot be "
                "unlinked."
            )
        store.delete(call.tx, call.scope, row["provider"], row["name"])
        sync_state.delete_of_link(call.tx, call.scope, row["provider"], row["name"])  # [decided] Y-4
        self.tags.drop(call, repository_arn(call, row["provider"], row["name"]))
        return {"repository": self._wire(call, row)}

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        provider, _, name = resource_id.partition(":")
        row = None
        if arn.account_id == call.account_id and provider == provider.lower():
            row = store.get(call.tx, call.scope, provider.upper(), name)
        if row is None:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
