"""Specs checked against their template version's schema (bundles-and-provisioning.md section 3, B-9 to B-13).

Only a version registered from a bundle has a schema; every other version's specs keep the structural checks
alone (services.md S-10), as before bundles. A failure is a ValidationException at call time and nothing is
stored [live]. The same reading gives a render its inputs (defaults filled, schema order: B-11), so what is
checked and what is rendered cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openproton.bundles.inputs import check_inputs
from openproton.bundles.model import Schema

from .call import Call
from .service_specs import YamlProblem, invalid, load_yaml, spec_document
from .templates import Templates, Version

ENVIRONMENT_SPEC = "EnvironmentSpec"

Problems = list[tuple[str, str]]


def schema_of(templates: Templates, call: Call, template_name: str, version: Version) -> Schema | None:
    bundle = templates.version_bundle(call, template_name, version.row)
    return bundle.schema if bundle is not None else None


# -- environments -------------------------------------------------------------------------------------------


def environment_document(text: str) -> tuple[dict[str, Any] | None, Problems]:
    """[decided] B-9: an environment spec's structure: `proton: EnvironmentSpec`, an optional `spec` mapping."""
    document, problems = spec_document(text, ENVIRONMENT_SPEC)
    spec = document.get("spec")
    if spec is not None and not isinstance(spec, dict):
        problems.append(("spec", "must be a mapping"))
        spec = None
    return spec, problems


def stored_environment_inputs(text: str | None) -> dict[str, Any] | None:
    """A stored environment spec's inputs, tolerantly (it passed when stored); None without any."""
    if not text:
        return None
    try:
        document = load_yaml(text)
    except YamlProblem:
        return None
    spec = document.get("spec") if isinstance(document, dict) else None
    return spec if isinstance(spec, dict) else None


def environment_key(schema: Schema, text: str | None, current: str | None) -> tuple[str, str, str | None, str | None]:
    """What a call remembers an environment spec's inputs by (Call.memo): checked once, rendered from after."""
    return ("environment", schema.text, text, current)


def environment_inputs(schema: Schema, text: str, *, current: str | None, creating: bool) -> dict[str, Any]:
    """The inputs an environment spec gives (B-10, B-11), or the ValidationException of B-13."""
    spec, problems = environment_document(text)
    effective, found = check_inputs(
        schema, "environment", spec, "spec", current=stored_environment_inputs(current), creating=creating
    )
    problems.extend(found)
    if problems:
        raise invalid(problems)
    return effective


# -- services: instances and pipelines ----------------------------------------------------------------------


def instance_inputs(
    schema: Schema, name: str, inputs: Mapping[str, Any] | None, *, current: Mapping[str, Any] | None, creating: bool
) -> tuple[dict[str, Any], Problems]:
    return check_inputs(schema, "service", inputs, f"instances[{name}].spec", current=current, creating=creating)


def pipeline_inputs(
    schema: Schema, inputs: Mapping[str, Any] | None, *, current: Mapping[str, Any] | None, creating: bool
) -> tuple[dict[str, Any], Problems]:
    if "pipeline" not in schema.input_types:
        return {}, []  # [decided] B-9: a template without a pipeline ignores the section
    return check_inputs(schema, "pipeline", inputs, "pipeline", current=current, creating=creating)


def raise_if(problems: Problems) -> None:
    if problems:
        raise invalid(problems)
