"""A spec section's inputs checked against a bundle's schema (bundles-and-provisioning.md B-10, B-11, B-13).

Pure: `check_inputs` takes the parsed section and returns the inputs a render uses and the problems, as
(path, problem) items the caller sorts and wraps in B-13's `Invalid spec: ...`. Values are never echoed.

The schema is untrusted (whoever registers a template writes it), so the validator never sees it as written: each
type is compiled once into a tree holding only B-10's keywords, with values of the right kind (anything else is
dropped: registration has already refused what matters, B-6 step 8), `$ref`s replaced by the target's own node
and patterns pre-compiled with `regex`. That keeps `$schema`, `id` and keywords outside B-10 from steering
`OAS30Validator` (a `$schema` would switch it to a validator class running Python's `re`), and makes a schema
such as `maximum: high` harmless rather than a TypeError.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from .model import Schema
from .schema import MAX_SCHEMA_DEPTH, PROPERTY_TYPES, compile_pattern

# [doc] The value that keeps an input's current value (the same text as service_specs.CURRENT_VAL).
CURRENT_VAL = "${Proton::CURRENT_VAL}"
# P-25: one pattern search may take this long; past it the input fails `must match pattern <p>`.
PATTERN_TIMEOUT = 0.1
# Ours: all the searches of one check_inputs call together. Without it a spec of 1,000 array items against a
# catastrophic pattern would hold a worker for 100 s; past it every further search fails as a timeout does.
PATTERN_BUDGET = 1.0
_CACHE_SIZE = 128

_Node = dict[str, Any]  # a compiled Schema Object: B-10's keywords only, values checked


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str  # as written, for `must match pattern <p>` (the schema's text, not the caller's)
    compiled: regex.Pattern[str]


@dataclass(frozen=True, slots=True)
class _Bound:
    value: int | float
    exclusive: bool  # OpenAPI 3.0's boolean exclusiveMinimum / exclusiveMaximum


# --- The keywords: each yields at most one error, worded as B-13 -----------------------------------------------


def _error(message: str, path: tuple[str, ...] = ()) -> ValidationError:
    from jsonschema.exceptions import ValidationError

    return ValidationError(message, path=path)


def _type(validator: Any, type_: str, instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable"):
        return
    # A null that reaches here is an array item (a mapping's null reads as absent, `_properties`).
    if instance is None or not validator.is_type(instance, type_):
        yield _error(f"must be of type {type_}")


def _enum(validator: Any, values: tuple[Any, ...], instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable"):
        return
    if not _in_enum(instance, values):
        yield _error("must be one of [" + ", ".join(_show(value) for value in values) + "]")


def _in_enum(instance: Any, values: tuple[Any, ...]) -> bool:
    return any(_equal(instance, value) for value in values)


def _equal(a: Any, b: Any) -> bool:
    # JSON's equality, not Python's: `true` is not `1`, `80` is not `"80"`.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except Exception:  # a YAML type with an odd __eq__; not equal is the safe answer
        return False


def _show(value: Any) -> str:
    """An enum member as a schema author wrote it (the schema's values, never the caller's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lower(limit: int | float, exclusive: bool = False) -> str:
    return f"must have value greater than {limit}" if exclusive else f"must have value greater than or equal to {limit}"


def _upper(limit: int | float, exclusive: bool = False) -> str:
    return f"must have value less than {limit}" if exclusive else f"must have value less than or equal to {limit}"


def _count(kind: type, lower: bool) -> Callable[..., Iterator[ValidationError]]:
    """minLength/maxLength (of a string) and minItems/maxItems (of an array): B-13 words them as any bound."""

    def keyword(validator: Any, limit: int, instance: Any, schema: _Node) -> Iterator[ValidationError]:
        if isinstance(instance, kind) and (len(instance) < limit if lower else len(instance) > limit):
            yield _error(_lower(limit) if lower else _upper(limit))

    return keyword


def _minimum(validator: Any, bound: _Bound, instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if validator.is_type(instance, "number") and (
        instance < bound.value or (bound.exclusive and instance == bound.value)
    ):
        yield _error(_lower(bound.value, bound.exclusive))


def _maximum(validator: Any, bound: _Bound, instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if validator.is_type(instance, "number") and (
        instance > bound.value or (bound.exclusive and instance == bound.value)
    ):
        yield _error(_upper(bound.value, bound.exclusive))


# The deadline of the current check_inputs call's pattern budget (None: outside one, no budget).
_deadline: ContextVar[float | None] = ContextVar("openproton_pattern_deadline", default=None)


def _pattern(validator: Any, pattern: _Pattern, instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if not isinstance(instance, str):
        return
    # A value another keyword of this schema refuses gets that problem (one per location); not searching it
    # also spares the pattern budget on, say, a 1 MB string past maxLength.
    if "enum" in schema and not _in_enum(instance, schema["enum"]):
        return
    if not (schema.get("minLength", 0) <= len(instance) <= schema.get("maxLength", len(instance))):
        return
    if not _search(pattern.compiled, instance):
        yield _error(f"must match pattern {pattern.text}")


def _search(compiled: regex.Pattern[str], text: str) -> bool:
    """[decided] B-10: a search, not a full match; P-25: timed out is not matched."""
    timeout = PATTERN_TIMEOUT
    deadline = _deadline.get()
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        timeout = min(timeout, remaining)
    try:
        return compiled.search(text, timeout=timeout) is not None
    except TimeoutError:
        return False


def _absent(node: _Node, value: Any) -> bool:
    # B-10: null counts as absent unless the property is nullable.
    return value is None and not node.get("nullable")


def _properties(validator: Any, properties: dict[Any, _Node], instance: Any, schema: _Node) -> Iterator[Any]:
    if not isinstance(instance, dict):
        return
    for name, node in properties.items():
        if name in instance and not _absent(node, instance[name]):
            yield from validator.descend(instance[name], node, path=str(name))


def _required(validator: Any, required: tuple[str, ...], instance: Any, schema: _Node) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    properties = schema.get("properties", {})
    for name in required:
        if name not in instance or _absent(properties.get(name, {}), instance[name]):
            # B-13: the path of the missing key, not of its parent.
            yield _error("is required", path=(name,))


def _additional(validator: Any, additional: Any, instance: Any, schema: _Node) -> Iterator[Any]:
    if not isinstance(instance, dict):
        return
    properties = schema.get("properties", {})
    for key, value in instance.items():
        if key in properties:
            continue
        if additional is False:
            if value is not None:  # a null extra is absent, like any other null
                yield _error("is not allowed by the schema", path=(str(key),))
        elif not _absent(additional, value):
            yield from validator.descend(value, additional, path=str(key))


def _items(validator: Any, node: _Node, instance: Any, schema: _Node) -> Iterator[Any]:
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from validator.descend(item, node, path=index)


@functools.cache
def _input_validator() -> Any:
    """Every keyword a compiled node can hold; `nullable` is read by the others. OAS30Validator's descent, type
    checker (`number` takes integers, not booleans; `integer` refuses 1.0) and error plumbing stay its own.
    Built on first use: jsonschema and its OpenAPI dialect cost a server's start-up a tenth of a second."""
    from jsonschema.validators import extend
    from openapi_schema_validator import OAS30Validator

    return extend(
        OAS30Validator,
        validators={
            "type": _type,
            "enum": _enum,
            "minLength": _count(str, lower=True),
            "maxLength": _count(str, lower=False),
            "minItems": _count(list, lower=True),
            "maxItems": _count(list, lower=False),
            "minimum": _minimum,
            "maximum": _maximum,
            "pattern": _pattern,
            "properties": _properties,
            "required": _required,
            "additionalProperties": _additional,
            "items": _items,
        },
    )


# One problem per location: the most telling one. `has no current value` and structure first, then the type,
# then membership, then bounds, then the pattern.
_RANK = {
    "required": 0,
    "additionalProperties": 0,
    "type": 1,
    "enum": 2,
    "minLength": 3,
    "maxLength": 3,
    "minItems": 3,
    "maxItems": 3,
    "minimum": 3,
    "maximum": 3,
    "pattern": 4,
}


# --- Compiling a schema ---------------------------------------------------------------------------------------


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Compiler:
    """The types of one schema as compiled nodes; `$ref` cycles become cycles between nodes."""

    def __init__(self, types: Mapping[Any, Any]) -> None:
        self.types = types
        self.nodes: dict[str, _Node] = {}
        self.pending: list[str] = []

    def type_node(self, name: str) -> _Node:
        """The node of a type, created empty and filled by `run` (so a type refers to itself without recursion)."""
        # A type that is itself only a $ref (`Alias: {$ref: "#/Real"}`) is its target.
        for _ in range(len(self.types) + 1):
            raw = self.types.get(name)
            target = raw.get("$ref") if isinstance(raw, dict) else None
            if not (isinstance(target, str) and target.startswith("#/") and target[2:] in self.types):
                break
            name = target[2:]
        else:
            return {}  # a cycle of aliases constrains nothing
        if name not in self.nodes:
            self.nodes[name] = {}
            self.pending.append(name)
        return self.nodes[name]

    def run(self) -> None:
        while self.pending:
            name = self.pending.pop()
            self.fill(self.nodes[name], self.types.get(name), 0)

    def node(self, raw: Any, depth: int) -> _Node:
        if isinstance(raw, dict) and "$ref" in raw:
            ref = raw["$ref"]
            if isinstance(ref, str) and ref.startswith("#/") and ref[2:] in self.types:
                return self.type_node(ref[2:])
            return {}
        node: _Node = {}
        self.fill(node, raw, depth)
        return node

    def fill(self, node: _Node, raw: Any, depth: int) -> None:
        # Too deep or not a Schema Object: accepts anything (registration refused these where it checks, B-6).
        if not isinstance(raw, dict) or depth > MAX_SCHEMA_DEPTH:
            return
        if raw.get("type") in PROPERTY_TYPES:
            node["type"] = raw["type"]
        if raw.get("nullable") is True:
            node["nullable"] = True
        if isinstance(raw.get("enum"), list):
            node["enum"] = tuple(raw["enum"])
        for key in ("minLength", "maxLength", "minItems", "maxItems"):
            if _is_count(raw.get(key)):
                node[key] = raw[key]
        for key, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if _is_number(raw.get(key)):
                node[key] = _Bound(raw[key], raw.get(exclusive) is True)
        pattern = raw.get("pattern")
        if isinstance(pattern, str):
            # One that does not compile constrains nothing (registration refused it, B-6 step 8).
            with contextlib.suppress(regex.error, ValueError, OverflowError, RecursionError):
                node["pattern"] = _Pattern(pattern, compile_pattern(pattern))
        if isinstance(raw.get("items"), dict):
            node["items"] = self.node(raw["items"], depth + 1)
        if isinstance(raw.get("properties"), dict):
            node["properties"] = {name: self.node(sub, depth + 1) for name, sub in raw["properties"].items()}
        if isinstance(raw.get("required"), list):
            node["required"] = tuple(name for name in raw["required"] if isinstance(name, str))
        additional = raw.get("additionalProperties")
        if additional is False:
            node["additionalProperties"] = False
        elif isinstance(additional, dict):
            node["additionalProperties"] = self.node(additional, depth + 1)


@dataclass(frozen=True, slots=True)
class _Section:
    types: Mapping[str, Mapping[str, Any]]  # what it was compiled from, to tell a stale cache entry
    validator: Any
    # The input type's top-level properties in schema order: (name, node, has a default, the default).
    properties: tuple[tuple[Any, _Node, bool, Any], ...]


def _compile(schema: Schema, section: str) -> _Section:
    name = schema.input_types[section]
    compiler = _Compiler(schema.types)
    root = compiler.type_node(name)
    compiler.run()
    raw = schema.types.get(name)
    raw_properties = raw.get("properties") if isinstance(raw, dict) else None
    nodes = root.get("properties", {})
    properties = tuple(
        (
            key,
            nodes.get(key, {}),
            isinstance(sub, dict) and "default" in sub,
            sub.get("default") if isinstance(sub, dict) else None,
        )
        for key, sub in (raw_properties.items() if isinstance(raw_properties, dict) else ())
    )
    return _Section(types=schema.types, validator=_input_validator()(root), properties=properties)


_cache: dict[tuple[str, str], _Section] = {}
_cache_lock = threading.Lock()


def _section(schema: Schema, section: str) -> _Section:
    """The compiled section, cached on the schema's text (its Mapping fields are unhashable)."""
    key = (schema.text, section)
    hit = _cache.get(key)
    # The text is the key, the types the check: a Schema built by hand with a reused text is compiled afresh.
    if hit is not None and (hit.types is schema.types or hit.types == schema.types):
        return hit
    built = _compile(schema, section)
    with _cache_lock:
        while len(_cache) >= _CACHE_SIZE:
            del _cache[next(iter(_cache))]  # the oldest entry
        _cache[key] = built
    return built


# --- Checking ------------------------------------------------------------------------------------------------


def check_inputs(
    schema: Schema,
    section: str,
    inputs: Any,
    path: str,
    *,
    current: Mapping[str, Any] | None,
    creating: bool,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The inputs a render uses, and every problem as (path, problem) (B-10, B-11, B-13).

    `section`: "environment", "service" or "pipeline"; `inputs`: the section's mapping (None: absent, `{}`);
    `path`: the problems' prefix (`spec`, `instances[web].spec`, `pipeline`); `current`: the resource's current
    inputs (None: none); `creating`: the resource does not exist yet, so CURRENT_VAL has nothing to keep.
    """
    compiled = _section(schema, section)
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        return {}, [(path, "must be a mapping")]

    problems: list[tuple[str, str]] = []
    given: dict[Any, Any] = {}
    unkept: set[tuple[str, ...]] = set()  # locations already reported as `has no current value`
    for key, value in inputs.items():
        if isinstance(value, str) and value == CURRENT_VAL:
            # [decided] B-11, top-level only: nested, the text is an ordinary string value.
            if current is not None and key in current:
                given[key] = current[key]
            elif creating:
                problems.append((f"{path}.{key}", "has no current value"))
                unkept.add((str(key),))
            continue
        given[key] = value

    token = _deadline.set(time.monotonic() + PATTERN_BUDGET)
    try:
        errors = list(compiled.validator.iter_errors(given))
    finally:
        _deadline.reset(token)
    problems.extend(_problems(errors, path, unkept))

    effective: dict[str, Any] = {}
    for key, node, has_default, default in compiled.properties:
        if key in given and not _absent(node, given[key]):
            effective[key] = given[key]
        elif has_default:
            # Never validated (B-11: AWS's samples have `type: boolean, default: public`); copied, since a render
            # must not be able to change the schema every later render reads.
            effective[key] = copy.deepcopy(default)
    return effective, problems


def _problems(errors: list[ValidationError], path: str, unkept: set[tuple[str, ...]]) -> list[tuple[str, str]]:
    """One problem per location, the best ranked (the first of equal rank), in the validator's order."""
    best: dict[tuple[Any, ...], tuple[int, str]] = {}
    for error in errors:
        location = tuple(error.absolute_path)
        if location in unkept:
            continue
        rank = _RANK.get(str(error.validator), len(_RANK))
        if location not in best or rank < best[location][0]:
            best[location] = (rank, error.message)
    return [(_path(path, location), message) for location, (_, message) in best.items()]


def _path(prefix: str, location: tuple[Any, ...]) -> str:
    # Indexes are ints and keys strings (the keywords above make them so): `spec.subnets[1]`, `spec.db.name`.
    return prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
