"""A directly defined component's manifest (components.md, [decided] C-6): one IaC file, no CodeBuild.

The manifest is untrusted and sensitive: it is loaded by the same safe loader as specs, and no message quotes
it. What it must say depends on where the component runs: CloudFormation rendered by Jinja where Proton
provisions, Terraform (HCL) in a self-managed environment.
"""

from __future__ import annotations

import re
from typing import Any

from openproton.bundles.terraform import TFVARS_FILE

from .errors import ValidationException
from .service_specs import YamlProblem, load_yaml

# [decided] C-6: (rendering_engine, template_language) by whether the environment is self-managed.
PROTON_MANAGED = ("jinja", "cloudformation")
SELF_MANAGED = ("hcl", "terraform")
CODEBUILD = "codebuild"
_MEMBERS = ("file", "rendering_engine", "template_language")
# The names OpenProton writes beside a component's file (P-4; P-22's metadata folder).
_GENERATED = re.compile(rf"proton\.[a-z_]+\.variables\.tf|{re.escape(TFVARS_FILE)}|\.proton(/.*)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def _invalid(problem: str) -> ValidationException:
    return ValidationException(f"Component manifest is not valid: {problem}")


def check(text: str, *, self_managed: bool) -> None:
    """[decided] C-6: raise the ValidationException the manifest earns, or return."""
    try:
        document = load_yaml(text)
    except YamlProblem as problem:
        # PyYAML's detail may repeat a piece of the text: only the position is kept.
        raise _invalid(problem.message.split(": ", 1)[0]) from None
    infrastructure = document.get("infrastructure") if isinstance(document, dict) else None
    templates = infrastructure.get("templates") if isinstance(infrastructure, dict) else None
    if not isinstance(templates, list):
        raise _invalid("it must be a mapping with infrastructure.templates, a list of one template")
    if any(isinstance(item, dict) and item.get("rendering_engine") == CODEBUILD for item in templates):
        raise ValidationException("Components don't support CodeBuild provisioning")
    if len(templates) != 1:
        raise _invalid(f"infrastructure.templates must list exactly one template, not {len(templates)}")
    template: Any = templates[0]
    if not isinstance(template, dict) or not all(isinstance(template.get(key), str) for key in _MEMBERS):
        raise _invalid("the template needs the strings file, rendering_engine and template_language")
    # [decided] C-6: the file's name becomes a path where the component is provisioned (P-22), so it must be a
    # plain relative name that cannot leave the component's folder, hide a second path, or replace a file
    # OpenProton writes.
    name = template["file"]
    if (
        not name
        or len(name) > 255
        or _CONTROL.search(name)
        or any(part in ("", ".", "..") for part in name.split("/"))
        or _GENERATED.fullmatch(name)
    ):
        raise _invalid("the template's file must be a relative file name inside the component's folder")
    engine, language = SELF_MANAGED if self_managed else PROTON_MANAGED
    if (template["rendering_engine"], template["template_language"]) != (engine, language):
        where = "a self-managed environment" if self_managed else "an environment Proton provisions"
        raise _invalid(f"in {where}, a component takes rendering_engine {engine} with template_language {language}")


def template_of(text: str) -> tuple[str, str]:
    """The (file, rendering_engine) of a manifest `check` accepted when the component was created."""
    template = load_yaml(text)["infrastructure"]["templates"][0]
    return str(template["file"]), str(template["rendering_engine"])
