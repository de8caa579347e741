"""Property tests: inputs generated from the service model, valid and invalid, never produce a 5xx (other than
the 501 of an operation not implemented yet) and never leave partial state.

`Inputs` walks botocore shapes and builds hypothesis strategies for JSON values: valid ones, which respect every
constraint of the model, and invalid ones, which break exactly one rule at a known path (a wrong JSON type, a
missing required member, a length, range, pattern or enum violation, a union with zero or two members). It knows
nothing about any particular operation; member-name "hints" only let some values come from a pool (ids the
server handed out, the two test accounts) so that generated calls also reach the business rules.

Everything runs in-process through `mock_proton()`, on a fresh in-memory database for every example, so that
an example replays identically while hypothesis shrinks it. The `world` fixture's server mode is left out on
purpose: thousands of examples over HTTP would cost minutes, and the wire path is the same `Pipeline`.

The tampered-token property found a real bug (an edited nextToken position answered 500); paging now checks the
position's shape.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from botocore.model import OperationModel, Shape, StructureShape
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from sqlalchemy import inspect, select

from openproton import mock_proton
from openproton.decided import DEFAULT_MAX_BODY_BYTES
from openproton.protocol.model import load_service_model
from openproton.proton.provider import ROUTES
from openproton.store.tables import metadata
from support import ENV_ACCOUNT, MGMT_ACCOUNT, InProcessWorld, RawResponse, create_connection

MODEL = load_service_model("proton")
IMPLEMENTED = sorted(ROUTES)
UNIMPLEMENTED = sorted(set(MODEL.operation_names) - set(ROUTES))
ALL_OPERATIONS = sorted(MODEL.operation_names)
ACCOUNTS = (ENV_ACCOUNT, MGMT_ACCOUNT)

ERROR_NAMESPACE = "com.amazonaws.proton.v20200720"
PROTOCOL_ERRORS = frozenset({"ValidationException", "SerializationException", "UnknownOperationException"})
# AWS's wording for constraint violations found by the validator (wire.md, "Validation messages").
CONSTRAINT_MESSAGE = re.compile(r"\d+ validation errors? detected: ")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


# -- strategies from the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """A JSON value that breaks exactly one rule of its shape."""

    value: Any
    error: str  # SerializationException (wrong JSON type) or ValidationException (constraint)
    path: str  # where, in the validator's notation, relative to the shape: "", "id", "tags.2.member.key"


def _under(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if path else prefix


_INTS = st.integers()
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_BOOLS = st.booleans()
_TEXT = st.text(max_size=8)
_SCALARS = st.one_of(st.none(), _INTS, _FLOATS, _BOOLS, _TEXT)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
_LISTS = st.lists(_SCALARS, max_size=3)
_OBJECTS = st.dictionaries(st.text(max_size=6), _SCALARS, max_size=3)
_NON_INTEGRAL = _FLOATS.filter(lambda f: not f.is_integer())
_NOT_BASE64 = st.text(min_size=1, max_size=8).filter(lambda s: not re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*", s))

# JSON values of the wrong type for each kind of shape, never null (null means absent). Numbers are timestamps.
_WRONG_TYPE: dict[str, SearchStrategy[Any]] = {
    "structure": st.one_of(_INTS, _FLOATS, _BOOLS, _TEXT, _LISTS),
    "map": st.one_of(_INTS, _FLOATS, _BOOLS, _TEXT, _LISTS),
    "list": st.one_of(_INTS, _FLOATS, _BOOLS, _TEXT, _OBJECTS),
    "string": st.one_of(_INTS, _FLOATS, _BOOLS, _LISTS, _OBJECTS),
    "integer": st.one_of(_NON_INTEGRAL, _BOOLS, _TEXT, _LISTS, _OBJECTS),
    "long": st.one_of(_NON_INTEGRAL, _BOOLS, _TEXT, _LISTS, _OBJECTS),
    "float": st.one_of(_BOOLS, _TEXT, _LISTS, _OBJECTS),
    "double": st.one_of(_BOOLS, _TEXT, _LISTS, _OBJECTS),
    "boolean": st.one_of(_INTS, _FLOATS, _TEXT, _LISTS, _OBJECTS),
    "timestamp": st.one_of(_BOOLS, _LISTS, _OBJECTS),
    "blob": st.one_of(_INTS, _FLOATS, _BOOLS, _NOT_BASE64, _LISTS, _OBJECTS),
}
_INTEGER_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_LIST_SIZE_CAP = 6  # above the minimum: enough to vary, small enough to stay fast
_TEXT_SIZE_CAP = 24


def _pattern(shape: Shape) -> re.Pattern[str] | None:
    text = shape.metadata.get("pattern")
    return re.compile(text, re.ASCII) if text else None


def string_fits(shape: Shape, value: Any) -> bool:
    """Whether `value` satisfies the string shape's length, pattern and enum (full matches, as wire.md says)."""
    if not isinstance(value, str):
        return False
    meta = shape.metadata
    if len(value) < meta.get("min", 0) or ("max" in meta and len(value) > meta["max"]):
        return False
    if "enum" in meta and value not in meta["enum"]:
        return False
    pattern = _pattern(shape)
    return pattern is None or pattern.fullmatch(value) is not None


class Inputs:
    """Hypothesis strategies for the JSON values of botocore shapes, valid and invalid.

    `hints` maps a member name to a pool of values to draw from besides generated ones; pool values that do not
    fit the member's shape are ignored, so a valid value stays valid.
    """

    # Scalars do not depend on hints: every instance shares their strategies, which hypothesis then validates
    # once rather than once per instance.
    _shared_valid: ClassVar[dict[str, SearchStrategy[Any]]] = {}
    _shared_invalid: ClassVar[dict[str, SearchStrategy[Invalid]]] = {}

    def __init__(self, hints: Mapping[str, Sequence[Any]] | None = None) -> None:
        self.hints = dict(hints or {})
        self._own_valid: dict[str, SearchStrategy[Any]] = {}
        self._own_invalid: dict[str, SearchStrategy[Invalid]] = {}
        self._building: set[str] = set()

    def _caches(self, shape: Shape) -> tuple[dict[str, SearchStrategy[Any]], dict[str, SearchStrategy[Invalid]]]:
        if shape.type_name in ("structure", "list", "map"):
            return self._own_valid, self._own_invalid
        return self._shared_valid, self._shared_invalid

    # valid -----------------------------------------------------------------------------------------------

    def valid(self, shape: Shape) -> SearchStrategy[Any]:
        cache = self._caches(shape)[0]
        found = cache.get(shape.name)
        if found is None:
            # Deferred, so that a recursive shape refers to its own strategy instead of recursing here.
            built: list[SearchStrategy[Any]] = []
            found = st.deferred(lambda: built[0])
            cache[shape.name] = found
            built.append(self._build_valid(shape))
        return found

    def _build_valid(self, shape: Shape) -> SearchStrategy[Any]:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            return self._valid_structure(shape)
        if kind == "list":
            low = meta.get("min", 0)
            high = min(meta.get("max", low + _LIST_SIZE_CAP), low + _LIST_SIZE_CAP)
            return st.lists(self.valid(shape.member), min_size=low, max_size=high)
        if kind == "map":
            low = meta.get("min", 0)
            high = min(meta.get("max", low + _LIST_SIZE_CAP), low + _LIST_SIZE_CAP)
            keys = self.valid(shape.key)
            return st.dictionaries(keys, self.valid(shape.value), min_size=low, max_size=high)
        if kind == "string":
            return self._valid_string(shape)
        if kind in _INTEGER_BOUNDS:
            low, high = _INTEGER_BOUNDS[kind]
            return st.integers(meta.get("min", low), meta.get("max", high))
        if kind in ("float", "double"):
            return st.floats(meta.get("min"), meta.get("max"), allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "timestamp":
            return st.integers(0, 4_102_444_800)  # epoch seconds, up to 2100
        if kind == "blob":
            low = meta.get("min", 0)
            data = st.binary(min_size=low, max_size=min(meta.get("max", low + 32), low + 32))
            return data.map(lambda raw: base64.b64encode(raw).decode("ascii"))
        raise TypeError(f"no strategy for shape type {kind!r} ({shape.name})")

    def _valid_structure(self, shape: StructureShape) -> SearchStrategy[dict[str, Any]]:
        members = {name: self._member(name, member) for name, member in shape.members.items()}
        if shape.metadata.get("union"):
            return st.one_of([st.fixed_dictionaries({name: strategy}) for name, strategy in members.items()])
        required = set(shape.required_members)
        some = st.fixed_dictionaries(
            {name: s for name, s in members.items() if name in required},
            optional={name: s for name, s in members.items() if name not in required},
        )
        if len(members) == len(required):
            return some
        # Every member present is a branch of its own: left to chance, optional members are mostly absent.
        return st.one_of(st.fixed_dictionaries(members), some)

    def _member(self, name: str, shape: Shape) -> SearchStrategy[Any]:
        generated = self.valid(shape)
        pool = [value for value in self.hints.get(name, ()) if shape.type_name != "string" or string_fits(shape, value)]
        return st.one_of(st.sampled_from(pool), generated) if pool else generated

    @staticmethod
    def _valid_string(shape: Shape) -> SearchStrategy[str]:
        meta = shape.metadata
        if "enum" in meta:
            return st.sampled_from(meta["enum"])
        low = meta.get("min", 0)
        high = meta.get("max")
        pattern = _pattern(shape)
        if pattern is not None:
            try:
                matching = st.from_regex(pattern, fullmatch=True)
            except Exception:  # a construct hypothesis cannot generate from: search plain text instead
                matching = st.text(max_size=_TEXT_SIZE_CAP)
            return matching.filter(lambda value: string_fits(shape, value) and "\x00" not in value)
        cap = low + _TEXT_SIZE_CAP if high is None else min(high, low + _TEXT_SIZE_CAP)
        # [decided] W-12 refuses U+0000, which the model allows: valid input here is the model's, without it.
        characters = st.characters(codec="utf-8", exclude_characters="\x00")
        text = st.text(characters, min_size=low, max_size=cap)
        if high is not None and high > cap:
            # The longest value allowed, built cheaply (a long draw would exceed hypothesis' buffer).
            return st.one_of(text, characters.map(lambda char: char * high))
        return text

    # invalid ---------------------------------------------------------------------------------------------

    def invalid(self, shape: Shape) -> SearchStrategy[Invalid] | None:
        """Values breaking exactly one rule of `shape` (a wrong JSON type breaks any shape); None only while
        the shape is being built, for a recursive shape."""
        if shape.name in self._building:
            return None  # a recursive shape: break it at an outer level instead
        cache = self._caches(shape)[1]
        if shape.name not in cache:
            self._building.add(shape.name)
            try:
                options = self._invalid_options(shape)
            finally:
                self._building.discard(shape.name)
            cache[shape.name] = st.one_of(options) if options else st.nothing()
        found = cache[shape.name]
        return None if found.is_empty else found

    def invalid_input(self, shape: StructureShape) -> SearchStrategy[Invalid] | None:
        """Request bodies (JSON objects) breaking exactly one rule of an input shape, at a member; None when the
        shape has no members (the body's own JSON type is the concern of other tests)."""
        key = f"input:{shape.name}"
        if key not in self._own_invalid:
            options = self._invalid_structure(shape)
            self._own_invalid[key] = st.one_of(options) if options else st.nothing()
        found = self._own_invalid[key]
        return None if found.is_empty else found

    def _invalid_options(self, shape: Shape) -> list[SearchStrategy[Invalid]]:
        kind = shape.type_name
        meta = shape.metadata
        options: list[SearchStrategy[Invalid]] = []
        wrong_type = _WRONG_TYPE[kind].map(lambda value: Invalid(value, "SerializationException", ""))
        options.append(wrong_type)
        if kind == "structure":
            options += self._invalid_structure(shape)
        elif kind == "list":
            options += self._invalid_list(shape)
        elif kind == "map":
            options += self._invalid_map(shape)
        elif kind == "string":
            options += self._invalid_string(shape)
        elif kind in _INTEGER_BOUNDS or kind in ("float", "double"):
            numbers = _INTS if kind in _INTEGER_BOUNDS else _FLOATS
            if "min" in meta:
                options.append(numbers.filter(lambda n: n < meta["min"]).map(_constraint))
            if "max" in meta:
                options.append(numbers.filter(lambda n: n > meta["max"]).map(_constraint))
        elif kind == "blob" and meta.get("max") is not None:
            too_long = st.binary(min_size=meta["max"] + 1, max_size=meta["max"] + 3)
            options.append(too_long.map(lambda raw: _constraint(base64.b64encode(raw).decode("ascii"))))
        return options

    def _invalid_structure(self, shape: StructureShape) -> list[SearchStrategy[Invalid]]:
        members = shape.members
        if not members:
            return []
        valid = self.valid(shape)
        options: list[SearchStrategy[Invalid]] = []
        for name in shape.required_members:
            # Absent and null are the same to the server: both are "Member must not be null".
            options.append(
                valid.map(lambda body, name=name: Invalid(_without(body, name), "ValidationException", name))
            )
            options.append(
                valid.map(lambda body, name=name: Invalid({**body, name: None}, "ValidationException", name))
            )
        is_union = bool(shape.metadata.get("union"))
        for name, member in members.items():
            broken = self.invalid(member)
            if broken is None:
                continue
            if is_union:  # the broken member is the one member set
                options.append(
                    broken.map(lambda bad, name=name: Invalid({name: bad.value}, bad.error, _under(name, bad.path)))
                )
            else:
                options.append(
                    st.tuples(valid, broken).map(
                        lambda pair, name=name: Invalid(
                            {**pair[0], name: pair[1].value}, pair[1].error, _under(name, pair[1].path)
                        )
                    )
                )
        if is_union:
            options.append(st.just(Invalid({}, "ValidationException", "")))
            if len(members) > 1:
                two = st.permutations(list(members)).map(lambda names: names[:2])
                options.append(
                    two.flatmap(
                        lambda names: st.fixed_dictionaries({name: self.valid(members[name]) for name in names}).map(
                            lambda body: Invalid(body, "ValidationException", "")
                        )
                    )
                )
        return options

    def _invalid_list(self, shape: Shape) -> list[SearchStrategy[Invalid]]:
        meta = shape.metadata
        member = shape.member
        items = self.valid(member)
        options: list[SearchStrategy[Invalid]] = []
        if meta.get("max") is not None:
            options.append(items.map(lambda item: _constraint([item] * (meta["max"] + 1))))
        if meta.get("min", 0) > 0:
            options.append(st.lists(items, max_size=meta["min"] - 1).map(_constraint))
        broken = self.invalid(member)
        if broken is not None:
            # One bad item among good ones, at a 1-based position: `tags.3.member`.
            def place(parts: tuple[list[Any], Invalid, int]) -> Invalid:
                good, bad, index = parts
                index = min(index, len(good))
                value = [*good[:index], bad.value, *good[index:]]
                if scalars and bad.error == "ValidationException":
                    return Invalid(value, bad.error, "")  # wire.md: a list of scalars is one value
                return Invalid(value, bad.error, _under(f"{index + 1}.member", bad.path))

            scalars = member.type_name not in ("structure", "list", "map")

            high = max(0, min(meta.get("max", _LIST_SIZE_CAP), _LIST_SIZE_CAP) - 1)
            options.append(st.tuples(st.lists(items, max_size=high), broken, st.integers(0, high)).map(place))
        return options

    def _invalid_map(self, shape: Shape) -> list[SearchStrategy[Invalid]]:
        meta = shape.metadata
        options: list[SearchStrategy[Invalid]] = []
        keys = self.valid(shape.key)
        broken = self.invalid(shape.value)
        if broken is not None:
            options.append(
                st.tuples(keys, broken).map(
                    lambda kv: Invalid({kv[0]: kv[1].value}, kv[1].error, _under(kv[0], kv[1].path))
                )
            )
        if meta.get("min", 0) > 0:
            options.append(st.just(_constraint({})))
        return options

    def _invalid_string(self, shape: Shape) -> list[SearchStrategy[Invalid]]:
        meta = shape.metadata
        options: list[SearchStrategy[Invalid]] = []
        if meta.get("max") is not None:
            options.append(
                st.tuples(st.characters(codec="utf-8"), st.integers(1, 3)).map(
                    lambda ce: _constraint(ce[0] * (meta["max"] + ce[1]))
                )
            )
        if meta.get("min", 0) > 0:
            options.append(st.text(max_size=meta["min"] - 1).map(_constraint))
        if "enum" in meta:
            options.append(st.text(max_size=_TEXT_SIZE_CAP).filter(lambda s: s not in meta["enum"]).map(_constraint))
        pattern = _pattern(shape)
        if pattern is not None:
            # A valid value with a trailing newline catches a `$` that is not a full match (wire.md).
            newline = self.valid(shape).map(lambda value: value + "\n")
            mismatch = st.one_of(newline, st.text(max_size=_TEXT_SIZE_CAP))
            options.append(mismatch.filter(lambda s: pattern.fullmatch(s) is None).map(_constraint))
        return options


def _constraint(value: Any) -> Invalid:
    return Invalid(value, "ValidationException", "")


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}


def encode(body: Any) -> bytes:
    """JSON as any client could send it (stdlib json: integers of any size)."""
    return json.dumps(body, allow_nan=False).encode("utf-8")


# -- what every response must be -----------------------------------------------------------------------------


def operation(name: str) -> OperationModel:
    return MODEL.operation_model(name)


def allowed_errors(name: str) -> set[str]:
    return {shape.name for shape in operation(name).error_shapes} | PROTOCOL_ERRORS


def assert_conforms(shape: Shape, value: Any, path: str = "") -> None:
    """A successful body matches the output shape: modelled members only, of the right JSON types, no nulls.

    Required members are not checked: the model marks EnvironmentAccountConnection.roleArn required, yet the
    spec lets a connection have only a codebuildRoleArn and omits unset roles.
    """
    where = path or "the body"
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        assert set(value) <= set(shape.members), f"unmodelled members at {where}: {set(value) - set(shape.members)}"
        for name, item in value.items():
            assert item is not None, f"null at {path}.{name}"
            assert_conforms(shape.members[name], item, _under(path, name) if path else name)
    elif kind == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value, 1):
            assert_conforms(shape.member, item, f"{path}.{index}.member")
    elif kind == "map":
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert_conforms(shape.value, item, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), where
        assert "enum" not in shape.metadata or value in shape.metadata["enum"], where
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind in ("timestamp", "float", "double"):
        assert isinstance(value, int | float) and not isinstance(value, bool), where  # timestamps are numbers
    elif kind == "boolean":
        assert isinstance(value, bool), where
    else:
        assert isinstance(value, str), where  # blobs are base64 text


def check_response(name: str, response: RawResponse, *, sent: int = 0) -> str | None:
    """Assert the wire contract of one response; return the error name, or None for a success. `sent`: the
    request body's size, since a body over the limit is answered 413 whatever it holds ([decided] W-4)."""
    implemented = name in ROUTES
    assert response.headers.get("content-type") == "application/x-amz-json-1.0"
    assert response.headers.get("x-amzn-requestid")
    assert response.headers.get("date")
    body = response.json()
    assert isinstance(body, dict)
    if response.status == 200:
        assert "__type" not in body
        assert "x-amzn-errortype" not in response.headers
        output = operation(name).output_shape
        if output is None:
            assert body == {}
        else:
            assert_conforms(output, body)
        return None
    assert set(body) == {"__type", "message"}, body
    error_type = body["__type"]
    prefix, _, error = error_type.partition("#")
    assert prefix == ERROR_NAMESPACE, error_type
    assert re.fullmatch(r"[A-Z][A-Za-z]+", error), error_type
    assert isinstance(body["message"], str) and body["message"], body
    assert response.headers.get("x-amzn-errortype") == error, (response.headers, error)
    if response.status == 501:
        assert not implemented and error == "NotImplementedException", (name, body)
    elif sent > DEFAULT_MAX_BODY_BYTES:
        assert (response.status, error) == (413, "SerializationException"), (name, response.status, body)
    else:
        assert response.status == 400, (name, response.status, body)
        assert error in allowed_errors(name), (name, body)
    return error


# -- fixtures and helpers ------------------------------------------------------------------------------------


@contextmanager
def fresh_proton() -> Iterator[InProcessWorld]:
    """A fresh in-process Proton for one example (cheap: a copy of a migrated in-memory database), so that
    every example, and every replay of it while shrinking, starts from the same state."""
    with mock_proton() as mock:
        yield InProcessWorld(mock)


# The audit log is the one table a failed call writes to, on purpose: it records the failure.
AUDIT = "audit_log"


def snapshot(world: InProcessWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every resource table, in primary-key order (the audit log is checked on its own)."""
    with world.mock.service.database.engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables
            if table.name != AUDIT
        }


def harvest(value: Any, pools: dict[str, list[Any]]) -> bool:
    """Remember the ids, ARNs and page tokens a response handed out, for later calls to use; True if any was new."""
    found = False
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key in ("id", "arn", "nextToken"):
                pool = pools.setdefault("resourceArn" if key == "arn" else key, [])
                if item not in pool:
                    pool.append(item)
                    found = True
            else:
                found = harvest(item, pools) or found
    elif isinstance(value, list):
        for item in value:
            found = harvest(item, pools) or found
    return found


def static_hints() -> dict[str, list[Any]]:
    return {
        "managementAccountId": [MGMT_ACCOUNT, ENV_ACCOUNT],
        "environmentName": ["dev", "prod"],
        "clientToken": ["token-1", "token-2"],
        "key": ["team", "owner", "aws:reserved"],
    }


STATIC = Inputs(static_hints())
# Every operation of the model is routed today; a newer botocore's new ones would be drawn too (and answer 501).
OPERATIONS = st.sampled_from(IMPLEMENTED + UNIMPLEMENTED)
INVALID_OPERATIONS = [name for name in ALL_OPERATIONS if STATIC.invalid_input(operation(name).input_shape) is not None]


# -- the properties ------------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_model_valid_input_passes_validation_and_never_fails_with_a_5xx(data: Any) -> None:
    name = data.draw(OPERATIONS, label="operation")
    body = data.draw(STATIC.valid(operation(name).input_shape), label="body")
    account = data.draw(st.sampled_from(ACCOUNTS), label="account")
    encoded = encode(body)
    with fresh_proton() as proton:
        response = proton.call(name, encoded, account=account)
    error = check_response(name, response)
    event(f"{name if name in ROUTES else 'unimplemented'}: {error or 'OK'}")
    if len(encoded) > DEFAULT_MAX_BODY_BYTES:
        # The model allows members long enough to pass the body limit together: [decided] W-4 answers first.
        assert (response.status, error) == (413, "SerializationException"), response.body
        return
    if name not in ROUTES:
        # Valid input gets past validation, to the operation that is not there yet.
        assert (response.status, error) == (501, "NotImplementedException")
        return
    assert error not in ("SerializationException", "UnknownOperationException"), response.body
    if error == "ValidationException":
        # Only a business rule may refuse a model-valid input, never the model's constraints.
        assert not CONSTRAINT_MESSAGE.match(response.json()["message"]), response.body


@SETTINGS
@given(data=st.data())
def test_input_breaking_one_model_rule_is_a_400_naming_the_member(data: Any) -> None:
    name = data.draw(st.sampled_from(INVALID_OPERATIONS), label="operation")
    broken = data.draw(STATIC.invalid_input(operation(name).input_shape), label="input")
    encoded = encode(broken.value)
    with fresh_proton() as proton:
        response = proton.call(name, encoded, account=data.draw(st.sampled_from(ACCOUNTS)))
    error = check_response(name, response)
    if len(encoded) > DEFAULT_MAX_BODY_BYTES:
        # As for valid input: a body over the limit is refused before any member is read ([decided] W-4).
        assert (response.status, error) == (413, "SerializationException"), response.body
        return
    # Validation comes before dispatch, so unimplemented operations answer 400 here too, not 501.
    assert (response.status, error) == (400, broken.error), response.body
    message = response.json()["message"]
    assert f"at '{broken.path}'" in message, message
    if error == "ValidationException":
        assert CONSTRAINT_MESSAGE.match(message), message


def test_a_failed_call_leaves_every_table_exactly_as_it_was() -> None:
    with mock_proton() as mock:
        tables = set(inspect(mock.service.database.engine).get_table_names()) - {"alembic_version"}
    # The snapshot reads metadata.sorted_tables; a table outside it would escape the property.
    assert tables == {table.name for table in metadata.sorted_tables}
    from openproton.proton.audit import is_mutating

    outcomes: Counter[str] = Counter()
    # Creates come first and are weighted up, so that the other operations find connections to act on.
    create = "CreateEnvironmentAccountConnection"
    operations = st.sampled_from([create, *IMPLEMENTED, create, create])
    read_only = {name for name, (_family, _method, write) in ROUTES.items() if not write}

    @SETTINGS
    @given(data=st.data())
    def run(data: Any) -> None:
        pools = static_hints()
        with fresh_proton() as world:
            inputs = Inputs(pools)
            for _step in range(data.draw(st.integers(1, 20), label="steps")):
                name = data.draw(operations, label="operation")
                account = data.draw(st.sampled_from(ACCOUNTS), label="account")
                shape = operation(name).input_shape
                broken = inputs.invalid_input(shape)  # None: nothing in the shape to break (GetAccountSettings)
                if broken is None or data.draw(st.integers(0, 3), label="mode") < 3:  # mostly valid bodies
                    body = data.draw(inputs.valid(shape), label="valid body")
                else:
                    body = data.draw(broken, label="invalid body").value
                before = snapshot(world)
                audited = len(world.mock.audit())
                encoded = encode(body)
                response = world.call(name, encoded, account=account)
                error = check_response(name, response, sent=len(encoded))
                event(f"{name}: {error or 'OK'}")
                after = snapshot(world)
                trail = world.mock.audit()
                if not is_mutating(name):
                    assert len(trail) == audited, "reads are not audited"
                elif error == "SerializationException":
                    # A body that is not JSON fails before the caller is known (not audited); a member of the
                    # wrong type fails after (audited).
                    assert len(trail) in (audited, audited + 1)
                    assert trail[audited:] in ([], [trail[-1]]) and all(e["outcome"] == error for e in trail[audited:])
                else:
                    # A mutating call that reached an identified caller is recorded, success or failure.
                    assert len(trail) == audited + 1 and trail[-1]["outcome"] == (error or "OK"), trail[-1:]
                if error is not None:
                    assert after == before, f"{name} failed with {error} but changed the database"
                    outcomes["failed with rows present" if any(before.values()) else "failed on empty"] += 1
                    continue
                if harvest(response.json(), pools):
                    inputs = Inputs(pools)  # new ids to act on
                if name in read_only:
                    assert after == before, f"{name} only reads, yet changed the database"
                else:
                    outcomes["write succeeded"] += 1

    run()
    # The property was exercised: writes succeeded, and calls failed against a database holding rows.
    assert outcomes["write succeeded"] > 0, outcomes
    assert outcomes["failed with rows present"] > 0, outcomes


JSON_NON_OBJECTS = _JSON.filter(lambda value: not isinstance(value, dict))


def _member_junk(name: str) -> SearchStrategy[dict[str, Any]]:
    """JSON objects whose keys are mostly the operation's own members, with values of any JSON type."""
    shape = operation(name).input_shape
    keys = st.sampled_from(list(shape.members)) if shape is not None and shape.members else _TEXT
    return st.dictionaries(st.one_of(keys, _TEXT), _JSON, max_size=5)


@SETTINGS
@given(data=st.data())
def test_bytes_that_are_not_a_json_object_are_a_serialization_error(data: Any) -> None:
    name = data.draw(OPERATIONS, label="operation")
    raw = data.draw(
        st.one_of(st.binary(max_size=64), JSON_NON_OBJECTS.map(encode), _TEXT.map(lambda s: s.encode("utf-8"))),
        label="body",
    )
    try:
        parsed: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = None if raw.strip() else {}  # an empty (or blank) body means {} (wire.md)
    with fresh_proton() as proton:
        response = proton.call(name, raw)
    error = check_response(name, response)
    if not isinstance(parsed, dict):
        assert (response.status, error) == (400, "SerializationException"), response.body


@SETTINGS
@given(data=st.data())
def test_json_objects_of_arbitrary_member_values_never_fail_with_a_5xx(data: Any) -> None:
    name = data.draw(OPERATIONS, label="operation")
    body = data.draw(_member_junk(name), label="body")
    with fresh_proton() as proton:
        response = proton.call(name, encode(body), account=data.draw(st.sampled_from(ACCOUNTS)))
    error = check_response(name, response)
    event(f"{name if name in ROUTES else 'unimplemented'}: {error or 'OK'}")
    if name not in ROUTES:
        assert error is not None, "an operation that is not implemented answered 200"


def _forge(token: str, position: Any) -> str:
    """A page token with its position replaced: the token is plain base64 JSON any client can decode."""
    data = json.loads(base64.b64decode(token))
    data["p"] = position  # stdlib json: it writes integers of any size, as a client could
    return base64.b64encode(json.dumps(data).encode()).decode("ascii")


@settings(SETTINGS, max_examples=60, derandomize=True)
@given(data=st.data())
def test_a_tampered_page_token_is_never_a_5xx(data: Any) -> None:
    with fresh_proton() as world:
        # Real tokens of both paged operations: two items each, so that maxResults=1 leaves a second page.
        first = create_connection(world, name="first")
        create_connection(world, name="second")
        tags = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
        assert world.call("TagResource", {"resourceArn": first["arn"], "tags": tags}).status == 200
        queries: list[tuple[str, dict[str, Any]]] = [
            ("ListEnvironmentAccountConnections", {"requestedBy": "ENVIRONMENT_ACCOUNT", "maxResults": 1}),
            ("ListTagsForResource", {"resourceArn": first["arn"], "maxResults": 1}),
        ]
        name, params = data.draw(st.sampled_from(queries), label="query")
        token = world.call(name, params).json()["nextToken"]
        position = data.draw(st.one_of(st.lists(_SCALARS, max_size=3), _JSON), label="position")
        response = world.call(name, {**params, "nextToken": _forge(token, position)})
        error = check_response(name, response)
        assert error in (None, "ValidationException"), response.body
