"""What the self-managed provisioner's tests share (test_self_managed.py, test_self_managed_faults.py): a bare git
repository standing in for the provisioning repository's remote, the bundles they register, and waiting for the
worker that pushes in the background."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bundles.bundle_library import ENVIRONMENT_SCHEMA, SERVICE_SCHEMA
from bundles.bundle_support import Bundles
from repositories.git_support import GitRepo
from support import MGMT_ACCOUNT, REGION, link_repository

SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.1.0.0/16\n"
ENV_ARN = f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment/dev"
REPOSITORY = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}
TERRAFORM_MANIFEST = (
    "infrastructure:\n  templates:\n    - file: '*'\n      rendering_engine: hcl\n      template_language: terraform\n"
)
MAIN_TF = 'resource "aws_vpc" "vpc" {\n  cidr_block = var.environment.inputs.vpc_cidr\n}\n'
MANAGED = "/*\nThis file is managed by AWS Proton."
DELETED = "/*\nThis file is no longer managed by AWS Proton. The associated resource has been deleted in Proton.\n*/"


def environment_files() -> dict[str, str | bytes]:
    return {
        "schema/schema.yaml": ENVIRONMENT_SCHEMA,
        "infrastructure/manifest.yaml": TERRAFORM_MANIFEST,
        "infrastructure/main.tf": MAIN_TF,
    }


def service_files() -> dict[str, str | bytes]:
    schema = yaml.safe_load(SERVICE_SCHEMA)
    del schema["schema"]["pipeline_input_type"]
    del schema["schema"]["types"]["PipelineInputs"]
    return {
        "schema/schema.yaml": yaml.safe_dump(schema, sort_keys=False),
        "instance_infrastructure/manifest.yaml": TERRAFORM_MANIFEST.replace("infrastructure:", "infrastructure:", 1),
        "instance_infrastructure/service.tf": 'resource "aws_ecs_service" "web" {\n  name = var.service.name\n}\n',
    }


# -- git on the remote's side -------------------------------------------------------------------------------


class Remote:
    """A bare repository (the provisioning repository's remote), seeded with `main`."""

    def __init__(self, root: Path, seed: dict[str, str] | None = None) -> None:
        self.work = GitRepo(root / "work")
        self.work.commit(seed or {"README.md": "infrastructure\n"}, "seed")
        self.path = root / "remote.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(self.work.path), str(self.path)], check=True)

    @property
    def url(self) -> str:
        return str(self.path)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", f"--git-dir={self.path}", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    def head(self, branch: str) -> str:
        return self.git("rev-parse", "--verify", "-q", f"refs/heads/{branch}")

    def show(self, ref: str, path: str) -> str:
        return self.git("show", f"{ref}:{path}")

    def files(self, ref: str, folder: str) -> list[str]:
        return self.git("ls-tree", "-r", "--name-only", ref, "--", folder).splitlines()


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """What `check` answers once it answers something true (the worker pushes in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out waiting for the provisioning worker"
        time.sleep(0.1)


def self_managed_environment(infra: Bundles, remote: Remote, *, mode: str = "branch") -> dict[str, Any]:
    infra.world.map_repository("GITHUB", "acme/infra", remote.url, mode=mode)
    link_repository(infra.world, REPOSITORY)
    infra.publish("tf", environment_files())
    return infra.client.create_environment(
        name="dev", templateName="tf", templateMajorVersion="1", provisioningRepository=REPOSITORY, spec=SPEC
    )["environment"]


def earlier_jobs_done(infra: Bundles, tmp_path: Path) -> None:
    """Return once every job posted so far has run: a worker runs jobs one at a time, oldest first, so once a job
    posted now has pushed its branch, the earlier ones have ended."""
    other = Remote(tmp_path / "later")
    infra.world.map_repository("GITHUB", "acme/later", other.url)
    repository = {"provider": "GITHUB", "name": "acme/later", "branch": "main"}
    link_repository(infra.world, repository)
    later = infra.client.create_environment(
        name="later", templateName="tf", templateMajorVersion="1", provisioningRepository=repository, spec=SPEC
    )["environment"]
    eventually(lambda: other.head(f"proton--proton-environment-{later['lastAttemptedDeploymentId']}"))


def deployment_status(infra: Bundles) -> str:
    return str(infra.client.get_environment(name="dev")["environment"]["deploymentStatus"])
