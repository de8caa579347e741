"""The `codebuild` provisioner (bundles-and-provisioning.md P-18 to P-20): the manifest's commands, run on this
host as CodeBuild would have run them for Proton.

Only an administrator turns it on (`--provisioners codebuild`, [decided] P-24). A private (0700) temporary
directory holds the rendered folder and is the working directory and HOME; the commands run in order in one
`bash -e` process of their own process group (a buildspec phase: state carries over, the first failure stops),
with temporary credentials of the resource's CodeBuild role and nothing of OpenProton's own environment beyond
PATH and LANG. The output is the deployment's log (the last 1 MiB).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets as random_tokens
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from openproton.store import Database
from openproton.store import bundles as render_store
from openproton.store import provisioning as job_store

from .provisioning import HANDED_OVER, Ending, Job, failed, succeeded
from .provisioning_roles import CODEBUILD, Roles

MAX_LOG_BYTES = 1 << 20  # [decided] P-20
MAX_LAST_LINE = 200
KILL_AFTER_SECONDS = 10  # [decided] P-20: SIGTERM, then SIGKILL this much later
CANCEL_POLL_SECONDS = 1.0  # how often a run looks for a cancel
TIMED_OUT, CANCELLED, INTERRUPTED = "timed out", "cancelled", "interrupted"
CANCELLED_LINE = "[openproton] the deployment was cancelled: the commands were stopped"
OUTPUTS_FILE = "proton-outputs.json"  # [doc]


class CodeBuild:
    cleans_up = False  # D-2: a cancel ends the deployment at once; a run under way is stopped (P-20)

    def __init__(
        self,
        database: Database,
        roles: Roles,
        *,
        timeout_seconds: float,
        callback_url: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.database = database
        self.roles = roles
        self.timeout_seconds = timeout_seconds
        self.callback_url = callback_url
        # Where `secrets_manager` names are read (the server's environment, never OPENPROTON_* settings).
        self.environ = dict(os.environ if environ is None else environ)

    def run(self, job: Job) -> Ending | None:
        from botocore.exceptions import BotoCoreError, ClientError

        d = job.deployment
        if job.state.get("started"):
            # [decided] P-10: commands are not run twice; a run a restart interrupted fails.
            return failed("Provisioning commands were interrupted by a restart")
        role = self.roles.role(job, CODEBUILD)  # [decided] P-18: its own or its connection's codebuildRoleArn
        refused = self.roles.refusal(job, role)
        if refused is not None or role is None:
            return failed(refused or "")
        secrets: dict[str, str] = {}
        for variable, name in (job.state.get("secrets") or {}).items():
            value = None if name.startswith("OPENPROTON_") else self.environ.get(name)
            if value is None:
                return failed(f"Secret {name} is not available to OpenProton")
            secrets[variable] = value
        try:
            credentials = self.roles.assume(job, role)
        except (ClientError, BotoCoreError):
            return failed(f"No role to provision {d['target_arn']} with")
        job.save(started=True)
        with tempfile.TemporaryDirectory(prefix="openproton-run-") as directory:
            os.chmod(directory, 0o700)
            workdir = Path(directory)
            for file in job.files:
                path = (workdir / file["path"]).resolve()
                if workdir.resolve() not in path.parents:
                    continue  # never written outside the directory (bundle paths are normalised already)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(file["content"], encoding="utf-8")
                if file["content"].startswith("#!"):
                    path.chmod(0o700)
            environment = {
                "PATH": self.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": self.environ.get("LANG", "C.UTF-8"),
                "HOME": directory,
                **credentials,
                **{k: str(v) for k, v in (job.state.get("variables") or {}).items()},
                **secrets,
                "RESOURCE_ARN": d["target_arn"],
                "AWS_REGION": d["region"],
                "AWS_DEFAULT_REGION": d["region"],
            }
            token = None
            if self.callback_url is not None:
                # [decided] P-19: 32 random bytes, valid while the run lasts, kept only as its digest.
                token = random_tokens.token_urlsafe(32)
                self._set_token(job.id, token_digest(token))
                environment["AWS_ENDPOINT_URL_PROTON"] = f"{self.callback_url}/_openproton/runs/{token}"
            script = "\n".join(job.state.get("commands") or []) + "\n"
            try:
                code, log, stopped = self._execute(script, workdir, environment, job)
            finally:
                if token is not None:
                    self._set_token(job.id, None)
            if stopped == INTERRUPTED:
                self._keep_log(job.id, log)
                return None
            if stopped == CANCELLED:
                # [decided] P-20: the deployment ended CANCELLED when the cancel came (D-2); the log says why the
                # commands stopped, and their outputs are not kept.
                self._keep_log(job.id, (log if not log or log.endswith("\n") else log + "\n") + CANCELLED_LINE + "\n")
                return HANDED_OVER
            self._keep_log(job.id, log)
            if stopped == TIMED_OUT:
                return failed(f"Provisioning commands timed out after {self.timeout_seconds:g} seconds")
            if code != 0:
                last = next((line for line in reversed(log.splitlines()) if line.strip()), "")[:MAX_LAST_LINE]
                return failed(f"Provisioning commands exited with code {code}: {last}")
            return succeeded(outputs=_outputs(workdir / OUTPUTS_FILE))

    def _execute(
        self, script: str, workdir: Path, environment: dict[str, str], job: Job
    ) -> tuple[int, str, str | None]:
        """Run the commands; (exit code, log, None or why they were stopped: TIMED_OUT or CANCELLED)."""
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(
                ["bash", "-e", "-c", script],
                cwd=workdir,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed whole on a timeout
            )
            deadline = time.monotonic() + self.timeout_seconds
            with job.waiting():  # [decided] P-10: other jobs go on while the commands run
                code, stopped = self._wait(process, deadline, job)
            size = output.seek(0, os.SEEK_END)
            output.seek(max(0, size - MAX_LOG_BYTES))
            log = output.read().decode("utf-8", "replace")
        return code, log, stopped

    def _wait(self, process: subprocess.Popen[bytes], deadline: float, job: Job) -> tuple[int, str | None]:
        """The commands' exit code once they end, or once stopped past the deadline or by a cancel, and why."""
        stopped: str | None = None
        while True:
            try:
                code = process.wait(max(0.0, min(CANCEL_POLL_SECONDS, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    stopped = TIMED_OUT
                elif job.cancel_requested():
                    stopped = CANCELLED  # [decided] P-20: stopped as a timeout stops them
                elif job.interrupted():
                    # The worker stops (or lost the lease): no commands left running past it; the next worker
                    # ends the run as interrupted ([decided] P-10).
                    stopped = INTERRUPTED
                else:
                    continue
            _signal(process, signal.SIGTERM)
            try:
                code = process.wait(KILL_AFTER_SECONDS)
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                code = process.wait()
            break
        return code, stopped

    def _set_token(self, deployment_id: str, digest: str | None) -> None:
        with self.database.transaction(write=True) as tx:
            job_store.set_run_token(tx, deployment_id, digest)

    def _keep_log(self, deployment_id: str, log: str) -> None:
        with self.database.transaction(write=True) as tx:
            render_store.set_log(tx, deployment_id, log)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signal(process: subprocess.Popen[bytes], which: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, which)


def _outputs(path: Path) -> list[dict[str, Any]] | None:
    """[doc] `proton-outputs.json`: `[{key, valueString}]` or a string mapping; anything else is ignored."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict):
        return [{"key": str(key), "valueString": str(value)} for key, value in data.items()]
    if isinstance(data, list) and all(isinstance(item, dict) and "key" in item for item in data):
        return [{"key": str(item["key"]), "valueString": str(item.get("valueString", ""))} for item in data]
    return None
