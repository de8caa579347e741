"""Shared pieces of the benchmark suite: profiles, core pinning, processes, raw requests and statistics.

The suite only drives OpenProton from outside: the `openproton` command and the AWS API over HTTP (or
`mock_proton()` in a subprocess of its own).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

ENV_ACCOUNT = "111111111111"
MGMT_ACCOUNT = "222222222222"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-environment"
PROTON_TARGET = "AwsProton20200720."
SECRETS_TARGET = "secretsmanager."
SECRET_NAME = "openproton-bench-secret"


@dataclass(frozen=True)
class Profile:
    """How long and how often each figure is measured."""

    name: str
    rounds: int  # wrk rounds (server mode and scale)
    cheap_rounds: int  # sequential, in-process and start-up rounds
    wrk_seconds: int
    wrk_warmup_seconds: int
    connections: tuple[int, ...]
    seq_seconds: float  # per round, sequential boto3 over HTTP
    inprocess_seconds: float  # per round, in-process calls
    mock_iterations: int  # enter/leave iterations per round
    scale_sizes: tuple[int, ...]
    scale_wrk_seconds: int
    startup_rounds: int


FULL = Profile(
    name="full",
    rounds=3,
    cheap_rounds=5,
    wrk_seconds=10,
    wrk_warmup_seconds=2,
    connections=(16, 64),
    seq_seconds=3.0,
    inprocess_seconds=2.0,
    mock_iterations=200,
    scale_sizes=(100, 10_000, 1_000_000),
    scale_wrk_seconds=5,
    startup_rounds=5,
)

QUICK = Profile(
    name="quick",
    rounds=1,
    cheap_rounds=1,
    wrk_seconds=1,
    wrk_warmup_seconds=0,
    connections=(16, 64),
    seq_seconds=0.3,
    inprocess_seconds=0.3,
    mock_iterations=20,
    scale_sizes=(10, 100),
    scale_wrk_seconds=1,
    startup_rounds=1,
)


# -- statistics ----------------------------------------------------------------------------------------


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of a figure's rounds (the samples are kept for the JSON output)."""
    values = [float(v) for v in samples]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "samples": values}


def ratio(numerator: dict[str, Any] | None, denominator: dict[str, Any] | None) -> float | None:
    """Ratio of two figures' medians, or None when either is missing."""
    if not numerator or not denominator or not denominator.get("median"):
        return None
    return float(numerator["median"]) / float(denominator["median"])


# -- pinning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinning:
    """Servers on one core, the load generator and clients on another, where the machine allows it."""

    server_core: int | None
    client_core: int | None
    description: str

    @classmethod
    def detect(cls, enabled: bool = True) -> Pinning:
        if not enabled:
            return cls(None, None, "off (--no-pin)")
        if shutil.which("taskset") is None or not hasattr(os, "sched_getaffinity"):
            return cls(None, None, "off (taskset or sched_setaffinity unavailable)")
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            return cls(None, None, f"off (only core {cores} available)")
        return cls(
            cores[0],
            cores[1],
            f"servers on core {cores[0]} (taskset -c {cores[0]}), wrk and clients on core {cores[1]}",
        )

    def server_prefix(self) -> list[str]:
        return [] if self.server_core is None else ["taskset", "-c", str(self.server_core)]

    def client_prefix(self) -> list[str]:
        return [] if self.client_core is None else ["taskset", "-c", str(self.client_core)]

    def pin_this_process_to_client_core(self) -> None:
        """The runner itself (and every Python worker it starts) runs on the client core."""
        if self.client_core is not None:
            os.sched_setaffinity(0, {self.client_core})


# -- requests ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _authorization(account: str, service: str) -> str:
    # Signatures are not checked by OpenProton in its default mode, nor by moto; the shape is a real client's.
    return (
        f"AWS4-HMAC-SHA256 Credential={account}/20261125/{REGION}/{service}/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
    )


def proton_headers(operation: str, account: str = ENV_ACCOUNT) -> dict[str, str]:
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": PROTON_TARGET + operation,
        "X-Amz-Date": "20261125T000000Z",
        "Authorization": _authorization(account, "proton"),
    }


def secrets_headers(operation: str, account: str = ENV_ACCOUNT) -> dict[str, str]:
    return {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": SECRETS_TARGET + operation,
        "X-Amz-Date": "20261125T000000Z",
        "Authorization": _authorization(account, "secretsmanager"),
    }


def json_body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Request:
    """One HTTP request, sent once with http.client to check it and then many times by wrk."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def send(port: int, request: Request, timeout: float = 30.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_ok(label: str, port: int, request: Request) -> bytes:
    """A benchmark of error responses is worthless: the request must answer 200 before it is timed."""
    status, body = send(port, request)
    if status != 200:
        raise BenchError(f"{label}: the benchmark request answered HTTP {status}, not 200: {body[:500]!r}")
    return body


class BenchError(RuntimeError):
    """A measurement could not be taken (the run goes on; the report says why, and the run fails)."""


class Unavailable(BenchError):
    """A tool a figure needs is not installed or not reachable: the figure is skipped, and the run does not fail."""


# -- processes -----------------------------------------------------------------------------------------


def openproton_command() -> list[str]:
    script = Path(sys.executable).with_name("openproton")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openproton.cli"]


@dataclass
class Server:
    """A server subprocess on a port, started pinned to the server core, with its output in a log file."""

    label: str
    command: list[str]
    port: int
    health_path: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child owns it; closed below)
        try:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                cwd=ROOT,
                start_new_session=True,  # its own process group, so worker children can be cleaned up
            )
        finally:
            log.close()
        return self

    def wait_healthy(self, timeout: float = 60.0, interval: float = 0.002) -> float:
        """Poll the health path until it answers 200; seconds since the process was spawned."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        request = Request("GET", self.health_path, {}, b"")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} exited early (code {self.process.returncode}):\n{self.output()}")
            try:
                if send(self.port, request, timeout=5)[0] == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(interval)
        raise BenchError(f"{self.label} was not healthy within {timeout}s:\n{self.output()}")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def rss_kib(self) -> int:
        """VmRSS of the server process (for uvicorn with one worker, the process that answers)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise BenchError(f"no VmRSS for {self.label}")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # uvicorn's worker children (with --workers) leave with their supervisor; make sure of it.
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)


def run_worker(script: str, args: Sequence[str], timeout: float = 600.0) -> Any:
    """Run `python bench/<script> ARGS` (on the client core, inherited) and return the JSON it prints last."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ENV_ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        # Nothing from the user's AWS configuration may change what is measured.
        "AWS_CONFIG_FILE": "/nonexistent/openproton-bench",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/openproton-bench",
    }
    for name in list(env):
        if name in ("AWS_PROFILE", "AWS_SESSION_TOKEN") or name.startswith("AWS_ENDPOINT_URL"):
            del env[name]
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"{script} {' '.join(args)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if not lines:
        raise BenchError(f"{script} {' '.join(args)} printed nothing:\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1])


class Progress:
    """Progress lines, so that a person sees what runs: `[server 3/30] wrk 64 connections against moto ...`."""

    def __init__(self, section: str, total: int) -> None:
        self.section = section
        self.total = total
        self.done = 0

    def step(self, message: str) -> None:
        self.done += 1
        print(f"[{self.section} {self.done}/{self.total}] {message} ...", flush=True)

    def note(self, message: str) -> None:
        print(f"[{self.section}] {message}", flush=True)


def rate_samples(
    call: Callable[[], Any],
    *,
    seconds: float,
    rounds: int,
    calibration_calls: int = 200,
    before: Callable[[int], None] | None = None,
) -> list[float]:
    """Calls per second, one sample per round: a warm-up that also calibrates how many calls make `seconds`,
    then `rounds` timed runs of that many calls. `before(n)` prepares n calls outside the timing."""
    if before is not None:
        before(calibration_calls)
    start = time.perf_counter()
    for _ in range(calibration_calls):
        call()
    rate = calibration_calls / max(time.perf_counter() - start, 1e-9)
    count = max(50, int(rate * seconds))
    samples = []
    for _ in range(rounds):
        if before is not None:
            before(count)
        start = time.perf_counter()
        for _ in range(count):
            call()
        samples.append(count / (time.perf_counter() - start))
    return samples
