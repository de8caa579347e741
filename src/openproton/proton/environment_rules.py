"""The rules on how an environment is provisioned and what an update deploys (../shared/spec/environments.md).

Pure checks over the request, the template's versions and the connection: they raise the modelled error or
return what to store, and never write.
"""

from __future__ import annotations

from typing import Any

from openproton.bundles.model import CLOUDFORMATION, CODEBUILD, TERRAFORM
from openproton.store import connections as connection_store

from .call import Call
from .errors import ResourceNotFoundException, ValidationException
from .templates import DRAFT, NO_VERSION, PUBLISHED, Templates, Version, version_number

CONNECTED = "CONNECTED"

# The members that say where and how an environment is provisioned.
CONNECTION_MEMBER = "environmentAccountConnectionId"
SERVICE_ROLE_MEMBER = "protonServiceRoleArn"
CODEBUILD_ROLE_MEMBER = "codebuildRoleArn"
REPOSITORY_MEMBER = "provisioningRepository"

# deploymentType -> what an update deploys.
NONE, CURRENT_VERSION, MINOR_VERSION, MAJOR_VERSION = "NONE", "CURRENT_VERSION", "MINOR_VERSION", "MAJOR_VERSION"


def check_provisioning(params: dict[str, Any]) -> None:
    """[doc] Exactly one way to provision: a connection, roles in the management account, or a repository."""
    given = [
        member
        for member in (CONNECTION_MEMBER, SERVICE_ROLE_MEMBER, REPOSITORY_MEMBER)
        if params.get(member) is not None
    ]
    if len(given) > 1:
        raise ValidationException(
            f"An environment is provisioned in one way only; {' and '.join(given)} cannot be given together."
        )
    if not given and params.get(CODEBUILD_ROLE_MEMBER) is None:
        raise ValidationException(
            f"An environment needs a way to be provisioned: give {CONNECTION_MEMBER}, {SERVICE_ROLE_MEMBER} (and/or "
            f"{CODEBUILD_ROLE_MEMBER}), or {REPOSITORY_MEMBER}."
        )
    if params.get(REPOSITORY_MEMBER) is not None and params.get(CODEBUILD_ROLE_MEMBER) is not None:
        raise ValidationException(f"A self-managed environment ({REPOSITORY_MEMBER}) takes no {CODEBUILD_ROLE_MEMBER}.")


def usable_version(
    templates: Templates, call: Call, template_name: str, major_text: str, minor_text: str | None
) -> Version:
    """The version an environment is deployed with; the minor defaults to the major's recommended one."""
    siblings = [v for v in templates.versions(call, template_name) if v.major == version_number(major_text)]
    if not siblings:
        raise templates.family.version_not_found(call, template_name, major_text)
    if minor_text is None:
        published = [v for v in siblings if v.status == PUBLISHED]
        if not published:
            raise ValidationException(
                f"{templates.title()} {template_name} has no published minor version in major version "
                f"{major_text}; publish one, or name a DRAFT with templateMinorVersion."
            )
        return max(published, key=lambda v: v.minor)
    found = next((v for v in siblings if v.minor == version_number(minor_text)), None)
    if found is None:
        raise templates.family.version_not_found(call, template_name, major_text, minor_text)
    if found.status not in (PUBLISHED, DRAFT):
        # [doc] A version must be PUBLISHED; its owner (the only account that can name it) may use a DRAFT.
        raise ValidationException(
            f"{templates.title()} version {template_name}:{found.major}.{found.minor} is {found.status}; "
            "only a PUBLISHED or DRAFT version can be deployed."
        )
    return found


def usable_connection(call: Call, connection_id: str, environment_name: str) -> dict[str, Any]:
    """The connection an environment is provisioned through, after every rule of [decided] D-1."""
    found = connection_store.get_by_id(call.tx, connection_id, for_update=True)
    if found is None or call.account_id not in (found["management_account_id"], found["environment_account_id"]):
        raise ResourceNotFoundException(f"The requested environment account connection does not exist: {connection_id}")
    problem = None
    if found["management_account_id"] != call.account_id:
        problem = f"its management account is {found['management_account_id']}, not the calling account"
    elif found["region"] != call.region:
        problem = f"it is in {found['region']}, not {call.region}"
    elif found["status"] != CONNECTED:
        problem = f"it is {found['status']}, not CONNECTED"
    elif found["environment_name"] != environment_name:
        problem = f"it serves environment {found['environment_name']}, not {environment_name}"
    if problem is not None:
        raise ValidationException(f"Environment account connection {connection_id} cannot be used: {problem}.")
    return found


# -- deployments -----------------------------------------------------------------------------------


def update_target(
    templates: Templates, call: Call, environment: dict[str, Any], params: dict[str, Any], kind: str
) -> tuple[int, int, str | None]:
    """[doc] What each deploymentType deploys: the template version and spec it moves the environment to."""
    major_text, minor_text = params.get("templateMajorVersion"), params.get("templateMinorVersion")
    major, minor = environment["template_major_version"], environment["template_minor_version"]
    template_name = environment["template_name"]
    if kind in (NONE, CURRENT_VERSION) and (major_text is not None or minor_text is not None):
        raise ValidationException(
            f"deploymentType {kind} keeps the template version; templateMajorVersion and templateMinorVersion "
            "go with MINOR_VERSION or MAJOR_VERSION."
        )
    if kind == NONE and params.get("spec") is not None:
        # [decided] D-5: NONE changes metadata only, so a spec would be silently dropped.
        raise ValidationException("deploymentType NONE changes metadata only; a spec needs CURRENT_VERSION.")
    spec = params.get("spec", environment["spec"])
    if kind == MINOR_VERSION:
        if major_text is not None and version_number(major_text) != major:
            raise ValidationException(
                f"deploymentType MINOR_VERSION stays in major version {major}; use MAJOR_VERSION for "
                f"major version {major_text}."
            )
        version = usable_version(templates, call, template_name, str(major), minor_text)
        return version.major, version.minor, spec
    if kind == MAJOR_VERSION:
        if major_text is None:
            published = [v for v in templates.versions(call, template_name) if v.status == PUBLISHED]
            newest = max(published, key=lambda v: (v.major, v.minor), default=None)
            if newest is None or newest.major <= major:
                raise ValidationException(
                    f"{templates.title()} {template_name} has no published major version above {major}."
                )
            return newest.major, newest.minor, spec
        if version_number(major_text) == NO_VERSION:
            raise templates.family.version_not_found(call, template_name, major_text)
        if version_number(major_text) <= major:
            raise ValidationException(
                f"deploymentType MAJOR_VERSION moves to a major version above {major}, not {major_text}."
            )
        version = usable_version(templates, call, template_name, major_text, minor_text)
        return version.major, version.minor, spec
    return major, minor, spec


def metadata_changes(call: Call, environment: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The description, roles, connection and repository an update gives, after the rules on switching."""
    name = environment["name"]
    through_connection = environment["environment_account_connection_id"] is not None
    self_managed = environment["repository_name"] is not None
    if params.get(CONNECTION_MEMBER) is not None and params.get(SERVICE_ROLE_MEMBER) is not None:
        # [doc] The connection and the service role cannot change in one call.
        raise ValidationException(
            f"Give {CONNECTION_MEMBER} or {SERVICE_ROLE_MEMBER} in one UpdateEnvironment call, not both."
        )
    # [decided] D-4: the way an environment is provisioned does not change.
    if params.get(CONNECTION_MEMBER) is not None and not through_connection:
        raise ValidationException(
            f"Environment {name} is not provisioned through an environment account connection and cannot gain one."
        )
    if params.get(SERVICE_ROLE_MEMBER) is not None and (through_connection or self_managed):
        raise ValidationException(
            f"Environment {name} is provisioned "
            f"{'through a connection' if through_connection else 'by its own repository'}; it takes no "
            f"{SERVICE_ROLE_MEMBER}."
        )
    if params.get(REPOSITORY_MEMBER) is not None and not self_managed:
        raise ValidationException(f"Environment {name} is not self-managed and cannot gain a {REPOSITORY_MEMBER}.")
    if params.get(CODEBUILD_ROLE_MEMBER) is not None and self_managed:
        # As at create: a self-managed environment is provisioned by its repository, not by CodeBuild.
        raise ValidationException(f"A self-managed environment ({REPOSITORY_MEMBER}) takes no {CODEBUILD_ROLE_MEMBER}.")
    changes: dict[str, Any] = {}
    connection_id = params.get(CONNECTION_MEMBER)
    if connection_id is not None and connection_id != environment["environment_account_connection_id"]:
        connection = usable_connection(call, connection_id, name)
        if connection["environment_account_id"] != environment["environment_account_id"]:
            # [doc] Only to a connection from the same environment account.
            raise ValidationException(
                f"Environment account connection {connection_id} is from account "
                f"{connection['environment_account_id']}; environment {name} is provisioned in "
                f"{environment['environment_account_id']}."
            )
        changes["environment_account_connection_id"] = connection_id
    for member, column in (
        ("description", "description"),
        (SERVICE_ROLE_MEMBER, "proton_service_role_arn"),
        (CODEBUILD_ROLE_MEMBER, "codebuild_role_arn"),
        ("componentRoleArn", "component_role_arn"),
    ):
        if member in params:
            changes[column] = params[member]
    repository = params.get(REPOSITORY_MEMBER)
    if repository is not None:
        changes.update(
            repository_provider=repository["provider"],
            repository_name=repository["name"],
            repository_branch=repository["branch"],
        )
    return changes


# -- delete and cancel -----------------------------------------------------------------------------


def check_method(call: Call, method: str | None, version_name: str, environment: dict[str, Any]) -> None:
    """[decided] P-9: a bundle's infrastructure method needs what provisions it, checked at Create and Update."""
    if method is None:
        return  # no bundle, or a customer-managed template: nothing is provisioned here
    connection_id = environment.get("environment_account_connection_id")
    if method == CLOUDFORMATION and not (environment.get("proton_service_role_arn") or connection_id):
        raise ValidationException(f"Template {version_name} needs {SERVICE_ROLE_MEMBER} or {CONNECTION_MEMBER}")
    if method == CODEBUILD and not environment.get("codebuild_role_arn"):
        connection = connection_store.get_by_id(call.tx, connection_id) if connection_id else None
        if connection is None or not connection.get("codebuild_role_arn"):
            raise ValidationException(f"Template {version_name} needs {CODEBUILD_ROLE_MEMBER}")
    if method == TERRAFORM and not environment.get("repository_name"):
        raise ValidationException(f"Template {version_name} needs {REPOSITORY_MEMBER}")
