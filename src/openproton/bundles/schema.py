"""Registration checks of a bundle's parsed `schema/schema.yaml` (bundles-and-provisioning.md B-6 steps 5 to 8).

Pure: the caller has read the file and parsed it (step 4: size, YAML errors, aliases); this module checks the
document's shape and returns the Schema a version keeps, or raises BundleInvalid with the version's
statusMessage. The first failure wins, in step order; within a step the order is fixed (input-type keys
environment, service, pipeline; types and properties in document order), so one bundle always fails alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex

from .model import BundleInvalid, Schema

OPENAPI_VERSION = "3.0.0"
# B-8's step 8: the types a property may have (OpenAPI 3.0 has no `null` type: `nullable` says that).
PROPERTY_TYPES = ("string", "number", "integer", "boolean", "array", "object")
# A bound on the schema's own nesting, so that checking (and inputs.py's compiling) cannot exhaust Python's stack
# whatever loader the caller used. No input schema needs more than a few levels (ours).
MAX_SCHEMA_DEPTH = 64

_PREFIX = "Template schema is not valid: "
# section -> (the key in `schema`, its name in Proton's message [live: `Missing property [pipelineInputType]`]).
_INPUT_TYPE_KEYS = {
    "environment": ("environment_input_type", "environmentInputType"),
    "service": ("service_input_type", "serviceInputType"),
    "pipeline": ("pipeline_input_type", "pipelineInputType"),
}
_TYPE_PROBLEM = "type must be one of " + ", ".join(PROPERTY_TYPES)
_CUSTOMER_MANAGED_PROBLEM = "only string properties without defaults are allowed"


def compile_pattern(text: str) -> regex.Pattern[str]:
    """A schema `pattern`, compiled the one way registration and input checks agree on (P-25: never `re`).

    ASCII: ECMA-262 (which OpenAPI's patterns follow) and Java both read `\\d` and `\\w` as ASCII classes; Python's
    Unicode default would let `٣` through a `\\d` that a template then renders (ours). May raise regex.error.
    """
    return regex.compile(text, regex.ASCII)


def check_schema(document: Any, text: str, *, template_type: str, has_pipeline: bool, customer_managed: bool) -> Schema:
    """The checked schema of a template of `template_type` ("ENVIRONMENT" or "SERVICE"), or BundleInvalid.

    `has_pipeline`: a service template with a pipeline (pipelineProvisioning not CUSTOMER_MANAGED).
    `customer_managed`: an environment template with provisioning CUSTOMER_MANAGED [doc].
    """
    if template_type not in ("ENVIRONMENT", "SERVICE"):
        raise ValueError(f"unknown template type {template_type!r}")
    types = _check_format(document)
    input_types = _check_input_type_keys(document["schema"], template_type, has_pipeline)
    for name in input_types.values():
        _check_input_type(types, name)
    for type_name, type_schema in types.items():
        _check_type(types, str(type_name), type_schema)
    if customer_managed and template_type == "ENVIRONMENT":
        _check_customer_managed(types, input_types["environment"])
    return Schema(text=text, types=types, input_types=input_types)


def _invalid(problem: str) -> BundleInvalid:
    return BundleInvalid(_PREFIX + problem)


def _check_format(document: Any) -> dict[Any, Any]:
    """Step 5: the OpenAPI version, then the `types` mapping."""
    schema = document.get("schema") if isinstance(document, dict) else None
    format_ = schema.get("format") if isinstance(schema, dict) else None
    openapi = format_.get("openapi") if isinstance(format_, dict) else None
    # A string, as written: YAML would read an unquoted 3.0 as a float, which is not "3.0.0" either.
    if not isinstance(openapi, str) or openapi != OPENAPI_VERSION:
        raise _invalid(f'schema.format.openapi must be "{OPENAPI_VERSION}"')
    assert isinstance(schema, dict)  # the openapi value was found inside it
    types = schema.get("types")
    if not isinstance(types, dict):
        raise _invalid("Missing property [types]")
    return types


def _check_input_type_keys(schema: Mapping[Any, Any], template_type: str, has_pipeline: bool) -> dict[str, str]:
    """Step 6: which input-type keys the template needs, and that no other one is there."""
    if template_type == "ENVIRONMENT":
        expected = {"environment"}
    else:
        expected = {"service", "pipeline"} if has_pipeline else {"service"}
    found: dict[str, str] = {}
    for section, (key, camel) in _INPUT_TYPE_KEYS.items():
        # null reads as absent, in both directions: `pipeline_input_type:` left empty is not an extra key.
        value = schema.get(key)
        if section in expected:
            if value is None or value == "":
                raise _invalid(f"Missing property [{camel}]")
            if not isinstance(value, str):
                # Ours: a mapping or a number names no type, and echoing it would read oddly.
                raise _invalid(f"{key} must be a string")
            found[section] = value
        elif value is not None:
            raise _invalid(f"{key} is not allowed in this template")
    return found


def _check_input_type(types: Mapping[Any, Any], name: str) -> None:
    """Step 7: a named input type exists and is an object with at least one property [doc]."""
    if name not in types:
        raise _invalid(f"type {name} is not defined")
    type_schema = types[name]
    if (
        not isinstance(type_schema, dict)
        or type_schema.get("type") != "object"
        or not isinstance(type_schema.get("properties"), dict)
        or not type_schema["properties"]
    ):
        raise _invalid(f"{name} must be an object with at least one property")


def _check_type(types: Mapping[Any, Any], type_name: str, type_schema: Any) -> None:
    """Step 8 for one entry of `types`, named or not: every property must be one inputs.py can check."""
    if not isinstance(type_schema, dict):
        raise _invalid(f"{type_name} must be a mapping")
    properties = type_schema.get("properties")
    if properties is None:
        return  # a type used through `$ref` need not be an object (`Port: {type: integer}`)
    if not isinstance(properties, dict):
        raise _invalid(f"{type_name}.properties must be a mapping")
    for name, node in properties.items():
        _check_property(types, node, f"{type_name}.{name}", top=True, depth=1)


def _check_property(types: Mapping[Any, Any], node: Any, where: str, *, top: bool, depth: int) -> None:
    """One property's Schema Object, then the schemas nested in it (`items`, `properties`).

    A type's own properties need a `type` (or only a `$ref`) [B-6]; nested schemas are checked for what they
    say (a `type` written must be known, a `pattern` must compile), since OpenAPI lets `items: {}` take anything.
    """
    if depth > MAX_SCHEMA_DEPTH:
        raise _invalid(f"{where}: nested more than {MAX_SCHEMA_DEPTH} levels deep")
    if not isinstance(node, dict):
        raise _invalid(f"{where}: must be a mapping")
    if "$ref" in node:
        # OpenAPI 3.0 ignores a $ref's siblings, and so does inputs.py: nothing else to check here.
        ref = node["$ref"]
        if not (isinstance(ref, str) and ref.startswith("#/") and ref[2:] in types):
            raise _invalid(f"{where}: $ref must be #/<Type> of a defined type")
        return
    type_ = node.get("type")
    if (top or "type" in node) and (not isinstance(type_, str) or type_ not in PROPERTY_TYPES):
        raise _invalid(f"{where}: {_TYPE_PROBLEM}")
    items = node.get("items")
    if type_ == "array" and items is None:
        raise _invalid(f"{where}: arrays must have items")
    if "pattern" in node:
        pattern = node["pattern"]
        try:
            if not isinstance(pattern, str):
                raise TypeError
            compile_pattern(pattern)
        except (regex.error, TypeError, ValueError, OverflowError, RecursionError):
            # regex's own message quotes parts of the pattern and positions; the property's name says enough.
            raise _invalid(f"{where}: pattern is not a valid regular expression") from None
    if items is not None:
        _check_property(types, items, f"{where}.items", top=False, depth=depth + 1)
    properties = node.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise _invalid(f"{where}.properties must be a mapping")
        for name, child in properties.items():
            _check_property(types, child, f"{where}.{name}", top=False, depth=depth + 1)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        _check_property(types, additional, f"{where}.additionalProperties", top=False, depth=depth + 1)


def _check_customer_managed(types: Mapping[Any, Any], name: str) -> None:
    """[doc] A customer-managed environment's inputs are strings without defaults (CloudFormation parameters)."""
    for property_name, node in types[name]["properties"].items():
        if not isinstance(node, dict) or node.get("type") != "string" or "default" in node:
            raise _invalid(f"{name}.{property_name}: {_CUSTOMER_MANAGED_PROBLEM}")
