"""The values the bundle modules pass each other: a checked bundle, its folders, its schema, rendered files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# B-8: a folder's method, by its manifest's rendering engine.
CLOUDFORMATION = "cloudformation"  # jinja
TERRAFORM = "terraform"  # hcl (self-managed)
CODEBUILD = "codebuild"

# The folders of a bundle [doc], and the target type each one provisions (P-4's <type>).
ENVIRONMENT_FOLDER = "infrastructure"
INSTANCE_FOLDER = "instance_infrastructure"
PIPELINE_FOLDER = "pipeline_infrastructure"

# P-4's <type>: the resource a folder is rendered for.
ENVIRONMENT = "environment"
SERVICE_INSTANCE = "service_instance"
PIPELINE = "pipeline"
COMPONENT = "component"


class BundleInvalid(Exception):
    """Registration fails: `message` is the version's statusMessage, word for word (B-6)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RenderError(Exception):
    """Rendering fails: `message` is the deployment's statusMessage, word for word (P-1, P-25)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Schema:
    """A bundle's checked `schema/schema.yaml` (B-6 steps 4 to 8)."""

    text: str  # the file as written: the version's `schema` member
    # `schema.types`: type name -> its Schema Object, as parsed (plain dicts, lists, scalars).
    types: Mapping[str, Mapping[str, Any]]
    # Which type holds the inputs of each section: keys "environment", "service", "pipeline" (those present),
    # values type names in `types` (from environment_input_type, service_input_type, pipeline_input_type).
    input_types: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Folder:
    """One infrastructure folder of a bundle, after its manifest was checked (B-6 steps 9 to 11)."""

    name: str  # ENVIRONMENT_FOLDER, INSTANCE_FOLDER or PIPELINE_FOLDER
    method: str  # CLOUDFORMATION, TERRAFORM or CODEBUILD
    # Every file under the folder, by its path relative to the folder (`cloudformation.yaml`, `src/app.sh`).
    files: Mapping[str, bytes]
    # The selected template files (paths relative to the folder), in the manifest's order; UTF-8, checked.
    templates: tuple[str, ...]
    input_type: str = "JSON"  # JSON or HCL (Terraform and CodeBuild)
    # CodeBuild's settings (empty for the other methods).
    provision: tuple[str, ...] = ()
    deprovision: tuple[str, ...] = ()
    env_variables: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # env.secrets-manager: variable -> secret name


@dataclass(frozen=True, slots=True)
class Bundle:
    """A registered bundle: what a template version keeps (B-4) and renders from."""

    sha256: str
    schema: Schema | None  # None: a component's template file, which has no schema
    folders: Mapping[str, Folder]  # by folder name; empty for a customer-managed environment template


@dataclass(frozen=True, slots=True)
class RenderTarget:
    """What one deployment renders a folder for."""

    type: str  # ENVIRONMENT, SERVICE_INSTANCE, PIPELINE or COMPONENT
    resource_arn: str
    # The Jinja context: the namespaces of P-1 for this type, as plain data (inputs already have their
    # defaults, in schema order, B-11). Keys by type:
    #   environment:       environment {name, inputs}
    #   service_instance:  service {name[, branch_name, repository_connection_arn, repository_id]},
    #                      service_instance {name, inputs, components: {"default": {name, outputs}} or {},
    #                                        environment: <same as environment>},
    #                      environment {name, account_id, outputs}
    #   pipeline:          pipeline {inputs}, service {...}, service_instances {<name>: {name, inputs, outputs,
    #                      environment: {name, account_id, outputs}}}
    #   component:         component {name}, environment {name, account_id, outputs}, and when attached
    #                      service {name}, service_instance {name, inputs}
    namespaces: Mapping[str, Any]
    proton_tags: Mapping[str, str] = field(default_factory=dict)  # the resource's proton:* tags (P-4)


@dataclass(frozen=True, slots=True)
class RenderedFile:
    path: str  # relative to the folder's output (`cloudformation.yaml`, `proton.auto.tfvars.json`)
    content: str
