"""What a bundle test does in any mode: put an archive where the bundle source finds it, register and publish
template versions from it, create resources on them, and read what their deployments rendered."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bundles.bundle_library import archive, put
from support import MGMT_ACCOUNT, REGION, InProcessWorld, World

SERVICE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-service"
PIPELINE_ROLE = f"arn:aws:iam::{MGMT_ACCOUNT}:role/proton-pipeline"
BUCKET = "templates"


@dataclass
class Bundles:
    world: World
    directory: Path

    @property
    def client(self) -> Any:
        return self.world.client(MGMT_ACCOUNT, REGION)

    def source(self, files: Mapping[str, str | bytes] | bytes, *, root: str | None = "bundle") -> dict[str, Any]:
        """An archive of `files` (or these bytes) under a key of its own; the version's `source`."""
        data = files if isinstance(files, bytes) else archive(files, root=root)
        return put(self.directory, BUCKET, f"{uuid.uuid4()}.tar.gz", data)

    def register(self, name: str, files: Mapping[str, str | bytes] | bytes, **template: Any) -> dict[str, Any]:
        """A new environment template and its first version from `files`, as the first read shows it."""
        self.client.create_environment_template(name=name, **template)
        self.client.create_environment_template_version(templateName=name, source=self.source(files))
        return self.client.get_environment_template_version(templateName=name, majorVersion="1", minorVersion="0")[
            "environmentTemplateVersion"
        ]

    def publish(self, name: str, files: Mapping[str, str | bytes] | bytes, **template: Any) -> dict[str, Any]:
        version = self.register(name, files, **template)
        assert version["status"] == "DRAFT", version.get("statusMessage")
        self.client.update_environment_template_version(
            templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED"
        )
        return version

    def register_service_template(
        self,
        name: str,
        files: Mapping[str, str | bytes] | bytes,
        *,
        environment_template: str,
        pipeline: bool = True,
        components: bool = False,
    ) -> dict[str, Any]:
        """`components`: its instances may have directly defined components attached."""
        self.client.create_service_template(
            name=name, **({} if pipeline else {"pipelineProvisioning": "CUSTOMER_MANAGED"})
        )
        self.client.create_service_template_version(
            templateName=name,
            source=self.source(files),
            compatibleEnvironmentTemplates=[{"templateName": environment_template, "majorVersion": "1"}],
            **({"supportedComponentSources": ["DIRECTLY_DEFINED"]} if components else {}),
        )
        return self.client.get_service_template_version(templateName=name, majorVersion="1", minorVersion="0")[
            "serviceTemplateVersion"
        ]

    def publish_service_template(self, name: str, files: Mapping[str, str | bytes] | bytes, **options: Any) -> None:
        version = self.register_service_template(name, files, **options)
        assert version["status"] == "DRAFT", version.get("statusMessage")
        self.client.update_service_template_version(
            templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED"
        )

    def create_service_with_pipeline(self, name: str, template: str, spec: str) -> dict[str, Any]:
        """A service whose pipeline deploys too: it needs the service's source repository [doc]."""
        return self.client.create_service(
            name=name,
            templateName=template,
            templateMajorVersion="1",
            spec=spec,
            repositoryConnectionArn=f"arn:aws:codestar-connections:{REGION}:{MGMT_ACCOUNT}:connection/c",
            repositoryId=f"acme/{name}",
            branchName="main",
        )["service"]

    def create_environment(self, name: str, template: str, spec: str, **members: Any) -> dict[str, Any]:
        members.setdefault("protonServiceRoleArn", SERVICE_ROLE)
        return self.client.create_environment(
            name=name, templateName=template, templateMajorVersion="1", spec=spec, **members
        )["environment"]

    def rendered(self, deployment_id: str, path: str | None = None) -> Any:
        """P-6: the deployment's render (`path`: one file's text); None when it rendered nothing."""
        if isinstance(self.world, InProcessWorld):
            found = self.world.mock.rendered(deployment_id)
            if found is None or path is None:
                return found
            return next((f["content"] for f in found["files"] if f["path"] == path), None)
        query = f"?path={path}" if path else ""
        response = self.world.raw("GET", f"/_openproton/deployments/{deployment_id}/rendered{query}")
        if response.status == 404:
            return None
        assert response.status == 200, response.body
        if path is not None:
            assert response.headers["content-type"].startswith("text/plain")
            return response.body.decode()
        return orjson.loads(response.body)
