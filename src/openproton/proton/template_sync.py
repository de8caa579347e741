"""Template sync ([decided] Y-11, Y-12): each changed `<template>/v<major>/` directory becomes a template version.

One `git ls-tree` per run and root finds every directory's tree id; a major whose tree is the one sync last
registered from (and whose version still exists) is left alone without reading a file, so a run over an
unchanged repository costs one fetch and one listing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from openproton.bundles import archive
from openproton.protocol.errors import AwsError
from openproton.store import Database
from openproton.store import sync_state as store
from openproton.store import template_sync_configs as config_store

from .clock import Clock
from .git_source import GitError, GitTimeout
from .service_specs import YamlProblem, load_yaml
from .sync_calls import SyncCalls
from .sync_runs import TEMPLATE_SYNC, AttemptLog, Snapshot, Unit, record_resource_attempt
from .sync_view import event
from .template_bundles import Fetched
from .templates import REGISTRATION_FAILED, Templates

_LINK = "120000"

_MAJOR = re.compile(r"v([1-9][0-9]*)")
_COMPATIBLE = re.compile(r"([0-9A-Za-z]+[0-9A-Za-z_\-]*):([1-9][0-9]*|0)")
MAX_REGISTRATION_BYTES = 64 * 1024
REGISTRATION_FILE, LEGACY_FILE = ".template-registration.yaml", ".compatible-envs"
OPERATION = {"ENVIRONMENT": "CreateEnvironmentTemplateVersion", "SERVICE": "CreateServiceTemplateVersion"}


def _bundle(snapshot: Snapshot, head: str, path: str) -> Fetched:
    """The files of `path` at `head` as a bundle, or B-6 step 2's failure: a link or a submodule is an entry that
    is not allowed, and the unpacked limits hold (checked on git's listing before anything is read)."""
    entries = snapshot.git.entries(snapshot.key, head, path, recursive=True)
    if len(entries) > archive.MAX_ENTRIES:
        return Fetched(failure=archive.EXPANDS)
    prefix = f"{path}/"
    blobs = []
    for entry in entries:
        if entry.kind == "tree":
            continue
        if entry.kind != "blob" or entry.mode == _LINK:
            return Fetched(failure=archive.not_allowed(entry.path[len(prefix) :]).message)
        blobs.append(entry.path)
    try:
        files = snapshot.git.read_files(snapshot.key, head, blobs, max_bytes=archive.MAX_UNPACKED_BYTES)
    except GitError as error:
        if "is larger than" not in str(error) or isinstance(error, GitTimeout):
            raise  # git itself failed: the attempt fails with git's reason
        return Fetched(failure=archive.EXPANDS)
    if sum(len(content) for content in files.values()) > archive.MAX_UNPACKED_BYTES:
        return Fetched(failure=archive.EXPANDS)
    return Fetched(files={name[len(prefix) :]: content for name, content in files.items()})


class RegistrationProblem(Exception):
    """A service template's registration file is missing or not valid; str() is the event's reason."""


def root_of(subdirectory: str | None) -> str:
    """[decided] Y-11: without leading `./` or `/` or trailing `/`; absent, `.` and `/` are the repository root."""
    root = (subdirectory or "").strip()
    while root.startswith(("./", "/")):
        root = root[2:] if root.startswith("./") else root[1:]
    root = root.rstrip("/")
    return "" if root in ("", ".") else root


class Directories:
    """Every directory under a root at one commit, with its tree id, indexed by name and by parent."""

    def __init__(self, trees: dict[str, str]) -> None:
        self.trees = trees
        self.by_name: dict[str, list[str]] = {}
        self.majors: dict[str, list[str]] = {}
        for path in trees:
            parent, _, name = path.rpartition("/")
            self.by_name.setdefault(name, []).append(path)
            if _MAJOR.fullmatch(name):
                self.majors.setdefault(parent, []).append(name)


def template_directory(root: str, name: str, directories: Directories) -> str | None:
    """[decided] Y-11: the shallowest directory at or below the root named exactly as the template and holding a
    major directory (the root counts unless it is the repository's); ties go to the smaller path in byte order."""
    candidates = [
        path
        for path in directories.by_name.get(name, [])
        if (not root or path == root or path.startswith(root + "/")) and directories.majors.get(path)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda path: (path.count("/"), path.encode()))


def _revision(unit: Unit, sha: str, directory: str) -> dict[str, str]:
    return {
        "branch": unit.branch,
        "directory": directory,
        "repositoryName": unit.repository_name,
        "repositoryProvider": unit.repository_provider,
        "sha": sha,
    }


def registration(files: dict[str, bytes], major_path: str) -> dict[str, Any]:
    """A service template major's compatible environments and component sources, from its registration file
    ([doc] `.template-registration.yaml`, else the legacy `.compatible-envs`)."""
    path = f"{major_path}/{REGISTRATION_FILE}"
    legacy = f"{major_path}/{LEGACY_FILE}"
    if path in files:
        try:
            data = load_yaml(files[path].decode("utf-8"))
        except (YamlProblem, UnicodeDecodeError) as error:
            raise RegistrationProblem(f"{path} is not valid: {error}") from None
        if not isinstance(data, dict):
            raise RegistrationProblem(f"{path} is not valid: it must be a mapping")
        unknown = sorted(set(data) - {"compatible_environments", "supported_component_sources"})
        if unknown:
            raise RegistrationProblem(f"{path} is not valid: unknown key {unknown[0]}")
        entries = data.get("compatible_environments")
        if not isinstance(entries, list) or not entries:
            raise RegistrationProblem(f"{path} is not valid: compatible_environments must be a non-empty list")
        sources = data.get("supported_component_sources")
        if sources is not None and (not isinstance(sources, list) or set(sources) - {"DIRECTLY_DEFINED"}):
            raise RegistrationProblem(
                f"{path} is not valid: supported_component_sources may only list DIRECTLY_DEFINED"
            )
        where = path
    elif legacy in files:
        try:
            lines = files[legacy].decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise RegistrationProblem(f"{legacy} is not valid: it is not UTF-8 text") from None
        entries, sources, where = [line.strip() for line in lines if line.strip()], None, legacy
        if not entries:
            raise RegistrationProblem(f"{legacy} is not valid: it names no environment template")
    else:
        raise RegistrationProblem(f"{path} is missing")
    compatible = []
    for entry in entries:
        match = _COMPATIBLE.fullmatch(entry) if isinstance(entry, str) else None
        if match is None:
            raise RegistrationProblem(f"{where} is not valid: {entry!r} is not <environment template>:<major>")
        compatible.append({"templateName": match[1], "majorVersion": match[2]})
    result: dict[str, Any] = {"compatibleEnvironmentTemplates": compatible}
    if sources is not None:
        result["supportedComponentSources"] = list(sources)
    return result


@dataclass
class _Major:
    number: int
    path: str
    tree_id: str


class TemplateSync:
    def __init__(self, database: Database, clock: Clock, calls: SyncCalls, families: dict[str, Templates]) -> None:
        self.database = database
        self.clock = clock
        self.calls = calls
        self.families = families  # ENVIRONMENT and SERVICE

    def relevant_heads(self, unit: Unit, heads: dict[str, str]) -> dict[str, str]:
        return {unit.branch: heads[unit.branch]} if unit.branch in heads else {}

    def evaluate(self, unit: Unit, snapshot: Snapshot, attempt: AttemptLog) -> None:
        head = snapshot.head(unit.branch)
        assert head is not None  # the runner checked it
        with self.database.transaction(write=False) as tx:
            configs = [
                row
                for row in config_store.of_repository(tx, unit.scope, unit.repository_provider, unit.repository_name)
                if row["branch"] == unit.branch
            ]
        listings: dict[str, Directories] = {}
        found: list[tuple[str, str, _Major]] = []
        for config in configs:
            kind, name, root = config["template_type"], config["template_name"], root_of(config["subdirectory"])
            if root not in listings:
                entries = snapshot.git.entries(snapshot.key, head, root, recursive=True, trees_only=True)
                trees = {entry.path: entry.object_id for entry in entries}
                if root:  # the root itself counts too
                    tree = snapshot.git.tree_id(snapshot.key, head, root)
                    if tree is not None:
                        trees[root] = tree
                listings[root] = Directories(trees)
            directories = listings[root]
            directory = template_directory(root, name, directories)
            if directory is None:
                attempt.add("TEMPLATE_NOT_FOUND", f"No directory for template {kind}/{name} under {root or '/'}")
                continue
            for child in sorted(directories.majors[directory], key=lambda major: int(major[1:])):
                path = f"{directory}/{child}"
                found.append((kind, name, _Major(int(child[1:]), path, directories.trees[path])))
        # One reading of what sync made before, for every major; an idle run ends here, having written nothing.
        with self.database.transaction(write=False) as tx:
            changed = [
                (kind, name, major, record)
                for kind, name, major in found
                for record in [store.get_record(tx, unit.scope, TEMPLATE_SYNC, f"{kind}/{name}", str(major.number))]
                if not self._unchanged(tx, unit, kind, name, major, record, head)
            ]
        for kind, name, major, record in changed:
            self._sync_major(unit, snapshot, head, kind, name, major, record, attempt)

    def _unchanged(
        self, tx: Any, unit: Unit, kind: str, name: str, major: _Major, record: dict[str, Any] | None, head: str
    ) -> bool:
        """Nothing to do for the major: its desired state is recorded, and [decided] Y-12 step 3: the same
        contents, and the version made from them is still there."""
        if record is None or record["desired_state"] != json.dumps(_revision(unit, head, major.path)):
            return False
        if record["version"] is None or record["tree_id"] != major.tree_id:
            return False
        minor = int(record["version"].partition(".")[2])
        return self.families[kind].store.get_version(tx, unit.scope, name, major.number, minor) is not None

    def _sync_major(
        self,
        unit: Unit,
        snapshot: Snapshot,
        head: str,
        kind: str,
        name: str,
        major: _Major,
        record: dict[str, Any] | None,
        attempt: AttemptLog,
    ) -> None:
        scope, target, number = unit.scope, f"{kind}/{name}", str(major.number)
        desired = _revision(unit, head, major.path)
        family = self.families[kind]
        desired_json = json.dumps(desired)
        if record is None or record["desired_state"] != desired_json:
            with self.database.transaction(write=True) as tx:
                store.put_record(tx, scope, TEMPLATE_SYNC, target, number, {"desired_state": desired_json})
        if record is not None and record["version"] is not None and record["tree_id"] == major.tree_id:
            with self.database.transaction(write=False) as tx:
                minor = int(record["version"].partition(".")[2])
                if family.store.get_version(tx, scope, name, major.number, minor) is not None:
                    return  # only the desired state moved (a commit elsewhere)
        started = self.clock.now_ms()
        events = [event("SYNC_STARTED", f"Sync started for commit {head}", started, head)]
        params: dict[str, Any] = {"templateName": name, "majorVersion": number}
        try:
            if kind == "SERVICE":
                paths = [f"{major.path}/{REGISTRATION_FILE}", f"{major.path}/{LEGACY_FILE}"]
                files = snapshot.git.read_files(snapshot.key, head, paths, max_bytes=MAX_REGISTRATION_BYTES)
                params.update(registration(files, major.path))
            # [decided] Y-12 step 6: with a bundle source, v<N>/ registers as a fetched bundle does; its files are
            # read before the version's transaction opens.
            bundle = _bundle(snapshot, head, major.path) if family.bundles is not None else None
            with self.calls.call(unit.account_id, unit.region, OPERATION[kind]) as call:
                created = family.create_version(call, params, at_major=major.number, bundle=bundle)
                version = created[family.family.wire_version]
                number_made = f"{version['majorVersion']}.{version['minorVersion']}"
                # [decided] Y-12 step 7: the version and its tree are recorded together.
                store.put_record(
                    call.tx, scope, TEMPLATE_SYNC, target, number, {"version": number_made, "tree_id": major.tree_id}
                )
                self.calls.audit.record_success(call.tx, call.context, params, created)
                now = self.clock.now_ms()
                events.append(event("VERSION_CREATED", f"Created template version {number_made}", now))
                # [decided] Y-12 step 6: a bundle that fails registration fails the attempt with its message.
                registered = family.version(call, name, version["majorVersion"], version["minorVersion"])
                if registered.status == REGISTRATION_FAILED:
                    events.append(event("SYNC_FAILED", registered.row["status_message"], now))
                    outcome = "FAILED"
                else:
                    events.append(event("SYNC_SUCCEEDED", f"Created template version {number_made}", now))
                    outcome = "SUCCEEDED"
                record_resource_attempt(call.tx, unit, attempt.id, target, number, desired, outcome, started, events)
            return
        except (RegistrationProblem, GitError) as problem:
            reason = str(problem)
        except AwsError as error:
            reason = error.message
        events.append(event("SYNC_FAILED", reason, self.clock.now_ms()))
        with self.database.transaction(write=True) as tx:
            record_resource_attempt(tx, unit, attempt.id, target, number, desired, "FAILED", started, events)
