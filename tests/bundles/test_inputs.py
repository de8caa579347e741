"""A spec section's inputs against a bundle's schema (bundles-and-provisioning.md B-10, B-11, B-13)."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
import yaml

from openproton.bundles import inputs as inputs_module
from openproton.bundles.inputs import CURRENT_VAL, check_inputs
from openproton.bundles.model import Schema
from openproton.bundles.schema import check_schema


def schema_of(
    properties: dict[str, Any], *, required: list[str] | None = None, checked: bool = True, **types: Any
) -> Schema:
    """An environment schema whose input type `In` has these properties; `types` are more types beside it.

    `checked=False` skips registration's checks, for a property without a `type` (refused by B-6 step 8, yet each
    keyword must work alone) or broken keyword values a hand-made Schema could carry.
    """
    input_type: dict[str, Any] = {"type": "object", "properties": properties}
    if required is not None:
        input_type["required"] = required
    document = {
        "schema": {
            "format": {"openapi": "3.0.0"},
            "environment_input_type": "In",
            "types": {"In": input_type, **types},
        }
    }
    text = yaml.safe_dump(document, sort_keys=False)
    if not checked:
        return Schema(text=text, types=document["schema"]["types"], input_types={"environment": "In"})
    return check_schema(
        yaml.safe_load(text), text, template_type="ENVIRONMENT", has_pipeline=False, customer_managed=False
    )


def problems(schema: Schema, given: Any, *, path: str = "spec") -> list[tuple[str, str]]:
    return check_inputs(schema, "environment", given, path, current=None, creating=False)[1]


def effective(schema: Schema, given: Any, **options: Any) -> dict[str, Any]:
    options = {"current": None, "creating": False, **options}
    result, found = check_inputs(schema, "environment", given, "spec", **options)
    assert found == []
    return result


def one(schema: Schema, value: Any) -> list[tuple[str, str]]:
    """The problems of `{"v": value}`."""
    return problems(schema, {"v": value})


# --- Each keyword of B-10, accepted and refused -------------------------------------------------------------

TYPE_CASES = [
    # (type, accepted values, refused values)
    ("string", ["a", "", "80"], [80, 1.5, True, [], {}, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3)]),
    ("number", [80, 1.5, -3, 10**30], [True, "80", [], {}]),
    ("integer", [80, -1, 0], [1.5, 80.0, True, "1"]),
    ("boolean", [True, False], [0, 1, "true", "yes"]),
    ("array", [[], [1, "a"]], ["a", {}, 1]),
    ("object", [{}, {"a": 1}], [[], "a", 1]),
]


@pytest.mark.parametrize(("type_", "accepted", "refused"), TYPE_CASES)
def test_type(type_: str, accepted: list[Any], refused: list[Any]) -> None:
    schema = schema_of({"v": {"type": type_, **({"items": {}} if type_ == "array" else {})}})
    for value in accepted:
        assert one(schema, value) == [], value
    for value in refused:
        assert one(schema, value) == [("spec.v", f"must be of type {type_}")], value


def test_yaml_dates_are_not_strings() -> None:
    schema = schema_of({"v": {"type": "string", "pattern": "^2", "maxLength": 3, "enum": ["2024-01-02"]}})
    parsed = yaml.safe_load("v: 2024-01-02")
    assert isinstance(parsed["v"], datetime.date)
    assert problems(schema, parsed) == [("spec.v", "must be of type string")]


@pytest.mark.parametrize(
    ("enum", "accepted", "refused", "shown"),
    [
        (["small", "large"], ["small", "large"], ["medium", "Small", 1], "[small, large]"),
        ([1, 2], [1, 2, 1.0], [True, "1", 3], "[1, 2]"),
        ([True, None], [True], [1, False], "[true, null]"),
    ],
)
def test_enum(enum: list[Any], accepted: list[Any], refused: list[Any], shown: str) -> None:
    schema = schema_of({"v": {"enum": enum}}, checked=False)
    for value in accepted:
        assert one(schema, value) == [], value
    for value in refused:
        assert one(schema, value) == [("spec.v", f"must be one of {shown}")], value


CIDR = r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))"


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (CIDR, "10.0.0.0/16", True),
        (CIDR, "10.0.0.0", True),
        (CIDR, "x10.0.0.0/24", True),  # a search, not a full match, as AWS's sample relies on
        (CIDR, "10.0.0.0/8", False),
        ("^a$", "a\n", True),  # `$` also matches before a final newline
        ("^a$", "ab", False),
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "Abc", False),
        (r"^\d+$", "\u0663", False),  # ASCII classes, as ECMA-262 and Java read them
    ],
)
def test_pattern(pattern: str, value: str, matches: bool) -> None:
    schema = schema_of({"v": {"type": "string", "pattern": pattern}})
    assert one(schema, value) == ([] if matches else [("spec.v", f"must match pattern {pattern}")])


def test_a_catastrophic_pattern_times_out_as_not_matching() -> None:
    schema = schema_of({"v": {"type": "string", "pattern": "(a+)+$"}})
    started = time.monotonic()
    assert one(schema, "a" * 40 + "!") == [("spec.v", "must match pattern (a+)+$")]
    assert time.monotonic() - started < 1.0


def test_the_pattern_budget_of_a_call_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs_module, "PATTERN_BUDGET", 0.15)
    schema = schema_of({"v": {"type": "array", "items": {"type": "string", "pattern": "(a+)+$"}}})
    started = time.monotonic()
    found = one(schema, ["a" * 40 + "!"] * 50)
    assert time.monotonic() - started < 1.0
    assert found == [(f"spec.v[{i}]", "must match pattern (a+)+$") for i in range(50)]


def test_pattern_is_checked_only_for_strings() -> None:
    schema = schema_of({"v": {"pattern": "^x"}}, checked=False)
    assert one(schema, 5) == []
    assert one(schema, "y") == [("spec.v", "must match pattern ^x")]


@pytest.mark.parametrize(
    ("keyword", "limit", "fits", "refused", "problem"),
    [
        ("minLength", 2, ["ab", "abc"], ["a", ""], "must have value greater than or equal to 2"),
        ("maxLength", 2, ["", "ab"], ["abc"], "must have value less than or equal to 2"),
        ("minItems", 1, [[1], [1, 2]], [[]], "must have value greater than or equal to 1"),
        ("maxItems", 2, [[], [1, 2]], [[1, 2, 3]], "must have value less than or equal to 2"),
        ("minimum", 1, [1, 1.5, 2], [0, 0.99, -5], "must have value greater than or equal to 1"),
        ("maximum", 65535, [65535, 0, 1.5], [65536, 65535.5], "must have value less than or equal to 65535"),
    ],
)
def test_bounds(keyword: str, limit: int, fits: list[Any], refused: list[Any], problem: str) -> None:
    schema = schema_of({"v": {keyword: limit}}, checked=False)
    for value in fits:
        assert one(schema, value) == [], value
    for value in refused:
        assert one(schema, value) == [("spec.v", problem)], value


@pytest.mark.parametrize(
    ("keyword", "exclusive", "at_limit", "problem"),
    [
        ("minimum", "exclusiveMinimum", 1, "must have value greater than 1"),
        ("maximum", "exclusiveMaximum", 10, "must have value less than 10"),
    ],
)
def test_exclusive_bounds(keyword: str, exclusive: str, at_limit: int, problem: str) -> None:
    strict = schema_of({"v": {"type": "integer", keyword: at_limit, exclusive: True}})
    assert one(strict, at_limit) == [("spec.v", problem)]
    assert one(strict, 5) == []
    loose = schema_of({"v": {"type": "integer", keyword: at_limit, exclusive: False}})
    assert one(loose, at_limit) == []


def test_bounds_apply_only_to_their_kind_of_value() -> None:
    schema = schema_of({"v": {"minLength": 3, "maximum": 1, "minItems": 2}}, checked=False)
    assert one(schema, "abcd") == []
    assert one(schema, 0) == []
    assert one(schema, [1, 2]) == []
    assert one(schema, True) == []  # a boolean is not a number


def test_required() -> None:
    schema = schema_of({"a": {"type": "string"}, "b": {"type": "string"}}, required=["a", "b"])
    assert problems(schema, {"a": "x", "b": "y"}) == []
    assert problems(schema, {"a": "x"}) == [("spec.b", "is required")]
    assert problems(schema, None) == [("spec.a", "is required"), ("spec.b", "is required")]


def test_items() -> None:
    schema = schema_of({"subnets": {"type": "array", "items": {"type": "string", "maxLength": 3}}})
    assert problems(schema, {"subnets": ["a", "b"]}) == []
    assert problems(schema, {"subnets": ["a", 5, "long"]}) == [
        ("spec.subnets[1]", "must be of type string"),
        ("spec.subnets[2]", "must have value less than or equal to 3"),
    ]


def test_nullable() -> None:
    nullable = schema_of({"v": {"type": "string", "nullable": True}}, required=["v"])
    assert problems(nullable, {"v": None}) == []
    assert effective(nullable, {"v": None}) == {"v": None}
    strict = schema_of({"v": {"type": "string"}}, required=["v"])
    assert problems(strict, {"v": None}) == [("spec.v", "is required")]  # null counts as absent
    optional = schema_of({"v": {"type": "string", "default": "d"}})
    assert effective(optional, {"v": None}) == {"v": "d"}  # dropped without error, then defaulted


def test_a_null_array_item_is_not_absent() -> None:
    schema = schema_of({"v": {"type": "array", "items": {"type": "string"}}})
    assert one(schema, ["a", None]) == [("spec.v[1]", "must be of type string")]
    nullable = schema_of({"v": {"type": "array", "items": {"type": "string", "nullable": True}}})
    assert one(nullable, ["a", None]) == []


def test_nested_objects() -> None:
    db = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "size": {"type": "integer", "minimum": 1}},
    }
    schema = schema_of({"db": db})
    assert problems(schema, {"db": {"name": "main", "size": 2}}) == []
    assert problems(schema, {"db": {"size": 0}}) == [
        ("spec.db.size", "must have value greater than or equal to 1"),
        ("spec.db.name", "is required"),
    ]
    assert problems(schema, {"db": {"name": None}}) == [("spec.db.name", "is required")]
    assert problems(schema, {"db": "main"}) == [("spec.db", "must be of type object")]


def test_refs_nested_and_in_array_items() -> None:
    database = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    schema = schema_of(
        {"db": {"$ref": "#/Database"}, "replicas": {"type": "array", "items": {"$ref": "#/Database"}}},
        Database=database,
    )
    assert problems(schema, {"db": {"name": "a"}, "replicas": [{"name": "b"}]}) == []
    assert problems(schema, {"db": {}, "replicas": [{"name": "b"}, {"name": 3}]}) == [
        ("spec.db.name", "is required"),
        ("spec.replicas[1].name", "must be of type string"),
    ]


def test_recursive_and_aliased_refs() -> None:
    node = {"type": "object", "properties": {"label": {"type": "string"}, "child": {"$ref": "#/Node"}}}
    schema = schema_of({"tree": {"$ref": "#/Alias"}}, Node=node, Alias={"$ref": "#/Node"})
    assert problems(schema, {"tree": {"child": {"child": {"label": 1}}}}) == [
        ("spec.tree.child.child.label", "must be of type string")
    ]


def test_additional_properties() -> None:
    open_ = schema_of({"a": {"type": "string"}})
    assert problems(open_, {"a": "x", "unused": 1}) == []  # accepted, not rendered
    assert effective(open_, {"a": "x", "unused": 1}) == {"a": "x"}
    closed = schema_of(
        {"a": {"type": "object", "additionalProperties": False, "properties": {"b": {"type": "string"}}}}
    )
    assert problems(closed, {"a": {"b": "x", "c": 1, "d": None}}) == [("spec.a.c", "is not allowed by the schema")]


def test_keywords_outside_b10_and_schema_switches_are_ignored() -> None:
    # `$schema` must not switch the validator to one running Python's `re`; `format` has no checker.
    schema = schema_of(
        {"v": {"type": "string", "format": "ipv4", "$schema": "https://json-schema.org/draft/2020-12/schema"}}
    )
    assert one(schema, "not an address") == []


def test_broken_keyword_values_constrain_nothing() -> None:
    # Registration checks only what step 8 names; the rest must not crash a CreateEnvironment.
    schema = schema_of(
        {"v": {"type": "number", "maximum": "high", "minLength": -1, "enum": "abc", "required": 3}}, checked=False
    )
    assert one(schema, 5) == []


# --- One problem per location, deterministic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (80, "must be of type string"),
        ("zzzz", "must be one of [ab, abc]"),
        ("a", "must be one of [ab, abc]"),  # membership before bounds
        ("abc", "must match pattern ^x"),
    ],
)
def test_one_problem_per_location(value: Any, problem: str) -> None:
    schema = schema_of({"v": {"type": "string", "enum": ["ab", "abc"], "minLength": 2, "pattern": "^x"}})
    assert one(schema, value) == [("spec.v", problem)]


def test_a_bound_wins_over_the_pattern() -> None:
    schema = schema_of({"v": {"type": "string", "maxLength": 3, "pattern": "^x"}})
    assert one(schema, "abcdef") == [("spec.v", "must have value less than or equal to 3")]


# --- Defaults (B-11) --------------------------------------------------------------------------------------------


def test_defaults_fill_missing_inputs_in_schema_order_and_are_never_validated() -> None:
    schema = schema_of(
        {
            "z": {"type": "string", "default": "zz"},
            "port": {"type": "integer", "default": "not a number"},
            "nat": {"type": "boolean", "default": "public"},
            "plain": {"type": "string"},
            "a": {"type": "string"},
        }
    )
    result = effective(schema, {"a": "given", "unused": 1, "z": "mine"})
    assert result == {"z": "mine", "port": "not a number", "nat": "public", "a": "given"}
    assert list(result) == ["z", "port", "nat", "a"]


def test_defaults_are_copies() -> None:
    schema = schema_of({"tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]}})
    effective(schema, {})["tags"].append("mutated")
    assert effective(schema, {}) == {"tags": ["a"]}


# --- CURRENT_VAL (B-11) -----------------------------------------------------------------------------------------

PORTS = {"port": {"type": "integer"}, "name": {"type": "string", "default": "d"}}


def test_current_val_keeps_the_current_value() -> None:
    schema = schema_of(PORTS)
    result = effective(schema, {"port": CURRENT_VAL, "name": CURRENT_VAL}, current={"port": 80, "name": "web"})
    assert result == {"port": 80, "name": "web"}


def test_a_kept_value_is_validated() -> None:
    schema = schema_of(PORTS)
    found = check_inputs(schema, "environment", {"port": CURRENT_VAL}, "spec", current={"port": "80"}, creating=False)
    assert found == ({"port": "80", "name": "d"}, [("spec.port", "must be of type integer")])


def test_current_val_without_a_current_value_is_dropped() -> None:
    schema = schema_of(PORTS)
    assert effective(schema, {"port": CURRENT_VAL, "name": CURRENT_VAL}, current={}) == {"name": "d"}
    assert effective(schema, {"port": CURRENT_VAL}) == {"name": "d"}


def test_current_val_when_creating_is_an_error_and_the_only_one_there() -> None:
    schema = schema_of(PORTS, required=["port"])
    found = check_inputs(schema, "environment", {"port": CURRENT_VAL}, "spec", current=None, creating=True)
    assert found == ({"name": "d"}, [("spec.port", "has no current value")])


def test_current_val_only_counts_at_the_top_level() -> None:
    schema = schema_of({"db": {"type": "object", "properties": {"port": {"type": "integer"}}}})
    assert problems(schema, {"db": {"port": CURRENT_VAL}}) == [("spec.db.port", "must be of type integer")]


# --- Paths, sections, values never echoed -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["spec", "instances[web].spec", "pipeline"])
def test_paths_take_the_caller_prefix(path: str) -> None:
    schema = schema_of({"subnets": {"type": "array", "items": {"type": "string"}}}, required=["name"])
    assert problems(schema, {"subnets": ["a", 1]}, path=path) == [
        (f"{path}.subnets[1]", "must be of type string"),
        (f"{path}.name", "is required"),
    ]


@pytest.mark.parametrize("given", [[1], "text", 5])
def test_inputs_must_be_a_mapping(given: Any) -> None:
    assert problems(schema_of(PORTS), given, path="instances[web].spec") == [
        ("instances[web].spec", "must be a mapping")
    ]


def test_the_section_picks_the_input_type() -> None:
    text = """
schema:
  format: {openapi: "3.0.0"}
  service_input_type: Service
  pipeline_input_type: Pipeline
  types:
    Service: {type: object, properties: {port: {type: integer, default: 80}}}
    Pipeline: {type: object, properties: {command: {type: string, default: make}}}
"""
    schema = check_schema(
        yaml.safe_load(text), text, template_type="SERVICE", has_pipeline=True, customer_managed=False
    )
    assert check_inputs(schema, "service", None, "instances[a].spec", current=None, creating=True) == ({"port": 80}, [])
    assert check_inputs(schema, "pipeline", {"command": 1}, "pipeline", current=None, creating=False) == (
        {"command": 1},
        [("pipeline.command", "must be of type string")],
    )


SECRET = "hunter2-secret-value"


def test_values_are_never_echoed() -> None:
    schema = schema_of(
        {
            "a": {"type": "integer"},
            "b": {"type": "string", "enum": ["x"]},
            "c": {"type": "string", "pattern": "^x"},
            "d": {"type": "string", "maxLength": 3},
            "e": {"type": "object", "additionalProperties": False, "properties": {}},
        }
    )
    given = {"a": SECRET, "b": SECRET, "c": SECRET, "d": SECRET, "e": {"k": SECRET}}
    found = problems(schema, given)
    assert len(found) == 5
    assert SECRET not in repr(found)


def test_a_hand_built_schema_reusing_a_text_is_not_served_from_the_cache() -> None:
    first = Schema(
        text="same",
        types={"In": {"type": "object", "properties": {"v": {"type": "string"}}}},
        input_types={"environment": "In"},
    )
    second = Schema(
        text="same",
        types={"In": {"type": "object", "properties": {"v": {"type": "integer"}}}},
        input_types={"environment": "In"},
    )
    assert problems(first, {"v": 1}) == [("spec.v", "must be of type string")]
    assert problems(second, {"v": 1}) == []


def test_a_twenty_input_schema_is_checked_quickly() -> None:
    properties = {
        f"p{i}": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 20, "default": "x"} for i in range(20)
    }
    schema = schema_of(properties, required=["p0"])
    given = {f"p{i}": "value" for i in range(20)}
    check_inputs(schema, "environment", given, "spec", current=None, creating=True)  # compiles and caches
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        assert check_inputs(schema, "environment", given, "spec", current=None, creating=True)[1] == []
    # Typically ~0.15 ms; the bound leaves room for a loaded CI machine.
    assert (time.perf_counter() - started) / rounds < 0.002
