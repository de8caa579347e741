"""Tags on Proton resources: TagResource, UntagResource and ListTagsForResource [doc].

Each resource family registers who may manage the tags of its ARNs; tags themselves live in one table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openproton import decided
from openproton.store import tags as store

from . import arns, paging
from .call import Call
from .errors import ResourceNotFoundException, ValidationException

# Raises (not found, access denied) unless the caller may manage tags on this resource.
OwnerCheck = Callable[[Call, str, arns.ProtonArn], None]


def _reserved(key: str) -> bool:
    return key.startswith(decided.RESERVED_TAG_PREFIX)


class Tags:
    def __init__(self) -> None:
        self._owners: dict[str, OwnerCheck] = {}

    def register(self, resource_type: str, check: OwnerCheck) -> None:
        self._owners[resource_type] = check

    # -- used by the resource families ---------------------------------------------------------------

    @staticmethod
    def check_new(tag_list: list[dict[str, str]]) -> dict[str, str]:
        """A create call's tags as a map, after the rules every tag must meet."""
        reserved = sorted({tag["key"] for tag in tag_list if _reserved(tag["key"])})
        if reserved:
            # [decided] E-14
            raise ValidationException(
                f"Tag keys starting with '{decided.RESERVED_TAG_PREFIX}' are reserved for AWS: {', '.join(reserved)}"
            )
        return {tag["key"]: tag["value"] for tag in tag_list}

    @staticmethod
    def put(call: Call, resource_arn: str, new: dict[str, str]) -> None:
        store.put(call.tx, call.scope, resource_arn, new)

    @staticmethod
    def of(call: Call, resource_arn: str) -> dict[str, str]:
        """A resource's tags (a service's, copied onto its instances [doc])."""
        return store.get(call.tx, call.scope, resource_arn)

    @staticmethod
    def drop(call: Call, resource_arn: str) -> None:
        store.remove_all(call.tx, call.scope, resource_arn)

    # -- the operations ------------------------------------------------------------------------------

    def tag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["resourceArn"]
        self._authorize(call, arn)
        new = self.check_new(params["tags"])
        # One tagger of a resource at a time (PostgreSQL; SQLite's writers take turns anyway), so the merged
        # count below is the count that is stored.
        call.database.lock(call.tx, f"tags:{arn}")
        merged = {**store.get(call.tx, call.scope, arn), **new}
        if len(merged) > decided.MAX_TAGS_PER_RESOURCE:
            # [decided] E-14
            raise ValidationException(
                f"A resource can have at most {decided.MAX_TAGS_PER_RESOURCE} tags; this request would leave "
                f"{arn} with {len(merged)}."
            )
        store.put(call.tx, call.scope, arn, new)
        return {}

    def untag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["resourceArn"]
        self._authorize(call, arn)
        keys = params["tagKeys"]
        reserved = sorted({key for key in keys if _reserved(key)})
        if reserved:
            # [decided] E-14
            raise ValidationException(
                f"Tag keys starting with '{decided.RESERVED_TAG_PREFIX}' are reserved for AWS: {', '.join(reserved)}"
            )
        store.remove(call.tx, call.scope, arn, list(keys))
        return {}

    def list_tags_for_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["resourceArn"]
        self._authorize(call, arn)
        query = paging.query_key("ListTagsForResource", call.account_id, call.region, arn)
        position = paging.decode(params.get("nextToken"), query, (str,))
        limit = paging.page_size(params)
        # Tags come in key order; the page starts after the last key of the previous page.
        items = list(store.get(call.tx, call.scope, arn).items())
        if position:
            items = [item for item in items if item[0] > position[0]]
        page = items[:limit]
        result: dict[str, Any] = {"tags": [{"key": key, "value": value} for key, value in page]}
        if len(items) > limit:
            result["nextToken"] = paging.encode(query, [page[-1][0]])
        return result

    def _authorize(self, call: Call, resource_arn: str) -> None:
        arn = arns.parse(resource_arn)
        check = self._owners.get(arn.resource_type) if arn is not None else None
        if arn is None or check is None or arn.region != call.region:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_arn}")
        check(call, arn.resource_id, arn)
