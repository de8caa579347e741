"""Service sync ([doc]; [decided] Y-15, Y-16): an OPS file and spec files drive a service's instances and pipeline.

Every change goes through the API's own operations (CreateServiceInstance, UpdateServiceInstance,
UpdateServicePipeline, and the reads GetServiceInstance and GetService), marked as sync's so they raise no
blockers; their deployments end as any other.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openproton.protocol.errors import AwsError
from openproton.store import Database
from openproton.store import service_sync_configs as config_store
from openproton.store import sync_blockers as blocker_store
from openproton.store import sync_state as store

from . import service_specs
from .clock import Clock
from .git_source import GitError
from .service_specs import YamlProblem, load_yaml
from .sync_calls import SyncCalls
from .sync_runs import SERVICE_SYNC, AttemptLog, Snapshot, Unit, record_resource_attempt
from .sync_view import event

MAX_FILE_BYTES = 512 * 1024  # an OPS or spec file; a ServiceSpec is at most 51,200 characters [doc]
_NAME = re.compile(r"[0-9A-Za-z]+[0-9A-Za-z_\-]*")


class OpsFileProblem(Exception):
    """Why an OPS file cannot be used; the OPS_FILE_INVALID event quotes it."""


def clean_path(path: str) -> str:
    """[decided] Y-15: a `./` or `/` prefix is ignored."""
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    return path


def ops_entries(text: bytes, service: str) -> list[tuple[str, str, str]]:
    """[decided] Y-15: this service's (instance, branch, spec path) entries, in file order; [] when absent."""
    try:
        document = load_yaml(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise OpsFileProblem("it is not UTF-8 text") from None
    except YamlProblem as problem:
        raise OpsFileProblem(str(problem)) from None
    sync = document.get("sync") if isinstance(document, dict) else None
    services = sync.get("services") if isinstance(sync, dict) else None
    if not isinstance(services, dict):
        raise OpsFileProblem("it must be a mapping with sync.services")
    instances = services.get(service)
    if instances is None:
        return []
    if not isinstance(instances, dict):
        raise OpsFileProblem(f"sync.services.{service} must map instance names to their branch and spec")
    entries = []
    for name, entry in instances.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > 100:
            raise OpsFileProblem(f"{name!r} is not a service instance name")
        if not isinstance(entry, dict) or set(entry) != {"branch", "spec"}:
            raise OpsFileProblem(f"sync.services.{service}.{name} must have exactly a branch and a spec")
        branch, spec = entry["branch"], entry["spec"]
        if not isinstance(branch, str) or not branch or not isinstance(spec, str) or not clean_path(spec):
            raise OpsFileProblem(f"sync.services.{service}.{name}: branch and spec must be strings")
        if ".." in clean_path(spec).split("/"):
            raise OpsFileProblem(f"sync.services.{service}.{name}: spec must not contain a `..` segment")
        entries.append((name, branch, clean_path(spec)))
    return entries


class _Refused(Exception):
    """An instance that cannot be synced; str() is the attempt's SYNC_FAILED reason."""


class ServiceSync:
    def __init__(self, database: Database, clock: Clock, calls: SyncCalls) -> None:
        self.database = database
        self.clock = clock
        self.calls = calls

    def relevant_heads(self, unit: Unit, heads: dict[str, str]) -> dict[str, str]:
        return dict(heads)  # spec files may live on any branch

    def evaluate(self, unit: Unit, snapshot: Snapshot, attempt: AttemptLog) -> None:
        with self.database.transaction(write=False) as tx:
            configs = [
                row
                for row in config_store.of_repository(tx, unit.scope, unit.repository_provider, unit.repository_name)
                if row["branch"] == unit.branch
            ]
        for config in configs:
            self._sync_service(unit, snapshot, config, attempt)

    def _blocker(self, unit: Unit, service: str, instance: str | None) -> str | None:
        with self.database.transaction(write=False) as tx:
            row = blocker_store.active(tx, unit.scope, service, instance)
        return None if row is None else str(row["id"])

    def _sync_service(self, unit: Unit, snapshot: Snapshot, config: dict[str, Any], attempt: AttemptLog) -> None:
        service = config["service_name"]
        blocker = self._blocker(unit, service, None)
        if blocker is not None:
            attempt.add("SYNC_BLOCKED", f"Service {service} is blocked by sync blocker {blocker}", blocker)
            return
        head = snapshot.head(unit.branch)
        path = clean_path(config["file_path"])
        try:
            text = snapshot.git.read_file(snapshot.key, head or "", path, max_bytes=MAX_FILE_BYTES)
            if text is None:
                raise OpsFileProblem("the file does not exist")
            entries = ops_entries(text, service)
        except (OpsFileProblem, GitError) as problem:
            attempt.fail("OPS_FILE_INVALID", f"Proton Ops file {path} is not valid: {problem}")
            return
        pipeline_spec: str | None = None
        for name, branch, spec_path in entries:
            blocker = self._blocker(unit, service, name)
            if blocker is not None:
                attempt.add(
                    "SYNC_BLOCKED", f"Service instance {service}/{name} is blocked by sync blocker {blocker}", blocker
                )
                continue
            spec_text = self._sync_instance(unit, snapshot, attempt, service, name, branch, spec_path)
            has_pipeline = spec_text is not None and bool(service_specs.pipeline_inputs(spec_text))
            if pipeline_spec is None and branch == unit.branch and has_pipeline:
                pipeline_spec = spec_text
        if pipeline_spec is not None:
            self._sync_pipeline(unit, attempt, service, pipeline_spec)

    def _sync_instance(
        self,
        unit: Unit,
        snapshot: Snapshot,
        attempt: AttemptLog,
        service: str,
        name: str,
        branch: str,
        spec_path: str,
    ) -> str | None:
        """Sync one instance; returns its spec file's text (for the pipeline), or None when there is none."""
        sha = snapshot.head(branch)
        desired = {
            "branch": branch,
            "directory": spec_path,
            "repositoryName": unit.repository_name,
            "repositoryProvider": unit.repository_provider,
            "sha": sha or "",
        }
        target = f"{service}/{name}"
        if sha is not None:
            with self.database.transaction(write=True) as tx:
                store.put_record(tx, unit.scope, SERVICE_SYNC, target, "", {"desired_state": json.dumps(desired)})
        started = self.clock.now_ms()
        events = [event("SYNC_STARTED", f"Sync started for commit {sha or ''}", started, sha)]
        text: str | None = None
        try:
            git = snapshot.git
            raw = None if sha is None else git.read_file(snapshot.key, sha, spec_path, max_bytes=MAX_FILE_BYTES)
            if raw is None:
                raise _Refused(f"Spec file {spec_path} does not exist on branch {branch}")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _Refused(f"Spec file {spec_path} is not UTF-8 text") from None
            deployment_id = self._apply(unit, service, name, text)
        except _Refused as refused:
            self._failed(unit, attempt, target, desired, started, events, str(refused))
            return text
        except AwsError as error:
            self._failed(unit, attempt, target, desired, started, events, error.message)
            return text
        except GitError as error:
            self._failed(unit, attempt, target, desired, started, events, str(error))
            return None
        if deployment_id is None:
            return text  # [decided] Y-16: equal, nothing happens (no attempt)
        now = self.clock.now_ms()
        events.append(event("DEPLOYMENT_STARTED", f"Started deployment {deployment_id}", now, deployment_id))
        with self.database.transaction(write=True) as tx:
            record_resource_attempt(
                tx, unit, attempt.id, target, "", desired, "IN_PROGRESS", started, events, deployment_id=deployment_id
            )
        return text

    def _failed(
        self,
        unit: Unit,
        attempt: AttemptLog,
        target: str,
        desired: dict[str, str],
        started: int,
        events: list[dict[str, Any]],
        reason: str,
    ) -> None:
        events = [*events, event("SYNC_FAILED", reason, self.clock.now_ms())]
        with self.database.transaction(write=True) as tx:
            record_resource_attempt(tx, unit, attempt.id, target, "", desired, "FAILED", started, events)

    def _apply(self, unit: Unit, service: str, name: str, text: str) -> str | None:
        """Create or update the instance when its desired state differs; the deployment started, or None."""
        try:
            spec = service_specs.parse(text, environment_exists=lambda _name: True)
        except AwsError as error:
            raise _Refused(f"Spec file is not valid: {error.message}") from None
        entry = spec.instance(name)
        if entry is None:
            raise _Refused(f"The spec file has no entry for service instance {name}")
        account, region = unit.account_id, unit.region
        try:
            current = self.calls.invoke(account, region, "GetServiceInstance", {"serviceName": service, "name": name})
        except AwsError as error:
            if error.code != "ResourceNotFoundException":
                raise
            created = self.calls.invoke(
                account, region, "CreateServiceInstance", {"serviceName": service, "name": name, "spec": text}
            )
            return str(created["serviceInstance"]["lastAttemptedDeploymentId"])
        instance = current["serviceInstance"]
        if instance["environmentName"] != entry.environment:
            raise _Refused(
                f"Service instance {name} is in environment {instance['environmentName']}; the spec file names "
                f"{entry.environment}"
            )
        if service_specs.same_inputs(service_specs.inputs_of_instance(instance.get("spec"), name), entry.spec):
            return None
        updated = self.calls.invoke(
            account,
            region,
            "UpdateServiceInstance",
            {"serviceName": service, "name": name, "deploymentType": "CURRENT_VERSION", "spec": text},
        )
        return str(updated["serviceInstance"]["lastAttemptedDeploymentId"])

    def _sync_pipeline(self, unit: Unit, attempt: AttemptLog, service: str, text: str) -> None:
        """[decided] Y-16 step 3: the pipeline follows the first spec file on the config's branch that has one."""
        account, region = unit.account_id, unit.region
        try:
            found = self.calls.invoke(account, region, "GetService", {"name": service})["service"]
            pipeline = found.get("pipeline")
            if pipeline is None:
                return
            current = service_specs.pipeline_inputs(pipeline.get("spec"))
            if service_specs.same_inputs(current, service_specs.pipeline_inputs(text)):
                return
            updated = self.calls.invoke(
                account,
                region,
                "UpdateServicePipeline",
                {"serviceName": service, "deploymentType": "CURRENT_VERSION", "spec": text},
            )
        except AwsError as error:
            attempt.add("PIPELINE_SYNC_FAILED", f"Pipeline sync of {service} failed: {error.message}")
            return
        deployment_id = str(updated["pipeline"]["lastAttemptedDeploymentId"])
        attempt.add(
            "PIPELINE_DEPLOYMENT_STARTED",
            f"Started deployment {deployment_id} of the pipeline of {service}",
            deployment_id,
        )
