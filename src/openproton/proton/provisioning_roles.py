"""The roles provisioners act as (P-13, P-18, P-26), and the AWS session they reach AWS (or a stand-in) with.

Which role: CloudFormation takes an environment's connection's roleArn, else its protonServiceRoleArn (an instance
its environment's, a pipeline the account's pipelineServiceRoleArn, a component the componentRoleArn); CodeBuild
the codebuildRoleArn, its own or its connection's (a pipeline the account's pipelineCodebuildRoleArn). A role is
used only in the resource's provisioning account, and assumed with the owner's account as ExternalId and the
deployment in the session name, so a role's trust policy can require both.
"""

from __future__ import annotations

import threading
from typing import Any

from openproton.store import Database
from openproton.store import connections as connection_store
from openproton.store import environments as environment_store
from openproton.store import services as service_store

from .provisioning import Job

SERVICE = "service"  # CloudFormation's role
CODEBUILD = "codebuild"


class Roles:
    def __init__(self, database: Database, endpoint: str) -> None:
        self.database = database
        self.endpoint_url = None if endpoint == "aws" else endpoint
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
        # Jobs run on several threads (P-10); boto3 builds sessions and clients unsafely across threads.
        self._lock = threading.Lock()

    def session(self) -> Any:
        """One boto3 session for every job: a new session per client reloads botocore's models, tens of ms of CPU
        each, which would take the GIL from the requests the server is answering meanwhile."""
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.session.Session()
            return self._session

    def client(self, service: str, region: str, credentials: dict[str, str] | None = None) -> Any:
        if credentials is None:
            # The server's own credentials: one client per service and region, kept (botocore clients are
            # thread-safe), so its connections are reused and no job pays for building it again.
            with self._lock:
                kept = self._clients.get((service, region))
            if kept is None:
                built = self._new_client(service, region, {})
                with self._lock:
                    kept = self._clients.setdefault((service, region), built)
            return kept
        keys = {
            "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
            "aws_session_token": credentials["AWS_SESSION_TOKEN"],
        }
        return self._new_client(service, region, keys)

    def _new_client(self, service: str, region: str, keys: dict[str, str]) -> Any:
        session = self.session()
        with self._lock:
            return session.client(service, region_name=region, endpoint_url=self.endpoint_url, **keys)

    def role(self, job: Job, which: str) -> str | None:
        """[decided] P-13, P-18: the role the job's resource is provisioned as, or None."""
        d = job.deployment
        with self.database.transaction(write=False) as tx:
            if d["target_type"] == "SERVICE_PIPELINE":
                settings = service_store.get_settings(tx, job.scope)
                column = "pipeline_service_role_arn" if which == SERVICE else "pipeline_codebuild_role_arn"
                return settings[column] if settings else None
            environment = environment_store.get_environment(tx, job.scope, d["environment_name"] or "")
            if environment is None:
                return None
            component = d["target_type"] == "COMPONENT" and which == SERVICE
            if which == CODEBUILD and environment["codebuild_role_arn"]:
                return str(environment["codebuild_role_arn"])
            connection_id = environment["environment_account_connection_id"]
            if connection_id:
                connection = connection_store.get(tx, job.scope, connection_id)
                if connection is None:
                    return None
                if component:
                    return connection["component_role_arn"]  # [decided] C-5: the connection's
                return connection["role_arn"] if which == SERVICE else connection["codebuild_role_arn"]
            if component:
                return environment["component_role_arn"]
            return environment["proton_service_role_arn"] if which == SERVICE else None

    @staticmethod
    def refusal(job: Job, role: str | None) -> str | None:
        """Why the role cannot be used: none at all (P-13), or [decided] P-26's confused deputy."""
        d = job.deployment
        if not role:
            return f"No role to provision {d['target_arn']} with"
        account = d["environment_account_id"] or d["account_id"]
        if role.split(":")[4:5] != [account]:
            return f"Role {role} is not in account {account}"
        return None

    def assume(self, job: Job, role: str) -> dict[str, str]:
        """[decided] P-26: temporary credentials of `role`, as environment variables name them."""
        sts = self.client("sts", job.deployment["region"])
        found = sts.assume_role(
            RoleArn=role, RoleSessionName=f"openproton-{job.id}", ExternalId=job.deployment["account_id"]
        )["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": found["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
            "AWS_SESSION_TOKEN": found["SessionToken"],
        }
