"""Templates and their versions: environment templates (environments.md, first half) and, through the same
code, service templates (services.md, ServiceTemplates in service_templates.py).

A template names the infrastructure an environment or a service is built from; its versions go through
registration (REGISTRATION_IN_PROGRESS, then DRAFT) and are published by the owner. The recommended version is
the highest published one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openproton import decided
from openproton.bundles.model import Bundle
from openproton.bundles.registration import Kind
from openproton.protocol.serializer import Millis
from openproton.store.templates import ENVIRONMENT_TEMPLATES, TemplateStore

from . import arns, paging
from .call import Call
from .errors import ConflictException, ResourceNotFoundException, ValidationException
from .idempotency import ClientTokens, digest
from .tagging import Tags
from .template_bundles import Fetched, TemplateBundles, kind_of

RESOURCE_TYPE = "environment-template"

REGISTRATION_IN_PROGRESS = "REGISTRATION_IN_PROGRESS"
REGISTRATION_FAILED = "REGISTRATION_FAILED"
DRAFT = "DRAFT"
PUBLISHED = "PUBLISHED"


@dataclass(frozen=True, slots=True)
class TemplateFamily:
    """What differs between environment and service templates: names, tables, and messages."""

    resource_type: str  # the ARN's resource type
    noun: str  # "environment template"
    wire_template: str  # the output member of the template operations
    wire_version: str  # ... and of the version operations
    provisioning: str  # the template's member for who provisions: provisioning, pipelineProvisioning
    store: TemplateStore
    # [decided] S-4: service templates' not-found messages name the ARN; environment templates' the name.
    names_by_arn: bool
    template_type: str  # the model's TemplateType: ENVIRONMENT or SERVICE

    def template_arn(self, call: Call, name: str) -> str:
        return arns.build(call.region, call.account_id, self.resource_type, name)

    def version_arn(self, call: Call, name: str, major: Any, minor: Any) -> str:
        return arns.build(call.region, call.account_id, self.resource_type, f"{name}:{major}.{minor}")

    def template_not_found(self, call: Call, name: str) -> ResourceNotFoundException:
        named = self.template_arn(call, name) if self.names_by_arn else name
        return ResourceNotFoundException(f"The requested {self.noun} does not exist: {named}")

    def version_not_found(
        self, call: Call, name: str, major: Any, minor: Any | None = None
    ) -> ResourceNotFoundException:
        """A missing version; without `minor`, a major that has no versions (`...:web:4`)."""
        number = str(major) if minor is None else f"{major}.{minor}"
        named = arns.build(call.region, call.account_id, self.resource_type, f"{name}:{number}")
        return ResourceNotFoundException(
            f"The requested {self.noun} version does not exist: {named if self.names_by_arn else f'{name}:{number}'}"
        )


ENVIRONMENT_TEMPLATE = TemplateFamily(
    resource_type=RESOURCE_TYPE,
    noun="environment template",
    wire_template="environmentTemplate",
    wire_version="environmentTemplateVersion",
    provisioning="provisioning",
    store=ENVIRONMENT_TEMPLATES,
    names_by_arn=False,
    template_type="ENVIRONMENT",
)


@dataclass(slots=True)
class Version:
    row: dict[str, Any]
    status: str  # as of the call: registration that is due reads as finished

    @property
    def major(self) -> int:
        return int(self.row["major_version"])

    @property
    def minor(self) -> int:
        return int(self.row["minor_version"])


def _as_of(row: dict[str, Any], now_ms: int) -> Version:
    status = row["status"]
    if status == REGISTRATION_IN_PROGRESS and now_ms >= row["registered_at"]:
        if row.get("registration_status") is None:
            # [decided] T-2: no bundle is fetched, so registration succeeds when it is due.
            status = DRAFT
        else:
            # [decided] B-5: the checks ran inside Create; the first read shows how they ended.
            status = row["registration_status"]
            row = {**row, "status_message": row["registration_message"]}
    return Version(row, status)


# No version number reaches this; a longer one (the model allows 100 digits) names no version, and is kept out
# of SQL and JSON, which hold 64-bit integers at most.
_MAX_VERSION_DIGITS = 9
NO_VERSION = -1


def version_number(text: str) -> int:
    """A version part as a number; the model's pattern already admits only 0 or digits without a leading zero."""
    return int(text) if len(text) <= _MAX_VERSION_DIGITS else NO_VERSION


# The users of a version (environments, or service instances and pipelines): it cannot go while it has any.
VersionUsers = Callable[[Call, str, int, int], list[str]]


class Templates:
    """The template and version operations of one family; subclasses add what their versions carry."""

    family = ENVIRONMENT_TEMPLATE

    def __init__(
        self,
        tokens: ClientTokens,
        tags: Tags,
        users: VersionUsers,
        *,
        registration_delay_ms: int = 0,
        on_deleted: Callable[[Call, str, str], None] | None = None,
        bundles: TemplateBundles | None = None,
    ) -> None:
        self.bundles = bundles if bundles is not None and bundles.enabled else None
        self.on_deleted = on_deleted  # what else goes with a template (its sync config, relations.py)
        self.tokens = tokens
        self.tags = tags
        self.users = users
        self.registration_delay_ms = registration_delay_ms
        self.store = self.family.store

    # -- what a subclass adds to its versions -----------------------------------------------------------

    def _version_columns(self, call: Call, params: dict[str, Any], version: Version | None) -> dict[str, Any]:
        """Columns of the version a Create (version None) or an Update gives, after their rules."""
        return {}

    def _version_extra_wire(self, row: dict[str, Any], *, summary: bool) -> dict[str, Any]:
        return {}

    # -- templates -----------------------------------------------------------------------------------

    def template(self, call: Call, name: str) -> dict[str, Any]:
        row = self.store.get_template(call.tx, call.scope, name)
        if row is None:
            raise self.family.template_not_found(call, name)
        return row

    def versions(self, call: Call, name: str) -> list[Version]:
        return [_as_of(row, call.now_ms) for row in self.store.all_versions(call.tx, call.scope, name)]

    def _template_wire(self, call: Call, row: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
        published = [v for v in self.versions(call, row["name"]) if v.status == PUBLISHED]
        recommended = max(published, key=lambda v: (v.major, v.minor), default=None)
        wire = {
            "arn": self.family.template_arn(call, row["name"]),
            "createdAt": Millis(row["created_at"]),
            "description": row["description"],
            "displayName": row["display_name"],
            "lastModifiedAt": Millis(row["last_modified_at"]),
            "name": row["name"],
            self.family.provisioning: row[_column(self.family.provisioning)],
            "recommendedVersion": f"{recommended.major}.{recommended.minor}" if recommended else None,
        }
        if not summary:
            wire["encryptionKey"] = row["encryption_key"]
        return wire

    def _lock(self, call: Call) -> None:
        """Writers of a scope's templates read, then insert: on PostgreSQL they take turns (SQLite's already do)."""
        call.database.lock(call.tx, f"{self.family.resource_type}:{call.region}:{call.account_id}")

    def title(self) -> str:
        return self.family.noun[0].upper() + self.family.noun[1:]

    def create_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._lock(call)
        name = params["name"]
        fingerprint = digest(params)
        new_tags = self.tags.check_new(params.get("tags") or [])
        existing = self.store.get_template(call.tx, call.scope, name)
        if existing is not None:
            # [doc] Idempotent without a token: the same parameters return the template, others conflict.
            if existing["parameters_digest"] != fingerprint:
                raise ValidationException(
                    f"{self.title()} {name} already exists with different parameters (idempotent parameter mismatch)."
                )
            return {self.family.wire_template: self._template_wire(call, existing)}
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "name": name,
            "display_name": params.get("displayName"),
            "description": params.get("description"),
            "encryption_key": params.get("encryptionKey"),
            _column(self.family.provisioning): params.get(self.family.provisioning),
            "parameters_digest": fingerprint,
            "created_at": call.now_ms,
            "last_modified_at": call.now_ms,
        }
        self.store.insert_template(call.tx, row)
        self.tags.put(call, self.family.template_arn(call, name), new_tags)
        return {self.family.wire_template: self._template_wire(call, row)}

    def get_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {self.family.wire_template: self._template_wire(call, self.template(call, params["name"]))}

    def list_templates(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        query = paging.query_key(self.family.wire_template, "list", call.account_id, call.region)
        position = paging.decode(params.get("nextToken"), query, (str,))
        limit = paging.page_size(params)
        # [decided] T-3 and S-6: templates are listed by name.
        rows = self.store.page_templates(call.tx, call.scope, after=position[0] if position else "", limit=limit + 1)
        page = rows[:limit]
        result: dict[str, Any] = {"templates": [self._template_wire(call, row, summary=True) for row in page]}
        if len(rows) > limit:
            result["nextToken"] = paging.encode(query, [page[-1]["name"]])
        return result

    def update_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self.template(call, params["name"])
        # [doc] Only the display name and the description change; a member left out stays as it was.
        changes = {
            "display_name": params.get("displayName", row["display_name"]),
            "description": params.get("description", row["description"]),
            "last_modified_at": max(call.now_ms, row["last_modified_at"] + decided.LAST_MODIFIED_MIN_STEP_MS),
        }
        self.store.update_template(call.tx, call.scope, row["name"], changes)
        return {self.family.wire_template: self._template_wire(call, {**row, **changes})}

    def delete_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self.template(call, params["name"])
        if self.store.count_versions(call.tx, call.scope, row["name"]):
            # [decided] S-5 (the observed answer, for both families)
            raise ValidationException(f"{self.title()} has major versions that must first be deleted.")
        wire = self._template_wire(call, row)
        self.store.delete_template(call.tx, call.scope, row["name"])
        self.tags.drop(call, wire["arn"])
        if self.on_deleted is not None:
            self.on_deleted(call, self.family.template_type, row["name"])
        return {self.family.wire_template: wire}

    # -- versions ------------------------------------------------------------------------------------

    def version(self, call: Call, name: str, major_text: str, minor_text: str) -> Version:
        self.template(call, name)
        row = self.store.get_version(call.tx, call.scope, name, version_number(major_text), version_number(minor_text))
        if row is None:
            raise self.family.version_not_found(call, name, major_text, minor_text)
        return _as_of(row, call.now_ms)

    def _version_wire(
        self, call: Call, version: Version, siblings: list[Version], *, summary: bool = False
    ) -> dict[str, Any]:
        row = version.row
        published = [v.minor for v in siblings if v.major == version.major and v.status == PUBLISHED]
        wire = {
            "arn": self.family.version_arn(call, row["template_name"], version.major, version.minor),
            "createdAt": Millis(row["created_at"]),
            "description": row["description"],
            "lastModifiedAt": Millis(row["last_modified_at"]),
            "majorVersion": str(version.major),
            "minorVersion": str(version.minor),
            "recommendedMinorVersion": str(max(published)) if published else None,
            "status": version.status,
            "statusMessage": row["status_message"],
            "templateName": row["template_name"],
            **self._version_extra_wire(row, summary=summary),
        }
        if not summary and version.status != REGISTRATION_IN_PROGRESS and row.get("schema") is not None:
            wire["schema"] = row["schema"]  # [doc] the text of the bundle's schema/schema.yaml
        return wire

    # -- bundles (bundles-and-provisioning.md, sections 1 and 2) -----------------------------------------

    def kind(self, template: dict[str, Any]) -> Kind:
        return kind_of(self.family.template_type, template)

    def bundle_wanted(self, call: Call, params: dict[str, Any]) -> dict[str, Any] | None:
        """The S3 location a Create must fetch before its transaction, or None: no bundle source ([decided]
        B-3), or a retry with a live client token, which fetches nothing ([decided] B-5)."""
        if self.bundles is None or self.tokens.replay(call, params) is not None:
            return None
        self.template(call, params["templateName"])  # a missing template is reported before any fetch
        return (params.get("source") or {}).get("s3")

    def fetch_bundle(self, call_account: str, region: str, location: dict[str, Any]) -> Fetched:
        assert self.bundles is not None
        return self.bundles.fetch(call_account, region, location)

    def _registration(self, call: Call, name: str, bundle: Fetched | None) -> dict[str, Any]:
        """The registration columns of a version being created: empty without a bundle (T-2)."""
        fetched = bundle if bundle is not None else call.prepared
        if self.bundles is None or not isinstance(fetched, Fetched):
            return {}
        template = self.template(call, name)
        return self.bundles.register(call, self.kind(template), fetched)

    def version_bundle(self, call: Call, template_name: str, version_row: dict[str, Any]) -> Bundle | None:
        """The bundle a version was registered from, or None (registered without a source)."""
        if self.bundles is None or version_row.get("bundle_sha256") is None:
            return None
        # A deployment's call asks three times (its spec's schema, its method, its render): the template is read
        # once per call.
        key = ("bundle", self.family.template_type, template_name, version_row["bundle_sha256"])
        if key not in call.memo:
            call.memo[key] = self.bundles.bundle(call, self.kind(self.template(call, template_name)), version_row)
        return call.memo[key]

    def create_version(
        self,
        call: Call,
        params: dict[str, Any],
        *,
        at_major: int | None = None,
        bundle: Fetched | None = None,
    ) -> dict[str, Any]:
        """Create{Environment,Service}TemplateVersion; `at_major` is template sync's own numbering, `bundle` the
        files sync read from git (Y-12 step 6)."""
        self._lock(call)
        name = params["templateName"]
        self.template(call, name)
        new_tags = self.tags.check_new(params.get("tags") or [])
        replayed = self.tokens.replay(call, params)
        if replayed is not None:
            major_text, _, minor_text = replayed.partition(".")
            row = self.store.get_version(call.tx, call.scope, name, int(major_text), int(minor_text))
            if row is not None:
                version = _as_of(row, call.now_ms)
                return {self.family.wire_version: self._version_wire(call, version, self.versions(call, name))}
        existing = self.versions(call, name)
        majors = {v.major for v in existing}
        if at_major is not None:
            # [decided] Y-12 step 4: N.0 when the template has no version in N (lower majors may be missing),
            # else the next minor of N, counting versions made by hand.
            major = at_major
            minor = max((v.minor for v in existing if v.major == major), default=-1) + 1
        elif params.get("majorVersion") is None:
            # [doc] Without a major version: a new major, numbered after the highest, minor 0.
            major, minor = max(majors, default=0) + 1, 0
        else:
            major = version_number(params["majorVersion"])
            if major not in majors:
                raise ValidationException(
                    f"{self.title()} {name} has no major version {params['majorVersion']}; leave majorVersion "
                    "out to create a new major version."
                )
            minor = max(v.minor for v in existing if v.major == major) + 1
        extra = self._version_columns(call, params, None)
        source = (params.get("source") or {}).get("s3") or {}  # sync's versions come from git, not S3
        registered = self._registration(call, name, bundle)
        row = {
            "account_id": call.account_id,
            "region": call.region,
            "template_name": name,
            "major_version": major,
            "minor_version": minor,
            "description": params.get("description"),
            "status": REGISTRATION_IN_PROGRESS,
            "status_message": None,
            "source_bucket": source.get("bucket"),
            "source_key": source.get("key"),
            **extra,
            "created_at": call.now_ms,
            "last_modified_at": call.now_ms,
            # [decided] B-5: with a bundle, the first read shows how registration ended.
            "registered_at": call.now_ms + (0 if registered else self.registration_delay_ms),
            "registration_status": None,
            "registration_message": None,
            "schema": None,
            "bundle_sha256": None,
            **registered,
        }
        self.store.insert_version(call.tx, row)
        self.tags.put(call, self.family.version_arn(call, name, major, minor), new_tags)
        self.tokens.remember(call, params, f"{major}.{minor}")
        created = Version(row, REGISTRATION_IN_PROGRESS)  # as Create answers; reads see registration finish
        return {self.family.wire_version: self._version_wire(call, created, [*existing, created])}

    def get_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        version = self.version(call, params["templateName"], params["majorVersion"], params["minorVersion"])
        siblings = self.versions(call, params["templateName"])
        return {self.family.wire_version: self._version_wire(call, version, siblings)}

    def list_versions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["templateName"]
        self.template(call, name)
        major_filter = params.get("majorVersion")
        query = paging.query_key(self.family.wire_version, "list", call.account_id, call.region, name, major_filter)
        position = paging.decode(params.get("nextToken"), query, (int, int))
        limit = paging.page_size(params)
        siblings = self.versions(call, name)
        # [decided] T-3 and S-8: versions are listed by major, then minor; without majorVersion, all of them.
        matching = [v for v in siblings if major_filter is None or v.major == version_number(major_filter)]
        if position:
            matching = [v for v in matching if (v.major, v.minor) > (position[0], position[1])]
        page = matching[:limit]
        result: dict[str, Any] = {
            "templateVersions": [self._version_wire(call, v, siblings, summary=True) for v in page]
        }
        if len(matching) > limit:
            result["nextToken"] = paging.encode(query, [page[-1].major, page[-1].minor])
        return result

    def update_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["templateName"]
        version = self.version(call, name, params["majorVersion"], params["minorVersion"])
        changes: dict[str, Any] = {}
        wanted = params.get("status")
        if wanted is not None and wanted != version.status:
            if not (wanted == PUBLISHED and version.status == DRAFT):
                # [decided] T-1: publishing a DRAFT is the only status change a client may make.
                raise ValidationException(
                    f"{self.title()} version {name}:{version.major}.{version.minor} is {version.status}; "
                    f"only a DRAFT version can be set to PUBLISHED, not to {wanted}."
                )
            changes["status"] = PUBLISHED
        elif version.status != version.row["status"]:
            changes["status"] = version.status  # registration finished since: record it with the change
            changes["status_message"] = version.row["status_message"]
        if "description" in params:
            changes["description"] = params["description"]
        changes.update(self._version_columns(call, params, version))
        moved = max(call.now_ms, version.row["last_modified_at"] + decided.LAST_MODIFIED_MIN_STEP_MS)
        changes["last_modified_at"] = moved
        self.store.update_version(call.tx, call.scope, name, version.major, version.minor, changes)
        row = {**version.row, **changes}
        updated = Version(row, changes.get("status", version.status))
        siblings = [
            updated if (v.major, v.minor) == (updated.major, updated.minor) else v for v in self.versions(call, name)
        ]
        return {self.family.wire_version: self._version_wire(call, updated, siblings)}

    def delete_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["templateName"]
        version = self.version(call, name, params["majorVersion"], params["minorVersion"])
        number = f"{name}:{version.major}.{version.minor}"
        siblings = self.versions(call, name)
        same_major = [v for v in siblings if v.major == version.major]
        published = [v for v in siblings if v.status == PUBLISHED]
        minors = [v.minor for v in published if v.major == version.major]
        if minors and version.minor == max(minors) and len(same_major) > 1:
            # [doc] The recommended version of a major goes last.
            raise ConflictException(
                f"{self.title()} version {number} is the recommended version of major version "
                f"{version.major}; delete its other minor versions first."
            )
        recommended = max(published, key=lambda v: (v.major, v.minor), default=None)
        is_recommended = recommended is not None and (recommended.major, recommended.minor) == (
            version.major,
            version.minor,
        )
        if is_recommended and len(siblings) > 1:
            # [doc] The template's recommended version goes last (services.md's change to environments.md).
            raise ConflictException(
                f"{self.title()} version {number} is the recommended version of the template; delete its "
                "other versions first."
            )
        users = self.users(call, name, version.major, version.minor)
        if users:
            # [doc] A version in use cannot be deleted.
            raise ConflictException(f"{self.title()} version {number} is used by {', '.join(users)}.")
        wire = self._version_wire(call, version, siblings)
        self.store.delete_version(call.tx, call.scope, name, version.major, version.minor)
        self.tags.drop(call, wire["arn"])
        return {self.family.wire_version: wire}

    # -- tagging ---------------------------------------------------------------------------------------

    def check_tagging(self, call: Call, resource_id: str, arn: arns.ProtonArn) -> None:
        """Templates and versions are tagged by the account that owns them; `<name>:<major>` names nothing."""
        if arn.account_id != call.account_id:
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        name, colon, number = resource_id.partition(":")
        if not colon:
            self.template(call, name)
            return
        major, dot, minor = number.partition(".")
        if not (dot and major.isdigit() and minor.isdigit()):
            # [decided] S-28
            raise ResourceNotFoundException(f"The requested resource does not exist: {resource_id}")
        self.version(call, name, major, minor)


def _column(member: str) -> str:
    """provisioning -> provisioning, pipelineProvisioning -> pipeline_provisioning."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in member)
