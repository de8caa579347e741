"""The `cloudformation` provisioner (bundles-and-provisioning.md P-13 to P-17): Proton's own way [doc]: render,
call CloudFormation, capture the stack's outputs and resources.

CreateStack for a target's first deployment, UpdateStack after, DeleteStack for its deletion, at
`--cloudformation-endpoint` in the resource's region. The stack's name is fixed once per target and stored, and
what is about to be called is saved in the job's state before each call, so a worker that restarts describes
the stack rather than calling again (P-10).
"""

from __future__ import annotations

import random
import string
import time
from typing import Any

from openproton.store import Database
from openproton.store import provisioning as store

from .deployment_view import CANCELLED, CANCELLED_MESSAGE
from .provisioning import Ending, Job, failed, succeeded
from .provisioning_roles import SERVICE, Roles

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]  # [decided] P-14
MAX_TEMPLATE_BYTES = 51200  # [doc] CloudFormation's TemplateBody limit
NO_UPDATES = "No updates are to be performed"
_SUCCEEDED = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
_DELETED = {"DELETE_COMPLETE"}
UPDATING = "UPDATE_IN_PROGRESS"
ROLLED_BACK = "UPDATE_ROLLBACK_COMPLETE"


class CloudFormation:
    cleans_up = False  # a cancelled deployment that ended has no stack work left

    def __init__(self, database: Database, roles: Roles, role_mode: str, *, poll_seconds: float = 5.0) -> None:
        self.database = database
        self.roles = roles
        self.role_mode = role_mode
        self.poll_seconds = poll_seconds

    def _clients(self, job: Job, role: str) -> tuple[Any, dict[str, Any]]:
        """A CloudFormation client and the extra CreateStack/UpdateStack/DeleteStack arguments ([decided] P-13:
        `assume` the role, so stacks land in its account, or `pass` it with OpenProton's own credentials)."""
        region = job.deployment["region"]
        if self.role_mode == "pass":
            return self.roles.client("cloudformation", region), {"RoleARN": role}
        return self.roles.client("cloudformation", region, self.roles.assume(job, role)), {}

    # -- a job ------------------------------------------------------------------------------------------

    def run(self, job: Job) -> Ending | None:
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        if job.cancelled and not job.state.get("called"):
            return Ending(CANCELLED, CANCELLED_MESSAGE)  # [decided] P-17: cancelled before any call
        role = self.roles.role(job, SERVICE)
        refused = self.roles.refusal(job, role)
        if refused is not None or role is None:
            return failed(refused or "")
        body = None
        if job.action != "DELETE":
            body = job.files[0]["content"] if job.files else ""
            if len(body.encode()) > MAX_TEMPLATE_BYTES:
                return failed("Rendered template is larger than the 51200 bytes CloudFormation accepts")
        try:
            client, extra = self._clients(job, role)
            stack, named_now = self._stack_name(job)
            if job.action == "DELETE":
                return self._delete(job, client, stack, extra)
            return self._deploy(job, client, stack, body or "", extra, named_now=named_now)
        except ClientError as error:
            return failed(error.response.get("Error", {}).get("Message") or str(error))
        except BotoCoreError as error:
            return failed(str(error))
        except _Interrupted:
            return None
        except ResponseParserError:
            # An endpoint that answered something that is not CloudFormation's XML (a 500 page, a proxy).
            return failed("CloudFormation's answer could not be read")

    def _stack_name(self, job: Job) -> tuple[str, bool]:
        """[decided] P-14: `AWSProton-<part>-cloudformation--<15 random A-Z>`, chosen once per target; and whether
        it was chosen just now (no stack can have that name yet)."""
        if job.state.get("stack"):
            return str(job.state["stack"]), False
        d = job.deployment
        key = {"target_arn": d["target_arn"], "created_at": d["target_resource_created_at"]}
        with self.database.transaction(write=True) as tx:
            found = store.stack_of(tx, job.scope, key["target_arn"], key["created_at"])
            if found is None:
                name = _stack_name(d)
                store.keep_stack(
                    tx,
                    {
                        "account_id": d["account_id"],
                        "region": d["region"],
                        "target_arn": d["target_arn"],
                        "target_resource_created_at": d["target_resource_created_at"],
                        "stack_name": name,
                        "stack_region": d["region"],
                    },
                )
            else:
                name = found["stack_name"]
        job.save(stack=name)
        return name, found is None

    def _describe(self, client: Any, stack: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            found = client.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as error:
            if "does not exist" in (error.response.get("Error", {}).get("Message") or ""):
                return None
            raise
        return found[0] if found else None

    def _deploy(
        self, job: Job, client: Any, stack: str, body: str, extra: dict[str, Any], *, named_now: bool = False
    ) -> Ending | None:
        from botocore.exceptions import ClientError

        tags = [{"Key": key, "Value": value} for key, value in (job.state.get("tags") or {}).items()]
        arguments = {"StackName": stack, "TemplateBody": body, "Capabilities": CAPABILITIES, "Tags": tags, **extra}
        if not job.state.get("called"):
            # A name chosen just now names no stack yet: one DescribeStacks fewer for a target's first deployment.
            existing = None if named_now else self._describe(client, stack)
            if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
                # [decided] P-15: a stack that never got created cannot be updated: it is created again.
                client.delete_stack(StackName=stack, **extra)
                self._wait(job, client, stack)
                existing = None
            if job.cancel_requested():
                return Ending(CANCELLED, CANCELLED_MESSAGE)  # [decided] P-17: still nothing called
            job.save(called=time.time(), operation="CREATE" if existing is None else "UPDATE")
            try:
                if existing is None:
                    client.create_stack(**arguments)
                else:
                    client.update_stack(**arguments)
            except ClientError as error:
                if NO_UPDATES in (error.response.get("Error", {}).get("Message") or ""):
                    return self._results(client, stack)  # [decided] P-15: nothing to do is a success
                raise
        final = self._wait(job, client, stack)
        if final is None:
            return failed(f"Stack {stack} no longer exists")  # deleted behind the deployment's back
        status = final["StackStatus"]
        if status in _SUCCEEDED:
            return self._results(client, stack, final)
        if status == ROLLED_BACK and job.state.get("cancel_sent") and not job.state.get("cancel_refused"):
            return Ending(CANCELLED, CANCELLED_MESSAGE)  # [doc] the cancel rolled the update back
        return failed(self._reason(client, stack, final, job.state.get("called") or 0))

    def _delete(self, job: Job, client: Any, stack: str, extra: dict[str, Any]) -> Ending | None:
        if not job.state.get("called"):
            if self._describe(client, stack) is None:
                return succeeded()  # [decided] P-15: no stack is a deletion done
            job.save(called=time.time(), operation="DELETE")
            client.delete_stack(StackName=stack, **extra)
        final = self._wait(job, client, stack)
        if final is None or final["StackStatus"] in _DELETED:
            return succeeded()
        return failed(self._reason(client, stack, final, job.state.get("called") or 0))

    def _wait(self, job: Job, client: Any, stack: str) -> dict[str, Any] | None:
        """[decided] P-15: polled until no longer `*_IN_PROGRESS` (rollbacks too); None once the stack is gone.
        Interrupted (lease lost, worker stopping): _Interrupted, and the job stays for whoever claims it next."""
        from botocore.exceptions import ClientError

        delay = 0.0
        while True:
            if delay and not job.sleep(delay):
                raise _Interrupted
            described = self._describe(client, stack)
            if described is None or not described["StackStatus"].endswith("_IN_PROGRESS"):
                return described
            if described["StackStatus"] == UPDATING and not job.state.get("cancel_sent") and job.cancel_requested():
                # [doc] Cancel: CancelUpdateStack. [decided] P-17: any other stack status is left alone, and
                # the deployment ends as the stack does.
                job.save(cancel_sent=True)
                try:
                    client.cancel_update_stack(StackName=stack)
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") != "ValidationError":
                        job.save(cancel_sent=False)  # throttled or refused for now: again at the next poll
                        delay = self.poll_seconds
                        continue
                    # The update finished first: a rollback after it is the update's own failure.
                    job.save(cancel_refused=True)
                delay = 0.0
                continue
            delay = min(self.poll_seconds, max(0.2, delay * 2))

    def _results(self, client: Any, stack: str, described: dict[str, Any] | None = None) -> Ending:
        """[decided] P-16: outputs in CloudFormation's order (from `described`, the stack as its wait ended, when
        given); resources by logical id."""
        if described is None:
            described = self._describe(client, stack) or {}
        outputs = [
            {"key": output["OutputKey"], "valueString": str(output.get("OutputValue", ""))}
            for output in described.get("Outputs") or []
        ]
        resources = []
        paginator = client.get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=stack):
            for resource in page.get("StackResourceSummaries") or []:
                resources.append(
                    {
                        "name": resource["LogicalResourceId"],
                        "identifier": resource.get("PhysicalResourceId") or "",
                        "provisioningEngine": "CLOUDFORMATION",
                    }
                )
        resources.sort(key=lambda item: item["name"])
        return succeeded(outputs, resources)

    def _reason(self, client: Any, stack: str, final: dict[str, Any], since: float) -> str:
        """[decided] P-15: the first `*_FAILED` event's reason since the call, else the stack's, else its status."""
        try:
            events = client.describe_stack_events(StackName=stack).get("StackEvents") or []
        except Exception:  # the reason is a courtesy; the status still fails the deployment
            events = []
        failures = [
            event
            for event in events
            if str(event.get("ResourceStatus", "")).endswith("_FAILED")
            and event.get("ResourceStatusReason")
            and _epoch(event.get("Timestamp")) >= since - 1
        ]
        if failures:
            earliest = min(failures, key=lambda event: _epoch(event.get("Timestamp")))
            return str(earliest["ResourceStatusReason"])
        return str(final.get("StackStatusReason") or f"Stack {stack} is {final['StackStatus']}")


class _Interrupted(Exception):
    """A wait between polls ended because the worker stops or lost its lease."""


def _epoch(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else 0.0


def _stack_name(deployment: dict[str, Any]) -> str:
    if deployment["target_type"] == "ENVIRONMENT":
        part = deployment["environment_name"]
    elif deployment["target_type"] == "SERVICE_INSTANCE":
        part = f"{deployment['service_name']}-{deployment['service_instance_name']}"
    elif deployment["target_type"] == "SERVICE_PIPELINE":
        part = f"{deployment['service_name']}-pipeline"
    else:
        part = deployment["component_name"]
    part = (part or "").replace("_", "-")[:15]
    suffix = "".join(random.SystemRandom().choice(string.ascii_uppercase) for _ in range(15))
    return f"AWSProton-{part}-cloudformation--{suffix}"
