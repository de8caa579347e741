"""Request bodies: JSON parsed by orjson, with the nesting depth bounded before anything walks the value.

The validator, the rendering of rejected values and the audit log all walk a body recursively; a body nested
hundreds of levels deep would exhaust Python's stack there. Bounding the depth here, once, keeps every later
walk safe, whichever part of the body it reaches (known members, unions or members the model does not have).
"""

from __future__ import annotations

from typing import Any

import orjson

from openproton.decided import MAX_BODY_DEPTH

from .errors import SerializationException


class TooDeep(ValueError):
    pass


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels deep in `value` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads_bounded(raw: bytes | str, limit: int = MAX_BODY_DEPTH) -> Any:
    """orjson.loads, refusing values nested deeper than `limit` (TooDeep); JSON errors pass through."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):  # orjson's own bound, 1024 levels
            raise TooDeep(f"nested more than {limit} levels deep") from None
        raise
    # Nesting needs an opening bracket per level: a body with few of them cannot be deep, and the count is a
    # C loop over the bytes, so the usual request never pays for the walk.
    data = raw if isinstance(raw, bytes) else raw.encode()
    if data.count(b"{") + data.count(b"[") > limit and depth_exceeds(value, limit):
        raise TooDeep(f"nested more than {limit} levels deep")
    return value


def parse_request_body(raw: bytes) -> dict[str, Any]:
    """An AWS JSON request body: an object, `{}` when empty. Raises SerializationException."""
    if not raw.strip():
        return {}  # an empty body means {}
    try:
        body = loads_bounded(raw)
    except orjson.JSONDecodeError:
        raise SerializationException("The request body is not valid JSON.") from None
    except TooDeep:
        # [decided] W-13
        raise SerializationException(f"The request body is nested more than {MAX_BODY_DEPTH} levels deep.") from None
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object.")
    return body
