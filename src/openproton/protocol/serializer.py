"""Output and error serialization for AWS JSON 1.0, derived from the output shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from botocore.model import Shape

from .errors import AwsError

Serializer = Callable[[Any], Any]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class Millis(int):
    """A timestamp as integer epoch milliseconds: serialized without a datetime in between."""

    __slots__ = ()


def epoch_seconds(value: datetime | float | int) -> float | int:
    """Timestamps go out as JSON numbers of epoch seconds, truncated to milliseconds (wire.md).

    Datetimes are converted with integer arithmetic, so no float rounding can move a millisecond.
    """
    if type(value) is Millis:
        millis = int(value)
    elif isinstance(value, datetime):
        millis = (value - _EPOCH) // _MILLISECOND
    else:
        millis = int(value * 1000)
    return millis // 1000 if millis % 1000 == 0 else millis / 1000


def _identity(value: Any) -> Any:
    return value


class OutputSerializer:
    """Drops absent and unmodelled members and turns timestamps into numbers; compiled once per shape."""

    def __init__(self) -> None:
        self._cache: dict[str, Serializer] = {}

    def to_json(self, shape: Shape | None, result: dict[str, Any] | None) -> bytes:
        if shape is None or not result:
            return b"{}"
        return orjson.dumps(self._serializer(shape)(result))

    def _serializer(self, shape: Shape) -> Serializer:
        found = self._cache.get(shape.name)
        if found is None:
            self._cache[shape.name] = lambda v: self._cache[shape.name](v)
            found = self._compile(shape)
            self._cache[shape.name] = found
        return found

    @staticmethod
    def _needs_walk(shape: Shape) -> bool:
        """Scalars, and lists or maps of plain scalars, go out as they are."""
        kind = shape.type_name
        if kind in ("timestamp", "structure"):
            return True
        if kind == "list":
            return shape.member.type_name in ("timestamp", "structure", "list", "map")  # type: ignore[attr-defined]
        if kind == "map":
            return shape.value.type_name in ("timestamp", "structure", "list", "map")  # type: ignore[attr-defined]
        return False

    def _compile(self, shape: Shape) -> Serializer:
        kind = shape.type_name
        if kind == "timestamp":
            return epoch_seconds
        if kind == "structure":
            members = {
                name: (self._serializer(m) if self._needs_walk(m) else _identity)
                for name, m in shape.members.items()  # type: ignore[attr-defined]
            }

            def structure(value: dict[str, Any]) -> dict[str, Any]:
                return {
                    name: members[name](item) for name, item in value.items() if item is not None and name in members
                }

            return structure
        if kind == "list" and self._needs_walk(shape):
            item = self._serializer(shape.member)  # type: ignore[attr-defined]
            return lambda value: [item(v) for v in value]
        if kind == "map" and self._needs_walk(shape):
            item = self._serializer(shape.value)  # type: ignore[attr-defined]
            return lambda value: {k: item(v) for k, v in value.items()}
        return _identity


def error_body(namespace: str, error: AwsError) -> bytes:
    # `__type` carries the namespaced shape name and `message` the text; never a `code` key (wire.md).
    return orjson.dumps({"__type": f"{namespace}#{error.code}", "message": error.message})
