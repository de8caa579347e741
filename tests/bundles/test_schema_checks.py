"""Registration checks of `schema/schema.yaml` (bundles-and-provisioning.md B-6 steps 5 to 8)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from bundles.bundle_library import ENVIRONMENT_SCHEMA
from openproton.bundles.model import BundleInvalid, Schema
from openproton.bundles.schema import check_schema

PREFIX = "Template schema is not valid: "

# AWS's sample (the bundle library's), with more: a boolean with a string default, an array, a $ref, a type used
# only through it.
SAMPLE_ENVIRONMENT = ENVIRONMENT_SCHEMA + "".join(
    line + "\n"
    for line in (
        "        use_nat:",
        "          type: boolean",
        "          default: public",
        "        subnets:",
        "          type: array",
        "          items:",
        "            type: string",
        "          minItems: 1",
        "        db:",
        '          $ref: "#/Database"',
        "    Database:",
        "      type: object",
        "      required: [name]",
        "      properties:",
        "        name: {type: string, minLength: 1, maxLength: 63}",
        "        port: {type: integer, minimum: 1, maximum: 65535, exclusiveMaximum: false}",
    )
)

SAMPLE_SERVICE = textwrap.dedent(
    """
    schema:
      format:
        openapi: "3.0.0"
      service_input_type: "LoadBalancedServiceInput"
      pipeline_input_type: "PipelineInputs"
      types:
        LoadBalancedServiceInput:
          type: object
          properties:
            port: {type: number, default: 80, minimum: 0, maximum: 65535}
            desired_count: {type: number, default: 1}
            task_size: {type: string, default: x-small, enum: [x-small, small, medium, large, x-large]}
        PipelineInputs:
          type: object
          properties:
            unit_test_command: {type: string, default: "echo 'add your unit test command here'"}
    """
)


def check(text: str, *, template_type: str = "ENVIRONMENT", pipeline: bool = False, customer: bool = False) -> Schema:
    return check_schema(
        yaml.safe_load(text), text, template_type=template_type, has_pipeline=pipeline, customer_managed=customer
    )


def refused(text: str, **options: Any) -> str:
    with pytest.raises(BundleInvalid) as caught:
        check(text, **options)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def environment(types: str, *, input_type: str = "EnvironmentInput") -> str:
    """An environment schema with these `types` (YAML indented by 4, under `types:`)."""
    return (
        'schema:\n  format:\n    openapi: "3.0.0"\n'
        f"  environment_input_type: {input_type}\n  types:\n" + textwrap.indent(textwrap.dedent(types), "    ")
    )


def with_property(body: str) -> str:
    """An environment schema whose input type has one property `port` defined by `body` (a flow mapping)."""
    return environment(f"EnvironmentInput:\n  type: object\n  properties:\n    port: {body}\n")


def test_an_aws_like_environment_schema_is_accepted() -> None:
    schema = check(SAMPLE_ENVIRONMENT)
    assert schema.text == SAMPLE_ENVIRONMENT
    assert schema.input_types == {"environment": "PublicEnvironmentInput"}
    assert list(schema.types) == ["PublicEnvironmentInput", "Database"]
    assert schema.types["PublicEnvironmentInput"]["properties"]["use_nat"] == {"type": "boolean", "default": "public"}


def test_an_aws_like_service_schema_with_a_pipeline_is_accepted() -> None:
    schema = check(SAMPLE_SERVICE, template_type="SERVICE", pipeline=True)
    assert schema.input_types == {"service": "LoadBalancedServiceInput", "pipeline": "PipelineInputs"}


def test_a_service_schema_without_a_pipeline_needs_only_the_service_type() -> None:
    text = SAMPLE_SERVICE.replace('  pipeline_input_type: "PipelineInputs"\n', "")
    assert check(text, template_type="SERVICE").input_types == {"service": "LoadBalancedServiceInput"}


# --- Step 5 ---------------------------------------------------------------------------------------------------

OPENAPI = PREFIX + 'schema.format.openapi must be "3.0.0"'


@pytest.mark.parametrize(
    "text",
    [
        "other: 1",
        "schema: 3",
        "schema:\n  types: {}",
        "schema:\n  format: 3.0.0",
        "schema:\n  format:\n    openapi: 3.0",  # a float
        "schema:\n  format:\n    openapi: 3.1.0",
        "schema:\n  format:\n    openapi: null",
    ],
)
def test_the_openapi_version_must_be_3_0_0(text: str) -> None:
    assert refused(text) == OPENAPI


def test_a_document_that_is_not_a_mapping_fails_on_the_version() -> None:
    with pytest.raises(BundleInvalid, match="openapi"):
        check_schema(["schema"], "- schema", template_type="ENVIRONMENT", has_pipeline=False, customer_managed=False)


@pytest.mark.parametrize("types", ["", "  types: [a]\n", "  types: null\n"])
def test_types_must_be_a_mapping(types: str) -> None:
    text = 'schema:\n  format:\n    openapi: "3.0.0"\n  environment_input_type: X\n' + types
    assert refused(text) == PREFIX + "Missing property [types]"


# --- Step 6 ---------------------------------------------------------------------------------------------------

TYPES = "  types:\n    A: {type: object, properties: {x: {type: string}}}\n"


def keys(*lines: str) -> str:
    return 'schema:\n  format:\n    openapi: "3.0.0"\n' + "".join(f"  {line}\n" for line in lines) + TYPES


@pytest.mark.parametrize(
    ("text", "options", "missing"),
    [
        (keys(), {}, "environmentInputType"),
        (keys("environment_input_type: null"), {}, "environmentInputType"),
        (keys(), {"template_type": "SERVICE"}, "serviceInputType"),
        (keys("pipeline_input_type: A"), {"template_type": "SERVICE", "pipeline": True}, "serviceInputType"),
        (keys("service_input_type: A"), {"template_type": "SERVICE", "pipeline": True}, "pipelineInputType"),
    ],
)
def test_a_missing_input_type_key(text: str, options: dict[str, Any], missing: str) -> None:
    assert refused(text, **options) == PREFIX + f"Missing property [{missing}]"


@pytest.mark.parametrize(
    ("text", "options", "extra"),
    [
        (keys("environment_input_type: A", "service_input_type: A"), {}, "service_input_type"),
        (keys("environment_input_type: A", "pipeline_input_type: A"), {}, "pipeline_input_type"),
        (keys("service_input_type: A", "pipeline_input_type: A"), {"template_type": "SERVICE"}, "pipeline_input_type"),
        (
            keys("environment_input_type: A", "service_input_type: A"),
            {"template_type": "SERVICE"},
            "environment_input_type",
        ),
    ],
)
def test_an_input_type_key_the_template_does_not_have(text: str, options: dict[str, Any], extra: str) -> None:
    assert refused(text, **options) == PREFIX + f"{extra} is not allowed in this template"


def test_input_type_keys_are_checked_environment_service_pipeline() -> None:
    # A service template without a pipeline and both extra keys: environment_input_type is reported first.
    text = keys("pipeline_input_type: A", "environment_input_type: A", "service_input_type: A")
    assert refused(text, template_type="SERVICE") == PREFIX + "environment_input_type is not allowed in this template"


def test_an_empty_extra_key_reads_as_absent() -> None:
    assert check(keys("environment_input_type: A", "pipeline_input_type:")).input_types == {"environment": "A"}


def test_an_input_type_key_must_be_a_name() -> None:
    assert refused(keys("environment_input_type: [A]")) == PREFIX + "environment_input_type must be a string"


# --- Step 7 ---------------------------------------------------------------------------------------------------


def test_a_named_type_must_be_defined() -> None:
    assert refused(environment("Other: {type: object}\n")) == PREFIX + "type EnvironmentInput is not defined"


def test_the_pipeline_type_is_checked_after_the_service_type() -> None:
    text = keys("service_input_type: Missing", "pipeline_input_type: AlsoMissing")
    assert refused(text, template_type="SERVICE", pipeline=True) == PREFIX + "type Missing is not defined"


@pytest.mark.parametrize(
    "definition",
    [
        "EnvironmentInput: {type: object}\n",
        "EnvironmentInput: {type: object, properties: {}}\n",
        "EnvironmentInput: {type: object, properties: [a]}\n",
        "EnvironmentInput: {type: string, properties: {x: {type: string}}}\n",
        "EnvironmentInput: {properties: {x: {type: string}}}\n",
        "EnvironmentInput: [1]\n",
    ],
)
def test_a_named_type_must_be_an_object_with_a_property(definition: str) -> None:
    assert refused(environment(definition)) == PREFIX + "EnvironmentInput must be an object with at least one property"


# --- Step 8 ---------------------------------------------------------------------------------------------------

TYPE_PROBLEM = "type must be one of string, number, integer, boolean, array, object"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{type: strnig}", TYPE_PROBLEM),
        ("{type: null}", TYPE_PROBLEM),
        ("{type: [string]}", TYPE_PROBLEM),
        ("{default: 80}", TYPE_PROBLEM),
        ("string", "must be a mapping"),
        ("{type: array}", "arrays must have items"),
        ("{type: array, items: {type: nope}}", TYPE_PROBLEM),  # reported at EnvironmentInput.port.items
        ("{type: string, pattern: '(unclosed'}", "pattern is not a valid regular expression"),
        ("{type: string, pattern: 5}", "pattern is not a valid regular expression"),
        ("{$ref: '#/Missing'}", "$ref must be #/<Type> of a defined type"),
        ("{$ref: '#/components/schemas/EnvironmentInput'}", "$ref must be #/<Type> of a defined type"),
        ("{$ref: 'EnvironmentInput'}", "$ref must be #/<Type> of a defined type"),
    ],
)
def test_a_property_the_inputs_check_could_not_use(body: str, problem: str) -> None:
    message = refused(with_property(body))
    where = "EnvironmentInput.port.items" if "items: {type: nope}" in body else "EnvironmentInput.port"
    assert message == PREFIX + f"{where}: {problem}"


@pytest.mark.parametrize(
    "body",
    [
        "{$ref: '#/EnvironmentInput'}",  # a type may refer to itself
        "{type: boolean, default: public}",  # defaults go unchecked
        "{type: string, format: ipv4, example: 1, x-anything: [1]}",  # other keywords too
        "{type: array, items: {}}",  # nested schemas need no type
        "{type: object, properties: {a: {properties: {b: {type: integer}}}}}",
    ],
)
def test_properties_that_are_accepted(body: str) -> None:
    assert check(with_property(body)).input_types == {"environment": "EnvironmentInput"}


def test_nested_properties_are_checked_with_their_path() -> None:
    body = "{type: object, properties: {db: {type: object, properties: {name: {type: text}}}}}"
    assert refused(with_property(body)) == PREFIX + f"EnvironmentInput.port.db.name: {TYPE_PROBLEM}"


def test_every_type_is_checked_not_only_the_named_ones() -> None:
    types = """
        EnvironmentInput: {type: object, properties: {a: {type: string}}}
        Unused: {type: object, properties: {b: {type: float}}}
    """
    assert refused(environment(types)) == PREFIX + f"Unused.b: {TYPE_PROBLEM}"


def test_types_and_properties_are_checked_in_document_order() -> None:
    types = """
        Zeta: {type: object, properties: {second: {type: x}, first: {type: y}}}
        EnvironmentInput: {type: object, properties: {a: {type: z}}}
    """
    assert refused(environment(types)) == PREFIX + f"Zeta.second: {TYPE_PROBLEM}"


def test_a_type_that_is_not_a_mapping() -> None:
    types = "EnvironmentInput: {type: object, properties: {a: {type: string}}}\nBroken: 3\n"
    assert refused(environment(types)) == PREFIX + "Broken must be a mapping"


def test_a_type_used_through_ref_need_not_be_an_object() -> None:
    types = "EnvironmentInput: {type: object, properties: {port: {$ref: '#/Port'}}}\nPort: {type: integer}\n"
    assert check(environment(types)).types["Port"] == {"type": "integer"}


def test_steps_run_in_order() -> None:
    # A bad property (step 8) does not hide an undefined named type (step 7).
    types = "Other: {type: object, properties: {a: {type: nope}}}\n"
    assert refused(environment(types)) == PREFIX + "type EnvironmentInput is not defined"


# --- Customer-managed -----------------------------------------------------------------------------------------

CUSTOMER = "only string properties without defaults are allowed"


@pytest.mark.parametrize(
    "body",
    ["{type: number}", "{type: string, default: x}", "{$ref: '#/EnvironmentInput'}", "{type: boolean}"],
)
def test_customer_managed_inputs_are_strings_without_defaults(body: str) -> None:
    assert refused(with_property(body), customer=True) == PREFIX + f"EnvironmentInput.port: {CUSTOMER}"


def test_customer_managed_strings_may_have_other_keywords() -> None:
    schema = check(with_property("{type: string, pattern: '^vpc-', description: the VPC}"), customer=True)
    assert schema.input_types == {"environment": "EnvironmentInput"}


def test_customer_managed_only_restricts_the_input_type() -> None:
    types = """
        EnvironmentInput: {type: object, properties: {a: {type: string}}}
        Other: {type: object, properties: {n: {type: integer, default: 1}}}
    """
    assert check(environment(types), customer=True).input_types == {"environment": "EnvironmentInput"}


def test_the_sample_is_refused_as_customer_managed() -> None:
    assert refused(SAMPLE_ENVIRONMENT, customer=True) == PREFIX + f"PublicEnvironmentInput.vpc_cidr: {CUSTOMER}"
