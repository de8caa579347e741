"""Template versions' bundles: fetched before Create's transaction, checked inside it, kept with the version.

bundles-and-provisioning.md B-1 to B-8. Without a bundle source nothing here runs ([decided] B-3: T-2 stays
the default). The fetch is the only part that leaves the process; the provider runs it before the operation's
transaction opens (`Fetched` reaches the operation as `Call.prepared`), so no transaction waits on S3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openproton.bundles import registration
from openproton.bundles.model import Bundle, BundleInvalid
from openproton.bundles.registration import Kind
from openproton.bundles.sources import BundleSource
from openproton.store import bundles as store

from .call import Call

DRAFT = "DRAFT"
REGISTRATION_FAILED = "REGISTRATION_FAILED"
CUSTOMER_MANAGED = "CUSTOMER_MANAGED"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What the fetch brought: an archive, files (template sync's `v<N>/`), or why there is neither."""

    data: bytes | None = None
    files: dict[str, bytes] | None = None
    failure: str | None = None  # B-6 step 1's (or step 2's size) message


def kind_of(template_type: str, template: dict[str, Any]) -> Kind:
    """What a template's versions are registered as: its type and how it provisions."""
    if template_type == "ENVIRONMENT":
        return Kind("ENVIRONMENT", customer_managed=template.get("provisioning") == CUSTOMER_MANAGED)
    # [doc] A service template whose pipelineProvisioning is CUSTOMER_MANAGED has no pipeline.
    return Kind("SERVICE", has_pipeline=template.get("pipeline_provisioning") != CUSTOMER_MANAGED)


class TemplateBundles:
    def __init__(self, source: BundleSource | None) -> None:
        self.source = source

    @property
    def enabled(self) -> bool:
        return self.source is not None

    def fetch(self, account_id: str, region: str, s3: dict[str, Any]) -> Fetched:
        """B-6 step 1, outside any transaction."""
        assert self.source is not None
        try:
            return Fetched(data=self.source.fetch(account_id, region, s3["bucket"], s3["key"]))
        except BundleInvalid as problem:
            return Fetched(failure=problem.message)

    def register(self, call: Call, kind: Kind, fetched: Fetched) -> dict[str, Any]:
        """B-6's checks on what was fetched: the version's registration columns, the bundle kept (B-4)."""
        if fetched.failure is not None:
            return _failed(fetched.failure)
        try:
            if fetched.files is not None:
                bundle, data = registration.register_files(fetched.files, kind)
            else:
                assert fetched.data is not None
                data = fetched.data
                bundle = registration.register_archive(data, kind)
        except BundleInvalid as problem:
            return _failed(problem.message)
        store.keep_bundle(call.tx, call.scope, bundle.sha256, data, call.now_ms)
        registration.remember(bundle, kind)
        return {
            "registration_status": DRAFT,
            "registration_message": None,
            "schema": bundle.schema.text if bundle.schema is not None else None,
            "bundle_sha256": bundle.sha256,
        }

    def bundle(self, call: Call, kind: Kind, version_row: dict[str, Any]) -> Bundle | None:
        """The version's bundle, or None: registered without a source (B-3) or failed."""
        sha256 = version_row.get("bundle_sha256")
        if sha256 is None:
            return None
        found = registration.cached(sha256, kind)
        if found is not None:
            return found  # the archive is read from the database once per process, not once per deployment
        data = store.bundle(call.tx, call.scope, sha256)
        if data is None:
            return None  # cannot happen: a bundle goes with its owner's versions
        return registration.load(sha256, data, kind)


def _failed(message: str) -> dict[str, Any]:
    return {"registration_status": REGISTRATION_FAILED, "registration_message": message}
