"""`openproton render`: a template author's offline render of a bundle and a spec ([decided] P-7).

The same checks and renderer as the server, so its messages are the server's word for word: a bundle that
would fail registration exits 3 with the version's statusMessage, a spec the API would refuse exits 4 with the
ValidationException's message, a render that would fail the deployment exits 5 with its message.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openproton.bundles import archive
from openproton.bundles.inputs import check_inputs
from openproton.bundles.model import (
    ENVIRONMENT_FOLDER,
    INSTANCE_FOLDER,
    PIPELINE_FOLDER,
    Bundle,
    BundleInvalid,
    RenderedFile,
    RenderError,
    RenderTarget,
)
from openproton.bundles.registration import Kind, register_archive, register_files
from openproton.bundles.render import render_folder
from openproton.proton import service_specs, spec_inputs
from openproton.proton.errors import ValidationException
from openproton.proton.targets import environment_arn, instance_arn, pipeline_arn
from openproton.store import Scope

# P-7's exit codes.
RENDERED, USAGE, REGISTRATION, INVALID_SPEC, RENDERING = 0, 2, 3, 4, 5


class RenderCommandError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Options:
    target: str = "all"  # environment | instance:<name> | pipeline | all
    context: Mapping[str, Any] = field(default_factory=dict)
    customer_managed: bool = False
    no_pipeline: bool = False
    account_id: str = "123456789012"
    region: str = "us-east-1"
    timeout_seconds: float = 5.0


def read_bundle(path: Path, options: Options) -> Bundle:
    """The bundle at `path` (a `.tar.gz` or a directory), registered as the server would register it."""
    try:
        if path.is_dir():
            files = archive.read_directory(path)
            kind = _kind(archive.bundle_root(files), options)
            return register_files(archive.bundle_root(files), kind)[0]
        data = path.read_bytes()
    except OSError as error:
        raise RenderCommandError(USAGE, f"cannot read {path}: {error.strerror or error}") from None
    except BundleInvalid as problem:
        raise RenderCommandError(REGISTRATION, problem.message) from None
    try:
        files = archive.bundle_root(archive.read_archive(data))
        return register_archive(data, _kind(files, options))
    except BundleInvalid as problem:
        raise RenderCommandError(REGISTRATION, problem.message) from None


def _kind(files: Mapping[str, bytes], options: Options) -> Kind:
    """Environment or service template, read off the schema (registration then checks it properly)."""
    schema = files.get(archive.SCHEMA_PATH, b"")
    if b"service_input_type" in schema:
        return Kind("SERVICE", has_pipeline=not options.no_pipeline)
    return Kind("ENVIRONMENT", customer_managed=options.customer_managed)


def render(bundle: Bundle, spec_text: str | None, options: Options) -> list[tuple[str, list[RenderedFile]]]:
    """Every target's files, as (`environment` | `instances/<name>` | `pipeline`, files)."""
    schema = bundle.schema
    assert schema is not None
    scope = Scope(options.account_id, options.region)
    context = options.context
    results: list[tuple[str, list[RenderedFile]]] = []
    if "environment" in schema.input_types:
        if options.target not in ("all", "environment"):
            raise RenderCommandError(USAGE, f"--target {options.target}: an environment template renders environment")
        text = spec_text if spec_text is not None else "proton: EnvironmentSpec\n"
        inputs = _checked(lambda: spec_inputs.environment_inputs(schema, text, current=None, creating=True))
        name = str(_get(context, "environment", "name") or "environment")
        namespaces = {"environment": _merge({"name": name, "inputs": inputs}, context.get("environment"))}
        folder = bundle.folders.get(ENVIRONMENT_FOLDER)
        if folder is not None:  # a customer-managed template renders nothing
            arn = environment_arn(scope, name)
            results.append(("environment", _render(folder, RenderTarget("environment", arn, namespaces), options)))
        return results
    text = spec_text if spec_text is not None else "proton: ServiceSpec\n"
    spec = _checked(lambda: service_specs.parse(text, environment_exists=lambda _name: True))
    service = _merge({"name": "service"}, context.get("service"))
    service_name = str(service["name"])
    wanted = options.target
    if wanted.startswith("instance:") and spec.instance(wanted[len("instance:") :]) is None:
        raise RenderCommandError(
            INVALID_SPEC, f"Invalid spec: 1 validation error detected: instances: no entry named {wanted[9:]}"
        )
    instances: dict[str, dict[str, Any]] = {}
    problems: list[tuple[str, str]] = []
    for entry in spec.instances:
        inputs, found = check_inputs(
            schema, "service", entry.spec, f"instances[{entry.name}].spec", current=None, creating=True
        )
        problems.extend(found)
        environment = _merge(
            {"name": entry.environment, "account_id": options.account_id, "outputs": {}}, context.get("environment")
        )
        instances[entry.name] = _merge(
            {"name": entry.name, "inputs": inputs, "environment": environment},
            _get(context, "instances", entry.name),
        )
    pipeline_inputs: dict[str, Any] = {}
    if "pipeline" in schema.input_types:
        pipeline_inputs, found = check_inputs(
            schema, "pipeline", spec.pipeline, "pipeline", current=None, creating=True
        )
        problems.extend(found)
    if problems:
        raise RenderCommandError(INVALID_SPEC, service_specs.invalid(problems).message)
    for name, instance in instances.items():
        if wanted not in ("all", f"instance:{name}"):
            continue
        namespace = {
            **instance,
            "components": _merge({}, context.get("components")),
        }
        namespace.pop("outputs", None)
        namespaces = {"service": service, "service_instance": namespace, "environment": instance["environment"]}
        arn = instance_arn(scope, service_name, name)
        target = RenderTarget("service_instance", arn, namespaces)
        results.append((f"instances/{name}", _render(bundle.folders[INSTANCE_FOLDER], target, options)))
    folder = bundle.folders.get(PIPELINE_FOLDER)
    if folder is not None and wanted in ("all", "pipeline"):
        listed = {name: {"outputs": {}, **instance} for name, instance in instances.items()}
        namespaces = {"pipeline": {"inputs": pipeline_inputs}, "service": service, "service_instances": listed}
        arn = pipeline_arn(scope, service_name, str(uuid.UUID(int=0)))
        results.append(("pipeline", _render(folder, RenderTarget("pipeline", arn, namespaces), options)))
    elif wanted == "pipeline":
        raise RenderCommandError(USAGE, "--target pipeline: this template has no pipeline")
    return results


def _render(folder: Any, target: RenderTarget, options: Options) -> list[RenderedFile]:
    try:
        return render_folder(folder, target, timeout_seconds=options.timeout_seconds)
    except RenderError as failure:
        raise RenderCommandError(RENDERING, failure.message) from None


def _checked(check: Any) -> Any:
    try:
        return check()
    except ValidationException as error:
        raise RenderCommandError(INVALID_SPEC, error.message) from None


def _get(context: Mapping[str, Any], *keys: str) -> Any:
    value: Any = context
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _merge(base: dict[str, Any], over: Any) -> dict[str, Any]:
    """`over` merged into `base`, mappings key by key (P-7's --context)."""
    if not isinstance(over, Mapping):
        return base
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write(results: list[tuple[str, list[RenderedFile]]], out: Path | None) -> str:
    """The files under `out` (returns ""), or the stdout text with `==> <target>/<path> <==` before each."""
    if out is None:
        parts = []
        for where, files in results:
            for file in files:
                parts.append(f"==> {where}/{file.path} <==\n{file.content}")
                if not file.content.endswith("\n"):
                    parts.append("\n")
        return "".join(parts)
    for where, files in results:
        for file in files:
            path = out / where / file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(file.content, encoding="utf-8")
    return ""
