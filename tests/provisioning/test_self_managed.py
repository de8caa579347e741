"""The self-managed provisioner (P-21 to P-23) against real git: a bare repository on disk is the provisioning
repository's remote. Every test runs in-process (`sync` mode: the push happens inside the call) and against
`openproton serve --provisioners self-managed` on SQLite and PostgreSQL, whose worker pushes in the background.

The commit is checked as AWS's reference workflow `proton_run.yml` reads it: the one changed
`.proton/deployment-metadata.json`, its `resourceMetadata.arn` and `deploymentId`, the working directory named
after the resource, and NotifyResourceDeploymentStatusChange with that deployment id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bundles.bundle_library import SERVICE_SCHEMA
from bundles.bundle_support import Bundles
from console_support import Reader, main_of
from support import MGMT_ACCOUNT, REGION, link_repository

from .self_managed_support import (
    DELETED,
    ENV_ARN,
    MAIN_TF,
    MANAGED,
    REPOSITORY,
    SPEC,
    TERRAFORM_MANIFEST,
    Remote,
    deployment_status,
    earlier_jobs_done,
    environment_files,
    eventually,
    self_managed_environment,
    service_files,
)


def test_a_deployment_is_committed_on_a_branch_of_its_own_and_proton_run_acts_on_it(
    infra: Bundles, tmp_path: Path
) -> None:
    remote = Remote(tmp_path)
    main_before = remote.head("main")
    environment = self_managed_environment(infra, remote)
    deployment_id = environment["lastAttemptedDeploymentId"]
    branch = f"proton--proton-environment-{deployment_id}"
    tip = eventually(lambda: remote.head(branch))

    # One commit on main's tip, by its message [live]; main itself waits for someone to merge (branch mode).
    assert remote.git("rev-parse", f"{tip}^") == main_before
    assert remote.git("log", "-1", "--format=%s", tip) == "Update requested for Proton - environment/dev"
    assert remote.head("main") == main_before
    assert sorted(remote.files(tip, "dev")) == [
        "dev/.proton/deployment-metadata.json",
        "dev/main.tf",
        "dev/proton.auto.tfvars.json",
        "dev/proton.environment.variables.tf",
    ]
    main_tf = remote.show(tip, "dev/main.tf")
    assert main_tf.startswith(MANAGED) and main_tf.endswith(MAIN_TF.rstrip("\n"))
    assert json.loads(remote.show(tip, "dev/proton.auto.tfvars.json"))["//"] == ENV_ARN
    metadata = json.loads(remote.show(tip, "dev/.proton/deployment-metadata.json"))
    assert metadata == {
        "deploymentId": deployment_id,
        "isResourceDeleted": False,
        "resourceMetadata": {
            "arn": ENV_ARN,
            "templateArn": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:environment-template/tf",
            "templateMajorVersion": "1",
            "templateMinorVersion": "0",
        },
    }
    # It waits for the customer's automation (S-27).
    assert deployment_status(infra) == "IN_PROGRESS"
    # The admin endpoint and the console say where it went (P-22).
    pushed = {"key": "GITHUB:acme/infra", "branch": branch, "target": "main", "commit": tip}
    assert infra.rendered(deployment_id)["pushed"] == pushed
    code, html = Reader(infra.world).get(f"/console/deployments/{deployment_id}", account=MGMT_ACCOUNT)
    assert code == 200
    page = main_of(html)
    assert "self-managed" in page and f"branch {branch} of GITHUB:acme/infra (commit {tip[:12]})" in page

    # Someone merges it; proton_run.yml finds the one changed metadata file, derives the working directory from
    # the resource ARN and notifies with the file's deployment id.
    remote.git("update-ref", "refs/heads/main", tip, main_before)
    changed = remote.git("diff", "--name-only", main_before, "main").splitlines()
    metadata_files = [path for path in changed if path.endswith(".proton/deployment-metadata.json")]
    assert metadata_files == ["dev/.proton/deployment-metadata.json"]
    read = json.loads(remote.show("main", metadata_files[0]))
    working_directory = read["resourceMetadata"]["arn"].rsplit("/", 1)[1] + "/"
    assert remote.files("main", working_directory)  # the folder it runs terraform in
    infra.client.notify_resource_deployment_status_change(
        resourceArn=read["resourceMetadata"]["arn"],
        deploymentId=read["deploymentId"],
        status="SUCCEEDED",
        outputs=[{"key": "vpc_id", "valueString": "vpc-0123"}],
    )
    assert deployment_status(infra) == "SUCCEEDED"
    outputs = infra.client.list_environment_outputs(environmentName="dev")["outputs"]
    assert outputs == [{"key": "vpc_id", "valueString": "vpc-0123"}]


def test_a_service_instance_goes_in_its_environments_folder_with_its_environment_named(
    infra: Bundles, tmp_path: Path
) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    eventually(lambda: remote.head(f"proton--proton-environment-{environment['lastAttemptedDeploymentId']}"))
    infra.client.notify_resource_deployment_status_change(
        resourceArn=ENV_ARN, deploymentId=environment["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    infra.publish_service_template("svc-tf", service_files(), environment_template="tf", pipeline=False)
    spec = "proton: ServiceSpec\ninstances:\n  - name: web\n    environment: dev\n    spec:\n      image: nginx\n"
    infra.client.create_service(name="site", templateName="svc-tf", templateMajorVersion="1", spec=spec)
    instance = eventually(
        lambda: infra.client.get_service_instance(serviceName="site", name="web")["serviceInstance"].get(
            "lastAttemptedDeploymentId"
        )
    )
    tip = eventually(lambda: remote.head(f"proton--proton-service_instance-{instance}"))
    assert (
        remote.git("log", "-1", "--format=%s", tip) == "Update requested for Proton - service/site/service-instance/web"
    )
    files = sorted(remote.files(tip, "dev/site-web"))
    assert "dev/site-web/service.tf" in files and "dev/site-web/proton.service_instance.variables.tf" in files
    metadata = json.loads(remote.show(tip, "dev/site-web/.proton/deployment-metadata.json"))
    assert metadata["deploymentId"] == instance
    assert (
        metadata["resourceMetadata"]["arn"]
        == f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:service/site/service-instance/web"
    )
    assert metadata["resourceMetadata"]["environmentArn"] == ENV_ARN


def test_header_files_no_longer_rendered_go_and_other_files_stay(infra: Bundles, tmp_path: Path) -> None:
    seed = {
        "dev/old.tf": f'{MANAGED} Any changes ...\n*/\n\nresource "x" "y" {{}}\n',
        "dev/custom.tf": "# the team's own file\n",
        "dev/site-web/.proton/deployment-metadata.json": "{}",
        "dev/site-web/service.tf": f"{MANAGED}\n*/\n\n# another resource's file\n",
        "dev/function.zip": "x" * (2 << 20),  # larger than any file OpenProton writes: the customer's
    }
    remote = Remote(tmp_path, seed)
    environment = self_managed_environment(infra, remote)
    tip = eventually(lambda: remote.head(f"proton--proton-environment-{environment['lastAttemptedDeploymentId']}"))
    files = remote.files(tip, "dev")
    assert "dev/old.tf" not in files
    assert "dev/custom.tf" in files and "dev/site-web/service.tf" in files and "dev/function.zip" in files


def test_direct_mode_fast_forwards_the_branch_and_a_deletion_commit_marks_the_files(
    infra: Bundles, tmp_path: Path
) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote, mode="direct")
    created = environment["lastAttemptedDeploymentId"]
    tip = eventually(lambda: remote.head(f"proton--proton-environment-{created}"))
    assert remote.head("main") == tip
    infra.client.notify_resource_deployment_status_change(resourceArn=ENV_ARN, deploymentId=created, status="SUCCEEDED")

    deleting = infra.client.delete_environment(name="dev")["environment"]["lastAttemptedDeploymentId"]
    deleted_tip = eventually(lambda: remote.head(f"proton--proton-environment-{deleting}"))
    assert remote.head("main") == deleted_tip
    assert remote.git("log", "-1", "--format=%s", deleted_tip) == "Update requested for Proton - environment/dev"
    # Files stay [live]; the metadata says the resource is gone, the header that nothing manages them any more.
    assert sorted(remote.files(deleted_tip, "dev")) == sorted(remote.files(tip, "dev"))
    metadata = json.loads(remote.show(deleted_tip, "dev/.proton/deployment-metadata.json"))
    assert metadata["deploymentId"] == "<proton-resource-deleted>" and metadata["isResourceDeleted"] is True
    main_tf = remote.show(deleted_tip, "dev/main.tf")
    assert main_tf.startswith(DELETED) and MAIN_TF.rstrip("\n") in main_tf and "is managed by" not in main_tf
    # S-29: the deletion does not wait for a notification.
    eventually(lambda: not [e for e in infra.client.list_environments()["environments"] if e["name"] == "dev"])


def test_a_refused_push_fails_the_deployment_with_gits_reason_and_no_url(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes need review' >&2\nexit 1\n")
    hook.chmod(0o755)
    self_managed_environment(infra, remote)
    eventually(lambda: deployment_status(infra) == "FAILED")
    message = infra.client.get_environment(name="dev")["environment"]["deploymentStatusMessage"]
    # git's last line, with the remote named by its key.
    assert message == "Unable to push to GITHUB:acme/infra: failed to push some refs to 'GITHUB:acme/infra'", message
    assert str(remote.path) not in message
    assert (
        remote.head(
            f"proton--proton-environment-{infra.client.get_environment(name='dev')['environment']['lastAttemptedDeploymentId']}"
        )
        == ""
    )


def test_nothing_is_written_through_a_link(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    os.symlink("/etc", remote.work.path / "dev")
    remote.work.git("add", "-A")
    remote.work.git("commit", "-q", "-m", "a link where the folder goes")
    remote.work.git("push", "-q", str(remote.path), "main")
    self_managed_environment(infra, remote)
    eventually(lambda: deployment_status(infra) == "FAILED")
    message = infra.client.get_environment(name="dev")["environment"]["deploymentStatusMessage"]
    assert message == "Unable to push to GITHUB:acme/infra: dev is not a directory in GITHUB:acme/infra"


def test_a_cancel_ends_at_once_and_deletes_the_unmerged_branch(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    branch = f"proton--proton-environment-{environment['lastAttemptedDeploymentId']}"
    eventually(lambda: remote.head(branch))
    cancelled = infra.client.cancel_environment_deployment(environmentName="dev")["environment"]
    assert cancelled["deploymentStatus"] == "CANCELLING"
    assert deployment_status(infra) == "CANCELLED"  # D-2: at once
    eventually(lambda: remote.head(branch) == "")


def test_a_cancel_leaves_a_branch_someone_committed_to(infra: Bundles, tmp_path: Path) -> None:
    """[decided] P-23 deletes the branch the deployment pushed, never commits someone added to it since."""
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    branch = f"proton--proton-environment-{environment['lastAttemptedDeploymentId']}"
    pushed = eventually(lambda: remote.head(branch))
    remote.work.git("fetch", "-q", str(remote.path), f"{branch}:{branch}")
    reviewed = remote.work.commit({"dev/review.md": "a reviewer's change\n"}, "review", branch=branch)
    remote.work.git("push", "-q", str(remote.path), branch)
    assert remote.head(branch) == reviewed != pushed
    infra.client.cancel_environment_deployment(environmentName="dev")
    assert deployment_status(infra) == "CANCELLED"
    earlier_jobs_done(infra, tmp_path)
    assert remote.head(branch) == reviewed


def test_an_unmapped_repository_gets_nothing_and_the_deployment_waits(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    link_repository(infra.world, REPOSITORY)
    infra.publish("tf", environment_files())
    infra.client.create_environment(
        name="dev", templateName="tf", templateMajorVersion="1", provisioningRepository=REPOSITORY, spec=SPEC
    )
    earlier_jobs_done(infra, tmp_path)
    assert remote.git("for-each-ref", "--format=%(refname)") == "refs/heads/main"
    assert deployment_status(infra) == "IN_PROGRESS"


def test_a_pipeline_goes_to_the_accounts_pipeline_repository(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    infra.client.notify_resource_deployment_status_change(
        resourceArn=ENV_ARN, deploymentId=environment["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    infra.client.update_account_settings(pipelineProvisioningRepository=REPOSITORY)  # S-24: no role
    files = service_files()
    files["schema/schema.yaml"] = SERVICE_SCHEMA
    files["pipeline_infrastructure/manifest.yaml"] = TERRAFORM_MANIFEST
    files["pipeline_infrastructure/pipeline.tf"] = 'resource "aws_codepipeline" "p" {\n  name = var.service.name\n}\n'
    infra.publish_service_template("svc-tf", files, environment_template="tf")
    spec = "proton: ServiceSpec\ninstances:\n  - name: web\n    environment: dev\n    spec:\n      image: nginx\n"
    infra.create_service_with_pipeline("site", "svc-tf", spec)
    pipeline = eventually(
        lambda: infra.client.get_service(name="site")["service"].get("pipeline", {}).get("lastAttemptedDeploymentId")
    )
    tip = eventually(lambda: remote.head(f"proton--proton-pipeline-{pipeline}"))
    assert remote.git("log", "-1", "--format=%s", tip) == "Update requested for Proton - service/site/pipeline"
    assert "site/pipeline/pipeline.tf" in remote.files(tip, "site/pipeline")
    metadata = json.loads(remote.show(tip, "site/pipeline/.proton/deployment-metadata.json"))
    assert metadata["deploymentId"] == pipeline
    assert metadata["resourceMetadata"]["templateArn"].endswith(":service-template/svc-tf")


def test_a_component_goes_in_its_environments_folder_with_component_metadata(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    infra.client.notify_resource_deployment_status_change(
        resourceArn=ENV_ARN, deploymentId=environment["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    manifest = (
        "infrastructure:\n  templates:\n    - file: queue.tf\n      rendering_engine: hcl\n"
        "      template_language: terraform\n"
    )
    component = infra.client.create_component(
        name="queue", environmentName="dev", manifest=manifest, templateFile='resource "aws_sqs_queue" "q" {}\n'
    )["component"]
    deployment = component["lastAttemptedDeploymentId"]
    tip = eventually(lambda: remote.head(f"proton--proton-component-{deployment}"))
    assert remote.git("log", "-1", "--format=%s", tip) == "Update requested for Proton - component/queue"
    files = sorted(remote.files(tip, "dev/queue"))
    assert "dev/queue/queue.tf" in files and "dev/queue/proton.component.variables.tf" in files
    assert remote.show(tip, "dev/queue/queue.tf").startswith(MANAGED)
    metadata = json.loads(remote.show(tip, "dev/queue/.proton/deployment-metadata.json"))
    assert metadata == {
        "deploymentId": deployment,
        "isResourceDeleted": False,
        "componentMetadata": {
            "arn": f"arn:aws:proton:{REGION}:{MGMT_ACCOUNT}:component/queue",
            "environmentArn": ENV_ARN,
        },
    }
    assert infra.client.get_component(name="queue")["component"]["deploymentStatus"] == "IN_PROGRESS"


def test_a_terraform_pipeline_with_no_repository_to_push_to_ends_as_without_the_provisioner(
    infra: Bundles, tmp_path: Path
) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    infra.client.notify_resource_deployment_status_change(
        resourceArn=ENV_ARN, deploymentId=environment["lastAttemptedDeploymentId"], status="SUCCEEDED"
    )
    # A pipeline role and no pipeline repository: nothing to commit to, so no job that would wait for nothing.
    infra.client.update_account_settings(pipelineServiceRoleArn=f"arn:aws:iam::{MGMT_ACCOUNT}:role/pipeline")
    files = service_files()
    files["schema/schema.yaml"] = SERVICE_SCHEMA
    files["pipeline_infrastructure/manifest.yaml"] = TERRAFORM_MANIFEST
    files["pipeline_infrastructure/pipeline.tf"] = 'resource "aws_codepipeline" "p" {}\n'
    infra.publish_service_template("svc-tf", files, environment_template="tf")
    spec = "proton: ServiceSpec\ninstances:\n  - name: web\n    environment: dev\n    spec:\n      image: nginx\n"
    infra.create_service_with_pipeline("site", "svc-tf", spec)
    pipeline = infra.client.get_service(name="site")["service"]["pipeline"]
    assert pipeline["deploymentStatus"] == "SUCCEEDED"  # the settle policy in force (succeed, at once)
    assert infra.rendered(pipeline["lastAttemptedDeploymentId"])["provisioner"] == "settle"
