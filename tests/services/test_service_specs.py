"""Service specs: the structural rules of the document (services.md S-10, S-16, S-18, S-19; B-13's messages).

Pure unit tests of openproton.proton.service_specs: no server, no database; environments are a set of names.
"""

from __future__ import annotations

import json
import time

import pytest

from openproton.proton.errors import ValidationException
from openproton.proton.service_specs import (
    CURRENT_VAL,
    InstanceEntry,
    ServiceSpec,
    inputs_of_instance,
    instance_entry_in,
    instance_entry_required,
    parse,
    pipeline_inputs,
    same_inputs,
)

ENVIRONMENTS = {"dev", "prod"}
PATTERN = r"^[0-9A-Za-z]+[0-9A-Za-z_\-]*$"

SPEC = """\
proton: ServiceSpec
instances:
  - name: shop-dev
    environment: dev
    spec:
      port: 80
  - name: shop-prod
    environment: prod
pipeline:
  dockerfile: Dockerfile
"""


def exists(name: str) -> bool:
    return name in ENVIRONMENTS


def refusal(text: str) -> str:
    with pytest.raises(ValidationException) as caught:
        parse(text, environment_exists=exists)
    return caught.value.message


def service_spec(body: str) -> str:
    return "proton: ServiceSpec\n" + body


# -- what a valid document gives ------------------------------------------------------------------------------


def test_a_valid_document_gives_its_instances_in_order_and_its_pipeline() -> None:
    assert parse(SPEC, environment_exists=exists) == ServiceSpec(
        instances=(
            InstanceEntry(name="shop-dev", environment="dev", spec={"port": 80}),
            InstanceEntry(name="shop-prod", environment="prod", spec=None),
        ),
        pipeline={"dockerfile": "Dockerfile"},
    )


def test_instances_and_pipeline_may_be_absent_or_null() -> None:
    expected = ServiceSpec(instances=(), pipeline=None)
    assert parse("proton: ServiceSpec\n", environment_exists=exists) == expected
    assert parse("proton: ServiceSpec\ninstances:\npipeline:\n", environment_exists=exists) == expected
    assert parse("proton: ServiceSpec\ninstances: []\n", environment_exists=exists) == expected


def test_a_null_instance_spec_is_absent_and_an_empty_one_is_kept() -> None:
    parsed = parse(
        service_spec("instances:\n- {name: a, environment: dev, spec: }\n- {name: b, environment: dev, spec: {}}\n"),
        environment_exists=exists,
    )
    assert parsed.instances == (
        InstanceEntry(name="a", environment="dev", spec=None),
        InstanceEntry(name="b", environment="dev", spec={}),
    )


def test_other_keys_are_ignored_at_the_top_and_in_entries() -> None:
    parsed = parse(
        service_spec("extra: [1, 2]\n7: seven\ninstances:\n- {name: a, environment: dev, colour: blue}\n"),
        environment_exists=exists,
    )
    assert parsed == ServiceSpec(instances=(InstanceEntry(name="a", environment="dev", spec=None),), pipeline=None)


def test_yaml_1_1_scalars_are_read_as_safe_load_reads_them() -> None:
    parsed = parse(service_spec("pipeline: {on: yes, port: 80, ratio: 0.5, name: '80'}\n"), environment_exists=exists)
    assert parsed.pipeline == {True: True, "port": 80, "ratio": 0.5, "name": "80"}


def test_standard_tags_are_accepted() -> None:
    parsed = parse(service_spec("pipeline: {port: !!str 80, count: !!int '3'}\n"), environment_exists=exists)
    assert parsed.pipeline == {"port": "80", "count": 3}


def test_instance_finds_an_entry_by_name() -> None:
    parsed = parse(SPEC, environment_exists=exists)
    assert parsed.instance("shop-prod") == InstanceEntry(name="shop-prod", environment="prod", spec=None)
    assert parsed.instance("shop-test") is None


def test_each_environment_is_looked_up_once_and_invalid_names_never() -> None:
    asked: list[str] = []

    def recording(name: str) -> bool:
        asked.append(name)
        return name in ENVIRONMENTS

    text = service_spec(
        "instances:\n- {name: a, environment: dev}\n- {name: b, environment: dev}\n"
        "- {name: c, environment: prod}\n- {name: d, environment: 'not a name'}\n"
    )
    with pytest.raises(ValidationException):
        parse(text, environment_exists=recording)
    assert asked == ["dev", "prod"]


# -- the document and `proton` --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["- proton\n- ServiceSpec\n", "just text\n", "# only a comment\n", "", "42\n"])
def test_the_document_must_be_a_mapping(text: str) -> None:
    assert refusal(text) == "Invalid spec: 1 validation error detected: document: must be a mapping"


def test_proton_is_required() -> None:
    assert refusal("pipeline: {}\n") == "Invalid spec: 1 validation error detected: proton: is required"
    assert refusal("proton:\n") == "Invalid spec: 1 validation error detected: proton: is required"


@pytest.mark.parametrize("value", ["EnvironmentSpec", "servicespec", "'ServiceSpec '", "[ServiceSpec]", "1"])
def test_proton_must_be_service_spec(value: str) -> None:
    assert refusal(f"proton: {value}\n") == "Invalid spec: 1 validation error detected: proton: must be ServiceSpec"


# -- instances ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["{a: 1}", "shop-dev", "3"])
def test_instances_must_be_a_list(value: str) -> None:
    assert refusal(service_spec(f"instances: {value}\n")) == (
        "Invalid spec: 1 validation error detected: instances: must be of type array"
    )


def test_an_entry_must_be_a_mapping_and_is_named_by_its_index() -> None:
    assert refusal(service_spec("instances:\n- {name: a, environment: dev}\n- shop-dev\n")) == (
        "Invalid spec: 1 validation error detected: instances[1]: must be a mapping"
    )


def test_an_entry_needs_a_name() -> None:
    assert refusal(service_spec("instances:\n- environment: dev\n")) == (
        "Invalid spec: 1 validation error detected: instances[0].name: is required"
    )


def test_a_name_must_be_a_string() -> None:
    assert refusal(service_spec("instances:\n- {name: 12, environment: dev}\n")) == (
        "Invalid spec: 1 validation error detected: instances[0].name: must be of type string"
    )


@pytest.mark.parametrize("name", ["shop dev", "-shop", "_shop", "", "shop\n", "shöp", "shop:dev"])
def test_a_name_must_be_a_resource_name_and_is_not_echoed(name: str) -> None:
    # A JSON string is a YAML double-quoted scalar.
    assert refusal(service_spec(f"instances:\n- {{name: {json.dumps(name)}, environment: dev}}\n")) == (
        f"Invalid spec: 1 validation error detected: instances[0].name: must match pattern {PATTERN}"
    )


def test_a_name_has_at_most_100_characters() -> None:
    assert parse(service_spec(f"instances:\n- {{name: {'a' * 100}, environment: dev}}\n"), environment_exists=exists)
    assert refusal(service_spec(f"instances:\n- {{name: {'a' * 101}, environment: dev}}\n")) == (
        "Invalid spec: 1 validation error detected: instances[0].name: must have value less than or equal to 100"
    )


def test_names_are_unique_in_the_document() -> None:
    text = service_spec(
        "instances:\n- {name: shop, environment: dev}\n- {name: other, environment: dev}\n"
        "- {name: shop, environment: prod}\n"
    )
    assert refusal(text) == "Invalid spec: 1 validation error detected: instances[2].name: must be unique"


def test_an_unknown_environment_is_named() -> None:
    assert refusal(service_spec("instances:\n- name: shop-dev\n  environment: test\n")) == (
        "Invalid spec: 1 validation error detected: instances[shop-dev].environment: environment test does not exist"
    )


def test_an_entry_needs_an_environment() -> None:
    assert refusal(service_spec("instances:\n- name: shop-dev\n")) == (
        "Invalid spec: 1 validation error detected: instances[shop-dev].environment: is required"
    )


def test_an_environment_must_be_a_string() -> None:
    assert refusal(service_spec("instances:\n- {name: shop-dev, environment: [dev]}\n")) == (
        "Invalid spec: 1 validation error detected: instances[shop-dev].environment: must be of type string"
    )


def test_an_environment_that_is_no_resource_name_is_not_echoed() -> None:
    assert refusal(service_spec("instances:\n- {name: shop-dev, environment: 'secret value'}\n")) == (
        f"Invalid spec: 1 validation error detected: instances[shop-dev].environment: must match pattern {PATTERN}"
    )


@pytest.mark.parametrize("value", ["[1, 2]", "port", "80"])
def test_an_instance_spec_must_be_a_mapping(value: str) -> None:
    assert refusal(service_spec(f"instances:\n- {{name: shop-dev, environment: dev, spec: {value}}}\n")) == (
        "Invalid spec: 1 validation error detected: instances[shop-dev].spec: must be a mapping"
    )


# -- pipeline -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["[1, 2]", "none", "false", "0"])
def test_the_pipeline_must_be_a_mapping(value: str) -> None:
    assert refusal(service_spec(f"pipeline: {value}\n")) == (
        "Invalid spec: 1 validation error detected: pipeline: must be a mapping"
    )


def test_a_bad_pipeline_is_reported_with_the_other_problems() -> None:
    # "checked first": before anyone asks whether the service has a pipeline, so always, in path order.
    assert refusal("proton: x\npipeline: 5\ninstances:\n- {name: a, environment: test}\n") == (
        "Invalid spec: 3 validation errors detected: instances[a].environment: environment test does not exist; "
        "pipeline: must be a mapping; proton: must be ServiceSpec"
    )


# -- B-13: several problems -----------------------------------------------------------------------------------


def test_every_problem_is_reported_in_byte_order_of_paths() -> None:
    text = (
        "proton: EnvironmentSpec\n"
        "pipeline: [x]\n"
        "instances:\n"
        "  - {name: shop-dev, environment: dev}\n"
        "  - {name: shop-dev, environment: dev}\n"
        "  - 3\n"
        "  - {name: 'bad name', environment: 5, spec: [1]}\n"
        "  - {name: Zed, environment: test}\n"
    )
    assert refusal(text) == (
        "Invalid spec: 8 validation errors detected: "
        "instances[1].name: must be unique; "
        "instances[2]: must be a mapping; "
        "instances[3].environment: must be of type string; "
        f"instances[3].name: must match pattern {PATTERN}; "
        "instances[3].spec: must be a mapping; "
        "instances[Zed].environment: environment test does not exist; "
        "pipeline: must be a mapping; "
        "proton: must be ServiceSpec"
    )


def test_at_most_ten_items_are_spelled_out() -> None:
    # Twelve entries named by index: in byte order `]` comes after digits, so [10] and [11] precede [1].
    text = service_spec("instances:\n" + "- 1\n" * 12)
    assert refusal(text) == (
        "Invalid spec: 12 validation errors detected: "
        + "; ".join(f"instances[{i}]: must be a mapping" for i in (0, 10, 11, 1, 2, 3, 4, 5, 6, 7))
        + "; and 2 more"
    )


# -- YAML that is refused -------------------------------------------------------------------------------------


def test_invalid_yaml_gives_its_line_and_column() -> None:
    assert refusal("proton: ServiceSpec\npipeline: a: b\n") == (
        "Invalid spec: not valid YAML at line 2, column 12: mapping values are not allowed here"
    )


def test_invalid_yaml_keeps_pyyaml_context() -> None:
    assert refusal("proton: ServiceSpec\n\tpipeline: {}\n") == (
        "Invalid spec: not valid YAML at line 2, column 1: while scanning for the next token, "
        "found character '\\t' that cannot start any token"
    )


def test_several_documents_are_refused() -> None:
    assert refusal("proton: ServiceSpec\n---\nproton: ServiceSpec\n") == (
        "Invalid spec: not valid YAML at line 2, column 1: "
        "expected a single document in the stream, but found another document"
    )


def test_a_control_character_is_refused_with_its_position() -> None:
    assert refusal("proton: ServiceSpec\npipeline: {a: \x07}\n") == (
        "Invalid spec: not valid YAML at line 2, column 15: special characters are not allowed"
    )


def test_aliases_are_refused() -> None:
    text = "proton: ServiceSpec\npipeline: {a: 1}\ninstances:\n- {name: a, environment: dev, spec: *x}\n"
    assert refusal(text) == "Invalid spec: not valid YAML at line 4, column 37: anchors and aliases are not allowed"


def test_anchors_are_refused() -> None:
    assert refusal("proton: ServiceSpec\npipeline: &inputs {a: 1}\n") == (
        "Invalid spec: not valid YAML at line 2, column 11: anchors and aliases are not allowed"
    )


def test_merge_keys_need_aliases_and_are_refused_with_them() -> None:
    text = "proton: ServiceSpec\nbase: &b {a: 1}\npipeline:\n  <<: *b\n"
    assert refusal(text) == "Invalid spec: not valid YAML at line 2, column 7: anchors and aliases are not allowed"


def test_a_billion_laughs_document_is_refused_at_once() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "proton: ServiceSpec\n" + "\n".join(lines) + "\n"
    started = time.perf_counter()
    assert refusal(text) == "Invalid spec: not valid YAML at line 2, column 5: anchors and aliases are not allowed"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object:os.system {}",
        "!!python/object/apply:os.system ['echo hi']",
        "!!python/name:os.system ''",
        "!custom 1",
        "!<tag:example.com,2024:thing> 1",
    ],
)
def test_non_standard_tags_are_refused_and_not_echoed(tagged: str) -> None:
    assert refusal(f"proton: ServiceSpec\npipeline: {{a: {tagged}}}\n") == (
        "Invalid spec: not valid YAML at line 2, column 15: only standard YAML tags are allowed"
    )


def test_a_plain_equals_sign_must_be_quoted() -> None:
    # safe_load cannot construct YAML 1.1's `value` tag; the message says what to do.
    assert refusal("proton: ServiceSpec\npipeline: {a: =}\n") == (
        "Invalid spec: not valid YAML at line 2, column 15: a plain = must be quoted"
    )
    assert parse("proton: ServiceSpec\npipeline: {a: '='}\n", environment_exists=exists).pipeline == {"a": "="}


@pytest.mark.parametrize(
    ("value", "kind"),
    [("!!int abc", "int"), ("!!float abc", "float"), ("2024-13-45", "timestamp"), ("1" * 5000, "int")],
)
def test_a_scalar_its_tag_cannot_read_is_refused(value: str, kind: str) -> None:
    assert refusal(f"proton: ServiceSpec\npipeline: {{a: {value}}}\n") == (
        f"Invalid spec: not valid YAML at line 2, column 15: not a valid {kind}"
    )


def test_nesting_deeper_than_64_levels_is_refused() -> None:
    assert parse("proton: ServiceSpec\npipeline: {a: " + "[" * 62 + "]" * 62 + "}\n", environment_exists=exists)
    assert refusal("proton: ServiceSpec\npipeline: {a: " + "[" * 63 + "]" * 63 + "}\n") == (
        "Invalid spec: not valid YAML at line 2, column 77: collections are nested more than 64 levels deep"
    )


def test_a_document_as_deep_as_the_largest_spec_allows_is_refused_not_crashed() -> None:
    assert refusal("[" * 51200) == (
        "Invalid spec: not valid YAML at line 1, column 65: collections are nested more than 64 levels deep"
    )


# -- S-18 and S-19: the entry an instance operation uses ------------------------------------------------------


def test_instance_entry_required_gives_the_entry() -> None:
    parsed = parse(SPEC, environment_exists=exists)
    assert instance_entry_required(parsed, "shop-dev") == InstanceEntry("shop-dev", "dev", {"port": 80})


def test_instance_entry_required_refuses_a_spec_without_it() -> None:
    parsed = parse(SPEC, environment_exists=exists)
    with pytest.raises(ValidationException) as caught:
        instance_entry_required(parsed, "shop-test")
    assert caught.value.message == "Invalid spec: 1 validation error detected: instances: no entry named shop-test"


def test_instance_entry_in_refuses_another_environment() -> None:
    parsed = parse(SPEC, environment_exists=exists)
    assert instance_entry_in(parsed, "shop-prod", "prod") == InstanceEntry("shop-prod", "prod", None)
    with pytest.raises(ValidationException) as caught:
        instance_entry_in(parsed, "shop-prod", "dev")
    assert caught.value.message == (
        "Invalid spec: 1 validation error detected: instances[shop-prod].environment: "
        "must be dev, the instance's environment"
    )
    with pytest.raises(ValidationException) as caught:
        instance_entry_in(parsed, "shop-test", "dev")
    assert caught.value.message == "Invalid spec: 1 validation error detected: instances: no entry named shop-test"


# -- S-16: the same inputs ------------------------------------------------------------------------------------


def test_equal_inputs_are_the_same_whatever_the_key_order() -> None:
    assert same_inputs({"a": 1, "b": [1, {"c": "x"}]}, {"b": [1, {"c": "x"}], "a": 1})


def test_absent_equals_an_empty_mapping() -> None:
    assert same_inputs(None, {})
    assert same_inputs({}, None)
    assert same_inputs(None, None)
    assert not same_inputs(None, {"a": 1})


@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ({"a": 1}, {"a": 2}),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1, "b": 2}, {"a": 1}),
        ({"a": [1, 2]}, {"a": [2, 1]}),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}),
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}),
        ({"a": 80}, {"a": "80"}),
        ({"a": 80}, {"a": 80.0}),
        ({"a": 1}, {"a": True}),
        ({"a": None}, {"a": {}}),
        ({"a": {}}, {"a": []}),
    ],
)
def test_different_inputs_are_not_the_same(stored: object, given: object) -> None:
    assert not same_inputs(stored, given)
    assert not same_inputs(given, stored)


@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ({"a": 1}, {"a": CURRENT_VAL}),
        ({"a": {"b": [1, 2]}}, {"a": CURRENT_VAL}),
        ({"a": [1, 2, 3]}, {"a": [1, CURRENT_VAL, 3]}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": CURRENT_VAL}}),
        ({}, {"a": CURRENT_VAL}),  # no current value: B-11 drops the key, as if absent
        (None, {"a": CURRENT_VAL}),
        ({"a": 1}, CURRENT_VAL),
    ],
)
def test_current_val_equals_anything_on_either_side(stored: object, given: object) -> None:
    assert same_inputs(stored, given)
    assert same_inputs(given, stored)


def test_current_val_matches_only_where_it_is_written() -> None:
    assert not same_inputs({"a": 1, "b": 2}, {"a": CURRENT_VAL, "b": 3})
    assert not same_inputs({"a": [1, 2]}, {"a": [CURRENT_VAL]})


def test_parsed_documents_compare_as_yaml() -> None:
    stored = parse(service_spec("pipeline:\n  port: 80\n  on: yes\n  list: [a, b]\n"), environment_exists=exists)
    given = parse(
        service_spec("pipeline: {list: ['a', \"b\"], 'on': true, port: !!int '80'}\n"), environment_exists=exists
    )
    assert stored.pipeline == {"port": 80, True: True, "list": ["a", "b"]}
    assert same_inputs(stored.pipeline, given.pipeline) is False  # `on` unquoted is the boolean key True
    fixed = parse(service_spec("pipeline: {list: [a, b], on: true, port: 80}\n"), environment_exists=exists)
    assert same_inputs(stored.pipeline, fixed.pipeline)


def test_nan_written_twice_is_the_same() -> None:
    assert same_inputs({"a": float("nan")}, {"a": float("nan")})


# -- reading stored documents ---------------------------------------------------------------------------------


def test_inputs_of_an_instance_in_a_stored_document() -> None:
    assert inputs_of_instance(SPEC, "shop-dev") == {"port": 80}
    assert inputs_of_instance(SPEC, "shop-prod") == {}
    assert inputs_of_instance(SPEC, "shop-test") == {}


def test_pipeline_inputs_of_a_stored_document() -> None:
    assert pipeline_inputs(SPEC) == {"dockerfile": "Dockerfile"}
    assert pipeline_inputs("proton: ServiceSpec\n") == {}
    assert pipeline_inputs("proton: ServiceSpec\npipeline:\n") == {}


@pytest.mark.parametrize("text", [None, "", "a: b: c", "- 1", "instances: 3\npipeline: [1]", "a: &x 1"])
def test_reading_stored_documents_is_tolerant(text: str | None) -> None:
    assert inputs_of_instance(text, "shop-dev") == {}
    assert pipeline_inputs(text) == {}


def test_stored_inputs_compare_with_a_new_document() -> None:
    update = parse(SPEC.replace("port: 80", f"port: {CURRENT_VAL}"), environment_exists=exists)
    entry = instance_entry_required(update, "shop-dev")
    assert same_inputs(inputs_of_instance(SPEC, "shop-dev"), entry.spec)
    assert same_inputs(pipeline_inputs(SPEC), update.pipeline)
    assert not same_inputs(pipeline_inputs(SPEC), {"dockerfile": "Other"})
