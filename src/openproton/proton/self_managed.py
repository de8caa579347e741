"""The `self-managed` provisioner (bundles-and-provisioning.md P-21 to P-23): Proton's way with Terraform [doc].

The rendered files are committed to the target's provisioning repository (an environment's
`provisioningRepository`, its instances' and components' alike; a pipeline's the account's
`pipelineProvisioningRepository`), on a branch of their own, for the customer's automation to apply (AWS's
reference workflow `proton_run.yml`) and report with NotifyResourceDeploymentStatusChange. Until then the
deployment stays IN_PROGRESS; a deletion ends DELETE_COMPLETE once its commit is pushed (S-29).

The repository's git remote comes from the repository map (P-21, never from a caller), and every git command
runs through GitSource: the commit is made in a private index from the branch's tip, never in a working tree,
so nothing in the repository (links included) is followed or run.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from openproton.bundles.terraform import jackson_json
from openproton.store import Database
from openproton.store import bundles as render_store

from .deployment_view import DELETE
from .git_source import GitError, GitSource, TreeEntry
from .provisioners import CANCEL
from .provisioning import HANDED_OVER, Ending, Job, failed, succeeded
from .repository_map import MapEntry, RepositoryMap

log = logging.getLogger("openproton.provisioning")

METADATA_FILE = ".proton/deployment-metadata.json"  # [live]
DELETED_ID = "<proton-resource-deleted>"  # [live] the deploymentId a deletion commit writes
# [live] The first line of the header P-4 puts on the files Proton manages, and what a deletion puts instead.
MANAGED = "/*\nThis file is managed by AWS Proton."
DELETED_HEADER = (
    "/*\nThis file is no longer managed by AWS Proton. The associated resource has been deleted in Proton.\n*/\n\n"
)
# [decided] P-22: who the commits are by (Proton's own identity is not ours to use).
AUTHOR = ("OpenProton", "openproton@localhost")
MAX_FILE_BYTES = 1 << 20  # a file read back to see whether it carries the header
PUSH_ATTEMPTS = 3  # `direct` mode: pushes tried while the target keeps moving under them
_REGULAR = ("100644", "100755")

# [decided] P-22: P-4's `<type>` for each target type, in branch names.
TYPES = {
    "ENVIRONMENT": "environment",
    "SERVICE_INSTANCE": "service_instance",
    "SERVICE_PIPELINE": "pipeline",
    "COMPONENT": "component",
}


def folder_and_path(target_type: str, names: dict[str, Any]) -> tuple[str, str]:
    """[live] The folder a target's files live in and the path its commit message names."""
    env, service = names.get("environment_name"), names.get("service_name")
    if target_type == "ENVIRONMENT":
        return str(env), f"environment/{env}"
    if target_type == "SERVICE_INSTANCE":
        instance = names["service_instance_name"]
        return f"{env}/{service}-{instance}", f"service/{service}/service-instance/{instance}"
    if target_type == "SERVICE_PIPELINE":
        return f"{service}/pipeline", f"service/{service}/pipeline"
    component = names["component_name"]
    return f"{env}/{component}", f"component/{component}"


def job_state(
    target_type: str,
    names: dict[str, Any],
    deployment_id: str,
    repository: dict[str, str] | None,
    resource_metadata: dict[str, str],
) -> dict[str, Any]:
    """What a self-managed job needs, fixed when its deployment starts: the repository, where the files go, the
    branch and the metadata [live] the commit writes."""
    folder, path = folder_and_path(target_type, names)
    return {
        "repository": repository,
        "folder": folder,
        "path": path,
        "branch": f"proton--proton-{TYPES[target_type]}-{deployment_id}",
        # [live] A component's metadata is `componentMetadata`; every other resource's `resourceMetadata`.
        "metadata_key": "componentMetadata" if target_type == "COMPONENT" else "resourceMetadata",
        "metadata": resource_metadata,
    }


class _Refused(Exception):
    """The commit cannot be made as the repository stands (a link or a file where a folder goes)."""


class SelfManaged:
    cleans_up = True  # [decided] P-23: a cancelled deployment's pushed branch is deleted after it ended

    def __init__(self, database: Database, git: GitSource, repository_map: RepositoryMap) -> None:
        self.database = database
        self.git = git
        self.map = repository_map

    def run(self, job: Job) -> Ending | None:
        if job.action == CANCEL or job.cancelled:
            return self._cancel(job)
        repository = job.state.get("repository")
        entry = self._entry(job, repository)
        if entry is None or repository is None:
            # [decided] P-21: an unmapped repository gets nothing written; the deployment goes on as without one.
            return succeeded() if job.action == DELETE else HANDED_OVER
        try:
            # One job at a time in this repository's cache (threads and processes alike), from fetch to push.
            with self.git.exclusive(entry.key):
                pushed = self._push(job, entry, repository)
        except (GitError, _Refused) as error:
            # [decided] P-23: a failed clone or push fails the deployment (a deletion: DELETE_FAILED).
            return failed(f"Unable to push to {entry.key}: {error}")
        if pushed is None:
            return HANDED_OVER  # [decided] P-23: cancelled before the push: nothing to push or delete
        job.write(lambda tx: render_store.set_pushed(tx, job.id, orjson.dumps(pushed).decode()))
        if job.cancel_requested():
            self._delete_branch(job, pushed)
            return HANDED_OVER
        return succeeded() if job.action == DELETE else HANDED_OVER

    def _push(self, job: Job, entry: MapEntry, repository: dict[str, str]) -> dict[str, Any] | None:
        """Commit and push; what was pushed, or None when a cancel came first. The commit is saved in the job
        before its push, so a worker that resumes the job finds it on the branch (pushed: not again) or pushes that
        same commit again, never a second one made anew. In `direct` mode a target that moved meanwhile (another
        replica's push) is fetched again and the commit made again on it."""
        display, branch, target = entry.key, job.state["branch"], repository["branch"]
        refused: GitError | None = None
        tried: str | None = None  # the target's tip the last refused push was built on
        for _ in range(PUSH_ATTEMPTS):
            heads = self.git.fetch(entry.key, entry.url, display=display)
            saved = job.state.get("pushing")
            if saved and heads.get(branch) == saved["commit"]:
                # Pushed before a restart (in `direct` mode atomically with the target): not pushed again.
                return dict(saved)
            base = heads.get(target)
            if base is None:
                raise GitError(f"branch {target} does not exist")
            if refused is not None and base == tried:
                raise refused  # refused for another reason than a target that moved
            again = refused is None and bool(saved) and self.git.has_commit(entry.key, saved["commit"])
            if again:
                # [decided] P-10: a job resumed before its push landed pushes the commit it stored again.
                commit = str(saved["commit"])
            else:
                changes = self._changes(job, entry.key, base, display)
                # [decided] P-22: one message for every commit, a deletion's too.
                message = f"Update requested for Proton - {job.state['path']}"
                commit = self.git.commit(entry.key, base, changes, message, author=AUTHOR)
            if job.cancel_requested():
                return None
            pushed = {"key": entry.key, "branch": branch, "target": target, "commit": commit}
            job.save(pushing=pushed)
            refspecs = [f"+{commit}:refs/heads/{branch}"]
            if entry.mode != "direct":
                self.git.push(entry.key, entry.url, refspecs, display=display)
                return pushed
            refspecs.append(f"{commit}:refs/heads/{target}")  # fast-forward only
            try:
                self.git.push(entry.key, entry.url, refspecs, display=display, atomic=True)
                return pushed
            except GitError as error:
                # A stored commit may stand on an older tip: the next try makes one on the current tip.
                refused, tried = error, (None if again else base)
        assert refused is not None
        raise refused

    def _entry(self, job: Job, repository: dict[str, str] | None) -> MapEntry | None:
        if repository is None:
            return None
        entry = self.map.lookup(self.database, repository["provider"], repository["name"])
        if entry is None or not entry.serves(job.deployment["account_id"], strict=self.map.strict):
            return None
        return entry

    # -- the commit ---------------------------------------------------------------------------------------

    def _changes(self, job: Job, key: str, base: str, display: str) -> dict[str, bytes | None]:
        """[live] The folder's files as the deployment leaves them: P-4's rendered files and the metadata; header
        files no longer rendered removed; on a deletion, the headers marked and the files kept."""
        folder = job.state["folder"]
        prefixes = _prefixes(folder)
        listed = self.git.listing(key, base, prefixes)
        for prefix in prefixes:
            found = listed.get(prefix)
            if found is not None and found.kind != "tree":
                raise _Refused(f"{prefix} is not a directory in {display}")
        deleting = job.action == DELETE
        metadata = {
            "deploymentId": DELETED_ID if deleting else job.id,
            "isResourceDeleted": deleting,
            job.state.get("metadata_key", "resourceMetadata"): job.state["metadata"],
        }
        wanted: dict[str, bytes | None] = {}
        if not deleting:
            for file in job.files:
                wanted[f"{folder}/{file['path']}"] = file["content"].encode()
        # Last, so no rendered file can stand in for it.
        wanted[f"{folder}/{METADATA_FILE}"] = jackson_json(metadata).encode()
        for path in wanted:
            _check_writable(path, folder, listed, display)
        owned = _owned_files(folder, listed)
        # A file larger than the cap is not one of ours (the customer's archive, say): it stays as it is.
        existing = self.git.read_files(
            key, base, [e.path for e in owned if e.path not in wanted], max_bytes=MAX_FILE_BYTES, skip_larger=True
        )
        for path, content in existing.items():
            text = content.decode("utf-8", "replace")
            end = text.find("*/\n")
            if not text.startswith(MANAGED) or end < 0:
                continue  # the customer's own file stays as it is
            if deleting:
                wanted[path] = (DELETED_HEADER + text[end + 3 :].removeprefix("\n")).encode()
            else:
                wanted[path] = None
        return wanted

    # -- cancelling ---------------------------------------------------------------------------------------

    def _cancel(self, job: Job) -> Ending:
        """[decided] P-23: delete the branch a cancelled deployment pushed, unless it was merged; the deployment
        itself ended CANCELLED when the cancel arrived (D-2)."""
        pushed = job.state if job.action == CANCEL else None
        if pushed is None:
            with self.database.transaction(write=False) as tx:
                render = render_store.render(tx, job.id)
            pushed = orjson.loads(render["pushed"]) if render is not None and render["pushed"] else None
        # A worker that stopped between its push and recording it left the commit it was pushing in the job.
        pushed = pushed or job.state.get("pushing")
        if pushed:
            self._delete_branch(job, pushed)
        return HANDED_OVER

    def _delete_branch(self, job: Job, pushed: dict[str, Any]) -> None:
        provider, _, name = str(pushed["key"]).partition(":")
        entry = self._entry(job, {"provider": provider, "name": name})
        if entry is None:
            return
        try:
            with self.git.exclusive(entry.key):
                heads = self.git.fetch(entry.key, entry.url, display=entry.key)
                head, target = heads.get(pushed["branch"]), heads.get(pushed["target"])
                if head != pushed["commit"] or (target is not None and self.git.is_ancestor(entry.key, head, target)):
                    return  # gone already, moved on (someone committed to it) or merged: the customer's history
                self.git.push(entry.key, entry.url, [f":refs/heads/{pushed['branch']}"], display=entry.key)
        except GitError as error:
            # The deployment has ended; a branch left behind is the customer's to delete.
            log.warning("could not delete the branch of cancelled deployment %s: %s", job.id, error)


def _prefixes(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _check_writable(path: str, folder: str, listed: dict[str, TreeEntry], display: str) -> None:
    """[decided] P-22: nothing is written through a link: every directory on the way must be a directory (or
    absent), and the file itself a regular file (or absent)."""
    parts = path.split("/")
    for i in range(len(folder.split("/")), len(parts) - 1):
        found = listed.get("/".join(parts[: i + 1]))
        if found is not None and found.kind != "tree":
            raise _Refused(f"{found.path} is not a directory in {display}")
    found = listed.get(path)
    if found is not None and not (found.kind == "blob" and found.mode in _REGULAR):
        raise _Refused(f"{path} is not a regular file in {display}")


def _owned_files(folder: str, listed: dict[str, TreeEntry]) -> list[TreeEntry]:
    """The regular files of the folder, less those in a folder of another resource (one holding its own
    metadata file, as an environment's folder holds its instances')."""
    others = {
        entry.path.removesuffix(f"/{METADATA_FILE}")
        for entry in listed.values()
        if entry.path.endswith(f"/{METADATA_FILE}") and entry.path != f"{folder}/{METADATA_FILE}"
    }
    return [
        entry
        for entry in listed.values()
        if entry.kind == "blob"
        and entry.mode in _REGULAR
        and entry.path.startswith(f"{folder}/")
        and not entry.path.startswith(f"{folder}/.proton/")
        and not any(entry.path.startswith(f"{other}/") for other in others)
    ]
