"""The self-managed provisioner's faults against real git ([decided] P-22, P-23): a cancel that arrives while the
push is under way, a deletion whose push is refused, a worker killed between its push and recording it, and a
`direct` push that loses the race for the target branch to another writer. Hooks in the bare repository hold,
refuse or race the pushes at the remote's side, where a real remote would."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from bundles.bundle_support import Bundles
from support import ServerProcess, ServerWorld

from .conftest import SELF_MANAGED
from .self_managed_support import ENV_ARN, Remote, deployment_status, eventually, self_managed_environment

ZERO = "0" * 40
REFUSED = "Unable to push to GITHUB:acme/infra: failed to push some refs to 'GITHUB:acme/infra'"


class Gate:
    """A hook that logs every push the remote receives (its `<old> <new> <ref>` lines) and holds each one until
    the test opens the gate (30 s at most, so a failing test cannot hang the run)."""

    def __init__(self, remote: Remote, hook: str, *, refuse_first: bool = False) -> None:
        root = remote.path.parent
        self.reached_mark, self.release, self.log = root / f"{hook}.reached", root / f"{hook}.open", root / "pushes"
        refused = root / f"{hook}.refused"
        script = remote.path / "hooks" / hook
        script.write_text(
            "#!/bin/sh\n"
            f'cat >> "{self.log}"\n'
            f': > "{self.reached_mark}"\n'
            "i=0\n"
            f'while [ ! -e "{self.release}" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n'
            + (f'if [ ! -e "{refused}" ]; then : > "{refused}"; exit 1; fi\n' if refuse_first else "")
        )
        script.chmod(0o755)

    def reached(self) -> bool:
        return self.reached_mark.exists()

    def open(self) -> None:
        self.release.touch()

    def pushes(self) -> list[list[str]]:
        return [line.split() for line in self.log.read_text().splitlines()] if self.log.exists() else []


def test_a_cancel_during_the_push_deletes_the_branch_once_it_lands(served_infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    gate = Gate(remote, "pre-receive")
    environment = self_managed_environment(served_infra, remote)
    branch = f"refs/heads/proton--proton-environment-{environment['lastAttemptedDeploymentId']}"
    eventually(gate.reached)
    cancelled = served_infra.client.cancel_environment_deployment(environmentName="dev")["environment"]
    assert cancelled["deploymentStatus"] == "CANCELLING"
    assert deployment_status(served_infra) == "CANCELLED"  # D-2: at once, the push still held at the remote
    gate.open()
    # The push lands, then the worker sees the cancel and deletes what it pushed.
    pushes = eventually(lambda: gate.pushes() if len(gate.pushes()) == 2 else None)
    assert [push[2] for push in pushes] == [branch, branch]
    (created_from, commit, _), (deleted_at, deleted_to, _) = pushes
    assert created_from == ZERO and commit != ZERO
    assert (deleted_at, deleted_to) == (commit, ZERO)
    assert remote.git("for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_a_deletion_whose_push_is_refused_ends_delete_failed(infra: Bundles, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    environment = self_managed_environment(infra, remote)
    created = environment["lastAttemptedDeploymentId"]
    eventually(lambda: remote.head(f"proton--proton-environment-{created}"))
    infra.client.notify_resource_deployment_status_change(resourceArn=ENV_ARN, deploymentId=created, status="SUCCEEDED")
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'deletions need review' >&2\nexit 1\n")
    hook.chmod(0o755)
    deleting = infra.client.delete_environment(name="dev")["environment"]
    assert deleting["deploymentStatus"] in ("DELETE_IN_PROGRESS", "DELETE_FAILED")
    eventually(lambda: deployment_status(infra) == "DELETE_FAILED")
    environment = infra.client.get_environment(name="dev")["environment"]
    assert environment["deploymentStatusMessage"] == REFUSED
    assert remote.head(f"proton--proton-environment-{deleting['lastAttemptedDeploymentId']}") == ""


def test_a_worker_killed_after_its_push_does_not_push_again(git_bundle_dir: Path, tmp_path: Path) -> None:
    """[decided] P-22: the commit is kept in the job before its push; the worker that resumes the job finds it on
    the branch and records it, rather than pushing a second commit made again."""
    database = f"sqlite:///{tmp_path}/state.sqlite3"
    flags = ("--bundle-dir", str(git_bundle_dir), *SELF_MANAGED, "--job-lease-seconds", "2")
    remote = Remote(tmp_path / "repository")
    gate = Gate(remote, "post-receive")  # after the refs are in: the push has landed, its answer not yet come
    first = ServerProcess(*flags, database=database)
    try:
        environment = self_managed_environment(Bundles(ServerWorld(first), git_bundle_dir), remote)
        deployment_id = environment["lastAttemptedDeploymentId"]
        branch = f"proton--proton-environment-{deployment_id}"
        eventually(gate.reached)
        pushed = remote.head(branch)
        assert pushed
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
    finally:
        first.stop()
    gate.open()
    second = ServerProcess(*flags, database=database)
    try:
        infra = Bundles(ServerWorld(second), git_bundle_dir)
        recorded = eventually(lambda: (infra.rendered(deployment_id) or {}).get("pushed"))
        assert recorded == {"key": "GITHUB:acme/infra", "branch": branch, "target": "main", "commit": pushed}
        assert remote.head(branch) == pushed
        assert len(gate.pushes()) == 1
        assert deployment_status(infra) == "IN_PROGRESS"  # waiting for the customer's automation, as before
    finally:
        second.stop()


def test_a_direct_push_that_loses_the_target_to_another_writer_is_made_again_on_it(
    infra: Bundles, tmp_path: Path
) -> None:
    remote = Remote(tmp_path)
    # Another writer's commit on main, sent ahead on a side branch so the remote has its objects.
    other = remote.work.commit({"docs/notes.md": "another writer\n"}, "another writer's change")
    remote.work.git("push", "-q", str(remote.path), f"{other}:refs/heads/side")
    moved = tmp_path / "moved"
    hook = remote.path / "hooks" / "pre-receive"
    # The first push finds main moved under it, as when another replica's push lands first. (A hook may not
    # update refs inside the push's quarantine; outside it, the update is the other writer's own.)
    hook.write_text(
        "#!/bin/sh\n"
        f'if [ ! -e "{moved}" ]; then\n'
        f'  : > "{moved}"\n'
        f"  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES"
        f" git update-ref refs/heads/main {other}\n"
        "fi\n"
    )
    hook.chmod(0o755)
    environment = self_managed_environment(infra, remote, mode="direct")
    branch = f"proton--proton-environment-{environment['lastAttemptedDeploymentId']}"
    tip = eventually(lambda: remote.head(branch))
    assert moved.exists()
    assert remote.head("main") == tip
    assert remote.git("rev-parse", f"{tip}^") == other  # made again on the other writer's commit
    assert remote.show(tip, "docs/notes.md") == "another writer"
    assert "dev/.proton/deployment-metadata.json" in remote.files(tip, "dev")


def test_a_worker_killed_before_its_push_landed_pushes_the_commit_it_stored(
    git_bundle_dir: Path, tmp_path: Path
) -> None:
    """P-10: the resumed job pushes its stored commit again, the very commit the first worker was pushing (the
    git cache that holds it outlives the server: `--sync-cache`; without one, the commit is made again)."""
    import sqlite3

    database_file = tmp_path / "state.sqlite3"
    flags = ("--bundle-dir", str(git_bundle_dir), *SELF_MANAGED, "--job-lease-seconds", "2")
    flags += ("--sync-cache", str(tmp_path / "git-cache"))
    remote = Remote(tmp_path / "repository")
    # The first push is held, then refused: it never lands (its worker is dead by then).
    gate = Gate(remote, "pre-receive", refuse_first=True)
    first = ServerProcess(*flags, database=f"sqlite:///{database_file}")
    try:
        environment = self_managed_environment(Bundles(ServerWorld(first), git_bundle_dir), remote)
        deployment_id = environment["lastAttemptedDeploymentId"]
        branch = f"proton--proton-environment-{deployment_id}"
        eventually(gate.reached)
        with sqlite3.connect(database_file) as db:
            (state,) = db.execute("SELECT state FROM provisioning_jobs").fetchone()
        stored = json.loads(state)["pushing"]["commit"]
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
    finally:
        first.stop()
    gate.open()
    eventually(lambda: len(gate.pushes()) == 1 and (remote.path.parent / "pre-receive.refused").exists())
    assert remote.head(branch) == ""
    second = ServerProcess(*flags, database=f"sqlite:///{database_file}")
    try:
        infra = Bundles(ServerWorld(second), git_bundle_dir)
        recorded = eventually(lambda: (infra.rendered(deployment_id) or {}).get("pushed"))
        assert recorded["commit"] == stored
        assert remote.head(branch) == stored
        assert [push[1] for push in gate.pushes()] == [stored, stored]  # the same commit, twice
    finally:
        second.stop()
