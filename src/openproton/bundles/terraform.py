"""Terraform and CodeBuild folders (P-4, P-5): the files Proton wrote beside the bundle's own, byte for byte where
public copies of Proton's output exist.

Sources for the shapes below (files Proton committed to public provisioning repositories, 2022-2023):
- the header: every Proton-managed `.tf` file, e.g. aws-samples/aws-proton-workshop-code
  `sample-vpc-environment-template/vpc.tf`; the header is followed by one blank line, then the bundle's file;
- `proton.auto.tfvars.json`: aws-samples/aws-proton-workshop-code `sample-vpc-environment-template/
  proton.auto.tfvars.json` (Jackson's default pretty printer, `"//"` last, no final newline);
- `proton.<type>.variables.tf`: the 2023 files for all four types (`inputs = any`, `components = map(any)`,
  `proton_tags` declared in each; the component file's `service` block really is indented by three spaces).
Not public, so chosen: the key order inside objects (the CodeBuild guide's `proton-inputs.json` example is followed:
`account_id, name, outputs`), numbers (Java's `Double.toString`, as Jackson writes them) and the HCL input file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openproton.bundles.model import (
    COMPONENT,
    ENVIRONMENT,
    PIPELINE,
    SERVICE_INSTANCE,
    Folder,
    RenderedFile,
    RenderTarget,
)

TFVARS_FILE = "proton.auto.tfvars.json"
JSON_INPUTS_FILE = "proton-inputs.json"  # the name AWS's CodeBuild samples read
HCL_INPUTS_FILE = "proton-inputs.tfvars"

_HEADER = (
    "/*\n"
    "This file is managed by AWS Proton. Any changes made directly to this file will be overwritten the next time "
    "AWS Proton performs an update.\n"
    "\n"
    "To manage this resource, see AWS Proton Resource: {arn}\n"
    "\n"
    "If the resource is no longer accessible within AWS Proton, it may have been deleted and may require manual "
    "cleanup.\n"
    "*/\n"
    "\n"
)

_REPOSITORY_KEYS = ("branch_name", "repository_connection_arn", "repository_id")


def header(resource_arn: str) -> str:
    """P-4's header, with the blank line that separates it from the file."""
    return _HEADER.format(arn=resource_arn)


# --- proton.<type>.variables.tf -------------------------------------------------------------------------------

_PROTON_TAGS = 'variable "proton_tags" {\n  type    = map(string)\n  default = null\n}\n'
_ENV_OUTPUTS = "object({\n    account_id = string\n    name       = string\n    outputs    = map(string)\n  })"
_SERVICE_WITH_REPOSITORY = (
    "object({\n"
    "    name                      = string\n"
    "    branch_name               = string\n"
    "    repository_connection_arn = string\n"
    "    repository_id             = string\n"
    "  })"
)
_SERVICE_NAME_ONLY = "object({\n    name = string\n  })"


def _variable(name: str, type_text: str, nullable: bool) -> str:
    default = "  default = null\n" if nullable else ""
    return f'variable "{name}" {{\n  type = {type_text}\n{default}}}\n'


def variables_file(target: RenderTarget) -> RenderedFile:
    """`proton.<type>.variables.tf`, declaring the namespaces the tfvars file sets (Proton's 2023 text)."""
    ns = target.namespaces
    service = ns.get("service") or {}
    # Proton declared the repository fields only for a service that has a repository.
    service_type = _SERVICE_WITH_REPOSITORY if any(key in service for key in _REPOSITORY_KEYS) else _SERVICE_NAME_ONLY
    if target.type == ENVIRONMENT:
        blocks = [_variable("environment", "object({\n    inputs = any\n    name   = string\n  })", True)]
    elif target.type == SERVICE_INSTANCE:
        blocks = [
            _variable("environment", _ENV_OUTPUTS, True),
            _variable("service", service_type, False),
            _variable(
                "service_instance",
                "object({\n    name       = string\n    inputs     = any\n    components = map(any)\n  })",
                True,
            ),
        ]
    elif target.type == PIPELINE:
        instances = (
            "list(\n    object({\n      name    = string\n      inputs  = any\n      outputs = map(string)\n"
            "      environment = object({\n        account_id = string\n        name       = string\n"
            "        outputs    = map(string)\n      })\n    })\n  )"
        )
        blocks = [
            _variable("service_instances", instances, False),
            _variable("service", service_type, True),
            _variable("pipeline", "object({\n    inputs = any\n  })", True),
        ]
    elif target.type == COMPONENT:
        blocks = [
            _variable("component", "object({\n    name = string\n  })", False),
            _variable("environment", _ENV_OUTPUTS, False),
            # Proton's own indentation (three spaces) in this one block, kept so the file matches.
            'variable "service" {\n   type = object({\n     name = string\n   })\n   default = null\n}\n',
            # Proton's component file still said `inputs = map(string)`; `any` as in the other 2023 files, so
            # list and object inputs of the attached instance do not fail the plan (decided).
            _variable("service_instance", "object({\n    name   = string\n    inputs = any\n  })", True),
        ]
    else:
        raise ValueError(f"unknown target type {target.type!r}")
    # Every 2023 variables file ends with proton_tags, also for pipelines and components.
    blocks.append(_PROTON_TAGS)
    return RenderedFile(f"proton.{target.type}.variables.tf", header(target.resource_arn) + "\n".join(blocks))


# --- the inputs objects ------------------------------------------------------------------------------------------


def _pick(source: Any, keys: tuple[str, ...], empty: tuple[str, ...] = ()) -> dict[str, Any]:
    """The listed keys of a namespace, in this order; those in `empty` default to `{}`, others are left out."""
    source = source if isinstance(source, Mapping) else {}
    picked: dict[str, Any] = {}
    for key in keys:
        if key in source:
            picked[key] = source[key]
        elif key in empty:
            picked[key] = {}
    return picked


def _environment_ref(env: Any) -> dict[str, Any]:
    return _pick(env, ("account_id", "name", "outputs"), empty=("outputs",))


def _service(service: Any) -> dict[str, Any]:
    return _pick(service, ("name", *_REPOSITORY_KEYS))


def input_objects(target: RenderTarget, *, with_tags: bool) -> dict[str, Any]:
    """P-4's tfvars objects (without `"//"`); P-5 takes them with `with_tags=False`."""
    ns = target.namespaces
    objects: dict[str, Any] = {}
    if target.type == ENVIRONMENT:
        objects["environment"] = _pick(ns.get("environment"), ("name", "inputs"), empty=("inputs",))
    elif target.type == SERVICE_INSTANCE:
        objects["environment"] = _environment_ref(ns.get("environment"))
        objects["service"] = _service(ns.get("service"))
        objects["service_instance"] = _pick(
            ns.get("service_instance"), ("name", "inputs", "components"), empty=("inputs", "components")
        )
    elif target.type == PIPELINE:
        objects["pipeline"] = _pick(ns.get("pipeline"), ("inputs",), empty=("inputs",))
        objects["service"] = _service(ns.get("service"))
        instances = ns.get("service_instances") or {}
        objects["service_instances"] = [
            {
                **_pick(instance, ("name", "inputs", "outputs"), empty=("inputs", "outputs")),
                "environment": _environment_ref(instance.get("environment") if isinstance(instance, Mapping) else {}),
            }
            for instance in instances.values()
        ]
    elif target.type == COMPONENT:
        objects["component"] = _pick(ns.get("component"), ("name",))
        objects["environment"] = _environment_ref(ns.get("environment"))
        if "service" in ns:
            objects["service"] = _pick(ns.get("service"), ("name",))
        if "service_instance" in ns:
            objects["service_instance"] = _pick(ns.get("service_instance"), ("name", "inputs"), empty=("inputs",))
    else:
        raise ValueError(f"unknown target type {target.type!r}")
    if with_tags and target.type in (ENVIRONMENT, SERVICE_INSTANCE):
        objects["proton_tags"] = dict(target.proton_tags)
    return objects


# --- Jackson's DefaultPrettyPrinter ------------------------------------------------------------------------------

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04X}"  # Jackson writes upper-case hex digits


def _java_double(value: float) -> str:
    """Java's Double.toString, which Jackson uses: `0.5`, `1.0`, `1.0E7`, `1.5E-5`."""
    if value != value or value in (float("inf"), float("-inf")):
        return '"' + ("NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")) + '"'
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "e" not in text else format(Decimal(text), "f")
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{power}"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    return _scalar(str(value))  # dates and such from YAML: as text


def _jackson(value: Any, depth: int) -> str:
    # Objects indent their fields by two spaces per level; arrays stay on the line (`[ a, b ]`) and do not
    # deepen the indentation, so an object in an array closes at the array's own level: `[ {` ... `}, {` ... `} ]`.
    if isinstance(value, Mapping):
        if not value:
            return "{ }"
        inner = "  " * (depth + 1)
        fields = [f"{inner}{_scalar(str(key))} : {_jackson(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(fields) + "\n" + "  " * depth + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(_jackson(item, depth) for item in value) + " ]"
    return _scalar(value)


def jackson_json(value: Any) -> str:
    """`value` as Jackson's default pretty printer writes it (no final newline)."""
    return _jackson(value, 0)


def tfvars_file(target: RenderTarget) -> RenderedFile:
    objects = input_objects(target, with_tags=True)
    objects["//"] = target.resource_arn
    return RenderedFile(TFVARS_FILE, jackson_json(objects))


# --- HCL input file (CodeBuild, `input_type: HCL`) -----------------------------------------------------------------

_HCL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _hcl_string(text: str) -> str:
    # `${` and `%{` would start a template sequence in a quoted HCL string; doubling the sigil escapes it.
    body = _NEEDS_ESCAPE.sub(_escape, text).replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def _hcl(value: Any, depth: int) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        keys = [key if _HCL_NAME.fullmatch(key) else _hcl_string(key) for key in map(str, value)]
        width = max(map(len, keys))
        inner = "  " * (depth + 1)
        lines = [
            f"{inner}{key.ljust(width)} = {_hcl(item, depth + 1)}"
            for key, item in zip(keys, value.values(), strict=True)
        ]
        return "{\n" + "\n".join(lines) + "\n" + "  " * depth + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_hcl(item, depth) for item in value) + "]"
    if isinstance(value, str):
        return _hcl_string(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else _hcl_string(repr(value))
    if isinstance(value, (bool, int)) or value is None:
        return _scalar(value)
    return _hcl_string(str(value))


def hcl_inputs(objects: Mapping[str, Any]) -> str:
    """Top-level `name = value` assignments in terraform fmt's layout, one blank line between them."""
    return "\n".join(f"{name} = {_hcl(value, 0)}\n" for name, value in objects.items())


# --- the folders ---------------------------------------------------------------------------------------------------


def render_terraform(folder: Folder, target: RenderTarget) -> list[RenderedFile]:
    """[decided] P-4: the selected `.tf` files with the header, then the variables file, then the tfvars file."""
    head = header(target.resource_arn)
    files = [RenderedFile(path, head + folder.files[path].decode("utf-8")) for path in folder.templates]
    return [*files, variables_file(target), tfvars_file(target)]


def render_codebuild(folder: Folder, target: RenderTarget) -> list[RenderedFile]:
    """[decided] P-5: the folder's UTF-8 files as they are, then the inputs file (JSON in Jackson's style, or HCL)."""
    name = HCL_INPUTS_FILE if folder.input_type == "HCL" else JSON_INPUTS_FILE
    files: list[RenderedFile] = []
    for path, data in folder.files.items():
        if path == name:
            continue  # ours replaces a bundled one
        try:
            files.append(RenderedFile(path, data.decode("utf-8")))
        except UnicodeDecodeError:
            continue  # binary files are copied as bytes by the provisioner
    objects = input_objects(target, with_tags=False)
    content = hcl_inputs(objects) if folder.input_type == "HCL" else jackson_json(objects)
    return [*files, RenderedFile(name, content)]
