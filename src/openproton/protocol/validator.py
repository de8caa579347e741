"""Input checking derived from the model: JSON types first, then every constraint, in AWS's wording.

Each shape is compiled once into a checker closure, so a request costs one walk over its own members.
A member of the wrong JSON type stops the walk with SerializationException (wire.md's order of checks puts
types before constraints); constraint violations are collected and reported together as one
ValidationException, `N validation errors detected: ...`.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from botocore.model import ListShape, MapShape, Shape, StructureShape

from .errors import SerializationException, ValidationException

# A checker takes the JSON value and its path, appends violations, and returns the value to hand on.
Checker = Callable[[Any, str, list["Violation"]], Any]

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}

UNION_RULE = "Member must have exactly one of its members set"  # [decided] decided.py W-5


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _type_error(path: str, expected: str, value: Any) -> SerializationException:
    # [decided] W-7: a wrong JSON type is a SerializationException that says what was expected where.
    where = f"'{path}'" if path else "the request body"
    return SerializationException(f"Expected {expected} at {where} but found {_json_type(value)}.")


def render_value(value: Any) -> str:
    """How AWS's Java front end prints a rejected value: lists as [a, b], structures as {k=v}."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Violation(NamedTuple):
    """One constraint a value failed: kept apart until the message is written, so a list of scalars can fold
    its elements' violations into one item at the list (wire.md)."""

    path: str
    value: Any
    rule: str
    sensitive: bool = False

    def __str__(self) -> str:
        if self.value is None:
            shown = "Value null"
        elif self.sensitive:
            shown = "Value"  # wire.md: sensitive members are never echoed
        else:
            shown = f"Value '{render_value(self.value)}'"
        return f"{shown} at '{self.path}' failed to satisfy constraint: {self.rule}"


def violation(path: str, value: Any, rule: str, *, sensitive: bool = False) -> Violation:
    return Violation(path, value, rule, sensitive)


def validation_error(violations: list[Violation]) -> ValidationException:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return ValidationException(f"{count} validation {noun} detected: " + "; ".join(map(str, violations)))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _length_rules(shape: Shape) -> Callable[[Any, int, str, list[Violation]], None] | None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    sensitive = bool(shape.metadata.get("sensitive"))
    if low is None and high is None:
        return None

    def check(value: Any, size: int, path: str, errors: list[Violation]) -> None:
        if low is not None and size < low:
            errors.append(
                violation(path, value, f"Member must have length greater than or equal to {low}", sensitive=sensitive)
            )
        if high is not None and size > high:
            errors.append(
                violation(path, value, f"Member must have length less than or equal to {high}", sensitive=sensitive)
            )

    return check


class InputValidator:
    """Compiles and caches one checker per shape name."""

    def __init__(self) -> None:
        self._cache: dict[str, Checker] = {}
        # Checkers are compiled on first use, by whichever request thread needs one first. One thread compiles
        # at a time, into `_building`, and the cache only ever holds finished checkers: a forwarding stub seen
        # by another thread would call itself (a RecursionError a race on a server found).
        self._lock = threading.RLock()
        self._building: dict[str, Checker] = {}

    def check(self, shape: StructureShape | None, body: dict[str, Any]) -> dict[str, Any]:
        """Return the input with unknown and null members dropped; raise on a type or constraint error."""
        if shape is None:
            return {}
        errors: list[Violation] = []
        params = self._checker(shape)(body, "", errors)
        if errors:
            raise validation_error(errors)
        return params

    def _checker(self, shape: Shape) -> Checker:
        checker = self._cache.get(shape.name)
        if checker is not None:
            return checker
        with self._lock:
            checker = self._cache.get(shape.name) or self._building.get(shape.name)
            if checker is not None:
                return checker
            outermost = not self._building
            name = shape.name
            # Recursive shapes: a forwarding stub first, replaced once the real checker is built; stubs run only
            # after the outermost compile has published every checker it built.
            self._building[name] = lambda v, p, e: self._cache[name](v, p, e)
            try:
                checker = self._building[name] = self._compile(shape)
            except BaseException:
                if outermost:
                    self._building.clear()
                raise
            if outermost:
                self._cache.update(self._building)
                self._building.clear()
            return checker

    def _compile(self, shape: Shape) -> Checker:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)  # type: ignore[arg-type]
        if kind == "list":
            return self._list(shape)  # type: ignore[arg-type]
        if kind == "map":
            return self._map(shape)  # type: ignore[arg-type]
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long"):
            return self._number(shape, integral=True)
        if kind in ("float", "double"):
            return self._number(shape, integral=False)
        if kind == "boolean":
            return self._boolean()
        if kind == "timestamp":
            return self._timestamp()
        if kind == "blob":
            return self._blob(shape)
        raise TypeError(f"unsupported shape type {kind!r} in {shape.name}")

    def _structure(self, shape: StructureShape) -> Checker:
        members = [
            (name, self._checker(member), bool(member.metadata.get("sensitive")))
            for name, member in shape.members.items()
        ]
        required = frozenset(shape.required_members)
        is_union = bool(shape.metadata.get("union"))
        member_names = list(shape.members)

        def check(value: Any, path: str, errors: list[Violation]) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise _type_error(path, "an object", value)
            out: dict[str, Any] = {}
            for name, member_check, _sensitive in members:
                item = value.get(name)
                if item is None:
                    if name in required:
                        errors.append(violation(_join(path, name), None, "Member must not be null"))
                    continue
                out[name] = member_check(item, _join(path, name), errors)
            if is_union and len(out) != 1:
                errors.append(violation(path, value, f"{UNION_RULE}: [{', '.join(member_names)}]"))
            return out

        return check

    def _list(self, shape: ListShape) -> Checker:
        member_check = self._checker(shape.member)
        length = _length_rules(shape)
        if shape.member.type_name in ("structure", "list", "map"):

            def check(value: Any, path: str, errors: list[Violation]) -> list[Any]:
                if not isinstance(value, list):
                    raise _type_error(path, "an array", value)
                out = [member_check(item, f"{path}.{i}.member", errors) for i, item in enumerate(value, 1)]
                if length is not None:
                    length(value, len(value), path, errors)
                return out

            return check

        sensitive = bool(shape.member.metadata.get("sensitive"))

        def check_scalars(value: Any, path: str, errors: list[Violation]) -> list[Any]:
            if not isinstance(value, list):
                raise _type_error(path, "an array", value)
            found: list[Violation] = []
            out = [member_check(item, f"{path}.{i}.member", found) for i, item in enumerate(value, 1)]
            if found:
                # wire.md: a list of scalars is checked as one value; each distinct element rule appears once.
                rules = ", ".join(dict.fromkeys(item.rule for item in found))
                errors.append(violation(path, value, f"Member must satisfy constraint: [{rules}]", sensitive=sensitive))
            if length is not None:
                length(value, len(value), path, errors)
            return out

        return check_scalars

    def _map(self, shape: MapShape) -> Checker:
        key_check = self._checker(shape.key)
        value_check = self._checker(shape.value)
        length = _length_rules(shape)

        def check(value: Any, path: str, errors: list[Violation]) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise _type_error(path, "an object", value)
            out = {}
            for key, item in value.items():
                key_check(key, f"{path}.{key}", errors)
                out[key] = value_check(item, f"{path}.{key}", errors)
            if length is not None:
                length(value, len(value), path, errors)
            return out

        return check

    def _string(self, shape: Shape) -> Checker:
        length = _length_rules(shape)
        pattern_text = shape.metadata.get("pattern")
        pattern = re.compile(pattern_text, re.ASCII) if pattern_text else None
        enum = shape.metadata.get("enum")
        enum_set = frozenset(enum) if enum else None
        sensitive = bool(shape.metadata.get("sensitive"))

        def check(value: Any, path: str, errors: list[Violation]) -> str:
            if not isinstance(value, str):
                raise _type_error(path, "a string", value)
            if length is not None:
                length(value, len(value), path, errors)
            if "\x00" in value:
                # [decided] W-12: PostgreSQL cannot store U+0000, so no backend accepts it.
                errors.append(
                    violation(path, value, "Member must not contain the character U+0000", sensitive=sensitive)
                )
            # Full matches only: Python's `$` also matches before a trailing newline (wire.md).
            if pattern is not None and pattern.fullmatch(value) is None:
                errors.append(
                    violation(
                        path,
                        value,
                        f"Member must satisfy regular expression pattern: {pattern_text}",
                        sensitive=sensitive,
                    )
                )
            if enum_set is not None and value not in enum_set:
                errors.append(
                    violation(
                        path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]", sensitive=sensitive
                    )
                )
            return value

        return check

    def _number(self, shape: Shape, *, integral: bool) -> Checker:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        expected = "an integer" if integral else "a number"

        def check(value: Any, path: str, errors: list[Violation]) -> Any:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(path, expected, value)
            if integral and not isinstance(value, int):
                if not value.is_integer():
                    raise _type_error(path, expected, value)
                value = int(value)
            if low is not None and value < low:
                errors.append(violation(path, value, f"Member must have value greater than or equal to {low}"))
            if high is not None and value > high:
                errors.append(violation(path, value, f"Member must have value less than or equal to {high}"))
            return value

        return check

    @staticmethod
    def _boolean() -> Checker:
        def check(value: Any, path: str, errors: list[Violation]) -> bool:
            if not isinstance(value, bool):
                raise _type_error(path, "a boolean", value)
            return value

        return check

    @staticmethod
    def _timestamp() -> Checker:
        def check(value: Any, path: str, errors: list[Violation]) -> datetime:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, UTC)
            if isinstance(value, str):
                try:
                    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    pass
                else:
                    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            raise _type_error(path, "a timestamp (epoch seconds)", value)

        return check

    def _blob(self, shape: Shape) -> Checker:
        length = _length_rules(shape)

        def check(value: Any, path: str, errors: list[Violation]) -> bytes:
            if not isinstance(value, str):
                raise _type_error(path, "a base64 string", value)
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise _type_error(path, "a base64 string", value) from None
            if length is not None:
                length(value, len(data), path, errors)
            return data

        return check
