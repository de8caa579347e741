"""A bundle's infrastructure folders and their manifests: B-6 steps 9 to 11, B-7 and B-8.

A folder's `manifest.yaml` names the files that are its templates and how they are rendered [doc]:
```
infrastructure:
  templates:
    - file: cloudformation.yaml        # jinja + cloudformation: one item with a file
      rendering_engine: jinja
      template_language: cloudformation
```
`hcl` + `terraform` items name a file or `*` (the folder's `*.tf` files); one `codebuild` item carries
`settings.provision` and `settings.deprovision` command lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openproton.proton.service_specs import YamlProblem, load_yaml

from .model import (
    CLOUDFORMATION,
    CODEBUILD,
    ENVIRONMENT_FOLDER,
    INSTANCE_FOLDER,
    PIPELINE_FOLDER,
    TERRAFORM,
    BundleInvalid,
    Folder,
)

KB = 2**10
MAX_MANIFEST_BYTES = 50 * KB
MAX_TEMPLATE_BYTES = 200 * KB
MAX_TEMPLATE_FILES = 10
INPUT_TYPES = ("JSON", "HCL")

# [decided] B-8: a manifest item's (rendering_engine, template_language) -> the folder's method.
_METHODS = {("jinja", "cloudformation"): CLOUDFORMATION, ("hcl", "terraform"): TERRAFORM}


def folders_of(
    files: Mapping[str, bytes], *, template_type: str, has_pipeline: bool, customer_managed: bool
) -> dict[str, Folder]:
    """The bundle's folders, checked (steps 9 to 11 and B-7); BundleInvalid with the first failure."""
    present = {name.split("/", 1)[0] for name in files if "/" in name}
    if template_type == "ENVIRONMENT":
        if customer_managed:
            if ENVIRONMENT_FOLDER in present:
                raise BundleInvalid("Customer managed environment templates must not include infrastructure files")
            return {}
        wanted = [ENVIRONMENT_FOLDER]
    else:
        wanted = [INSTANCE_FOLDER, PIPELINE_FOLDER] if has_pipeline else [INSTANCE_FOLDER]
    for folder in wanted:
        if f"{folder}/manifest.yaml" not in files:
            raise BundleInvalid(f"Template manifest is not valid: {folder}/manifest.yaml is missing")
    if template_type == "SERVICE" and not has_pipeline and PIPELINE_FOLDER in present:
        raise BundleInvalid("Service template does not include a pipeline, but the bundle defines one")
    folders = {name: _folder(name, files) for name in wanted}
    selected = sum(len(folder.templates) for folder in folders.values())
    if selected > MAX_TEMPLATE_FILES:
        raise BundleInvalid("Template bundle has more than 10 template files")
    for folder in folders.values():
        _check_templates(folder)
    return folders


def _folder(name: str, files: Mapping[str, bytes]) -> Folder:
    prefix = f"{name}/"
    inside = {path[len(prefix) :]: content for path, content in files.items() if path.startswith(prefix)}
    items = _manifest_items(name, inside["manifest.yaml"])
    problem = f"Template manifest is not valid: {name}/manifest.yaml:"
    engines = [item.get("rendering_engine") for item in items]
    if engines == ["codebuild"]:
        return _codebuild_folder(name, inside, items[0], problem)
    methods = {_METHODS.get((item.get("rendering_engine"), item.get("template_language"))) for item in items}
    if None in methods or len(methods) != 1:
        raise BundleInvalid(
            f"{problem} each template must be rendering_engine jinja with template_language cloudformation, "
            "hcl with terraform, or a single codebuild item"
        )
    (method,) = methods
    if method == CLOUDFORMATION and len(items) != 1:
        raise BundleInvalid(f"{problem} a CloudFormation folder has exactly one template")
    templates: list[str] = []
    for item in items:
        file = item.get("file")
        if not isinstance(file, str) or not file:
            raise BundleInvalid(f"{problem} each template needs a file")
        if method == TERRAFORM and file == "*":
            matched = sorted(path for path in inside if "/" not in path and path.endswith(".tf"))
            if not matched:
                raise BundleInvalid(f"Template manifest is not valid: {name} has no .tf files")
            templates.extend(path for path in matched if path not in templates)
            continue
        if file not in inside:
            raise BundleInvalid(f"Template manifest is not valid: {name}/{file} does not exist")
        if file not in templates:
            templates.append(file)
    input_type = _input_type(items[0], problem)
    return Folder(name=name, method=method, files=inside, templates=tuple(templates), input_type=input_type)


def _manifest_items(name: str, content: bytes) -> list[dict[str, Any]]:
    problem = f"Template manifest is not valid: {name}/manifest.yaml:"
    if len(content) > MAX_MANIFEST_BYTES:
        raise BundleInvalid(f"{problem} larger than 50 KB")
    try:
        document = load_yaml(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise BundleInvalid(f"{problem} not UTF-8 text") from None
    except YamlProblem as error:
        raise BundleInvalid(f"{problem} {error.message}") from None
    infrastructure = document.get("infrastructure") if isinstance(document, dict) else None
    templates = infrastructure.get("templates") if isinstance(infrastructure, dict) else None
    if not isinstance(templates, list) or not templates or not all(isinstance(item, dict) for item in templates):
        raise BundleInvalid(f"{problem} infrastructure.templates must be a list of templates")
    return templates


def _input_type(item: Mapping[str, Any], problem: str) -> str:
    settings = item.get("settings")
    value = item.get("input_type", settings.get("input_type") if isinstance(settings, dict) else None)
    if value is None:
        return "JSON"
    if value not in INPUT_TYPES:
        raise BundleInvalid(f"{problem} input_type must be JSON or HCL")
    return str(value)


def _codebuild_folder(name: str, inside: dict[str, bytes], item: Mapping[str, Any], problem: str) -> Folder:
    settings = item.get("settings")
    if not isinstance(settings, dict):
        raise BundleInvalid(f"{problem} a codebuild template needs settings")
    provision = settings.get("provision")
    deprovision = settings.get("deprovision")
    if not _strings(provision) or not provision:
        raise BundleInvalid(f"{problem} settings.provision must be a non-empty list of commands")
    if not _strings(deprovision):
        raise BundleInvalid(f"{problem} settings.deprovision must be a list of commands")
    environment = settings.get("env") or {}
    variables = environment.get("variables") if isinstance(environment, dict) else None
    secrets = (
        (environment.get("secrets-manager") or environment.get("secrets_manager"))
        if isinstance(environment, dict)
        else None
    )
    if not isinstance(environment, dict) or not _string_map(variables) or not _string_map(secrets):
        raise BundleInvalid(f"{problem} settings.env.variables and secrets-manager must map names to strings")
    properties = settings.get("project_properties")
    if properties is not None:
        _check_properties(f"{name}/manifest.yaml", properties)
    return Folder(
        name=name,
        method=CODEBUILD,
        files=inside,
        templates=(),
        input_type=_input_type(item, problem),
        provision=tuple(provision),
        deprovision=tuple(deprovision or ()),
        env_variables={str(k): str(v) for k, v in (variables or {}).items()},
        secrets={str(k): str(v) for k, v in (secrets or {}).items()},
    )


def _strings(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _string_map(value: Any) -> bool:
    return value is None or (
        isinstance(value, dict) and all(isinstance(v, str | int | float | bool) for v in value.values())
    )


def _check_properties(path: str, value: Any) -> None:
    """[decided] B-7: `project_properties` strings are Jinja, parsed like a template file."""
    from .render import check_jinja  # render.py imports the model only; kept local to load Jinja when needed

    if isinstance(value, str):
        check_jinja(path, value)
    elif isinstance(value, dict):
        for item in value.values():
            _check_properties(path, item)
    elif isinstance(value, list):
        for item in value:
            _check_properties(path, item)


def _check_templates(folder: Folder) -> None:
    """Step 11's sizes and text, then B-7's Jinja parse of CloudFormation files (IaC logic is not checked)."""
    from .render import check_jinja

    for file in folder.templates:
        path = f"{folder.name}/{file}"
        content = folder.files[file]
        if len(content) > MAX_TEMPLATE_BYTES:
            raise BundleInvalid(f"Template file {path} is larger than 200 KB")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleInvalid(f"Template file {path} is not UTF-8 text") from None
        if folder.method == CLOUDFORMATION:
            check_jinja(path, text)
