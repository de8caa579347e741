"""3. In-process: boto3 calls per second with no network, and the per-test cost of mock_proton().

    mock_proton      GetEnvironmentAccountConnection answered by `with mock_proton():`
    mock_aws         moto's `with mock_aws():` answering secretsmanager DescribeSecret
    floor            a bare botocore `before-send` hook returning a fixed response (the same body as OpenProton's
                     Get): everything boto3 does for a call (validation, serialization, signing, parsing), and
                     nothing else
    stubber          botocore's Stubber with responses queued beforehand (it answers before serialization and
                     signing, so it is cheaper than the floor; shown for reference)

Each kind runs in a fresh worker process of its own on the client core, importing only what it uses: moto
adds its hook to every botocore client at import, and importing openproton adds OpenProton's, so neither may
tax the others' figures.

The per-test cost (folded in from bench/mock_cost.py) is what a suite pays for isolation: enter a fresh mock,
make the test's first call, leave; minus the same call made inside an already-running mock. The first call is
included because state is created lazily. Enter+leave alone is reported too.

Run as a worker: python bench/inprocess.py KIND --seconds S --rounds R --iterations N --body-file F
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

from common import REGION, ROLE_ARN, SECRET_NAME, Profile, Progress, rate_samples, run_worker, summary
from servers import moto_available

KINDS = ["mock_proton", "mock_aws", "floor", "stubber"]
MISSING = "00000000-0000-4000-8000-000000000000"
LABELS = {
    "mock_proton": "mock_proton (GetEnvironmentAccountConnection)",
    "mock_aws": "moto mock_aws (DescribeSecret)",
    "floor": "bare before-send hook, fixed response (floor)",
    "stubber": "botocore Stubber, queued responses",
}
PER_TEST_LABELS = {"mock_proton": "mock_proton", "mock_aws": "moto mock_aws"}


def run(profile: Profile, body_file: Path | None, *, kinds: list[str] | None = None) -> dict[str, Any]:
    """Rounds are interleaved: each round runs every kind once, each in a fresh worker, so drift on the
    machine (a shared core slowing for a while) falls on all kinds alike instead of on whichever ran then."""
    kinds = kinds or KINDS
    progress = Progress("in-process", len(kinds) * profile.cheap_rounds)
    problems, skipped = [], []
    if "mock_aws" in kinds and not moto_available():
        skipped.append("in-process, mock_aws: moto is not installed: pip install -e '.[bench]'")
        kinds = [kind for kind in kinds if kind != "mock_aws"]
    rates: dict[str, list[float]] = {}
    per_test: dict[str, dict[str, list[float]]] = {}
    failed: set[str] = set()
    for round_number in range(1, profile.cheap_rounds + 1):
        for kind in kinds:
            progress.step(f"round {round_number}/{profile.cheap_rounds}: {LABELS[kind]}")
            if kind in failed:
                continue
            args = [kind, "--seconds", str(profile.inprocess_seconds), "--rounds", "1"]
            args += ["--iterations", str(profile.mock_iterations)]
            if body_file is not None:
                args += ["--body-file", str(body_file)]
            try:
                result = run_worker("inprocess.py", args)
            except Exception as error:
                problems.append(f"in-process, {kind}: {error}")
                progress.note(f"{kind} not measured: {error}")
                failed.add(kind)
                continue
            rates.setdefault(kind, []).extend(result["calls_per_second"])
            for name, values in result.get("per_test", {}).items():
                per_test.setdefault(kind, {}).setdefault(name, []).extend(values)
    rows = [
        {"key": kind, "label": LABELS[kind], "calls_per_second": summary(rates[kind])}
        for kind in kinds
        if kind in rates and kind not in failed
    ]
    costs = [
        {"key": kind, "label": PER_TEST_LABELS[kind], **{name: summary(v) for name, v in figures.items()}}
        for kind, figures in per_test.items()
        if kind not in failed
    ]
    return {"rows": rows, "per_test": costs, "problems": problems, "skipped": skipped, "warnings": []}


# -- per-test cost (was bench/mock_cost.py) ------------------------------------------------------------


def _median_ms(iterations: int, body: Callable[[], None]) -> float:
    body()  # warm-up: imports, model loading, compiled checkers
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        body()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def per_test_cost(
    mock: Callable[[], AbstractContextManager[object]], call: Callable[[], None], iterations: int
) -> dict[str, float]:
    """Medians over `iterations`, in milliseconds."""

    def enter_exit() -> None:
        with mock():
            pass

    def enter_call_exit() -> None:
        with mock():
            call()

    enter_exit_ms = _median_ms(iterations, enter_exit)
    with_call_ms = _median_ms(iterations, enter_call_exit)
    with mock():
        call_ms = _median_ms(iterations, call)
    return {
        "enter_exit_ms": enter_exit_ms,
        "enter_call_exit_ms": with_call_ms,
        "call_ms": call_ms,
        "per_test_ms": with_call_ms - call_ms,
    }


def per_test_rounds(
    mock: Callable[[], AbstractContextManager[object]], call: Callable[[], None], iterations: int, rounds: int
) -> dict[str, list[float]]:
    collected: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, value in per_test_cost(mock, call, iterations).items():
            collected.setdefault(name, []).append(value)
    return collected


# -- workers -------------------------------------------------------------------------------------------


def _fixed_body(body_file: str | None) -> bytes:
    if body_file:
        return Path(body_file).read_bytes()
    from ceiling_app import DEFAULT_BODY

    return DEFAULT_BODY


def _mock_proton(args: argparse.Namespace) -> dict[str, Any]:
    import boto3

    from openproton import mock_proton

    client = boto3.client("proton", region_name=REGION)
    samples: list[float] = []
    with mock_proton():
        created = client.create_environment_account_connection(
            environmentName="bench", managementAccountId="222222222222", roleArn=ROLE_ARN
        )
        connection_id = created["environmentAccountConnection"]["id"]
        if not args.per_test_only:
            samples = rate_samples(
                lambda: client.get_environment_account_connection(id=connection_id),
                seconds=args.seconds,
                rounds=args.rounds,
            )

    def first_call() -> None:
        with suppress(client.exceptions.ResourceNotFoundException):
            client.get_environment_account_connection(id=MISSING)

    per_test = per_test_rounds(mock_proton, first_call, args.iterations, args.rounds)
    return {"calls_per_second": samples, "per_test": per_test}


def _mock_aws(args: argparse.Namespace) -> dict[str, Any]:
    # Imported before any client or session exists: moto's hook joins botocore's built-in handlers on import.
    import boto3
    from moto import mock_aws

    client = boto3.client("secretsmanager", region_name=REGION)
    samples: list[float] = []
    with mock_aws():
        client.create_secret(Name=SECRET_NAME, SecretString="bench")
        if not args.per_test_only:
            samples = rate_samples(
                lambda: client.describe_secret(SecretId=SECRET_NAME), seconds=args.seconds, rounds=args.rounds
            )

    def first_call() -> None:
        with suppress(client.exceptions.ResourceNotFoundException):
            client.describe_secret(SecretId="missing")

    per_test = per_test_rounds(mock_aws, first_call, args.iterations, args.rounds)
    return {"calls_per_second": samples, "per_test": per_test}


class _Raw:
    """The `raw` object botocore's AWSResponse reads its content from."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kwargs: Any) -> Any:
        yield self.data


def _floor(args: argparse.Namespace) -> dict[str, Any]:
    import boto3
    from botocore.awsrequest import AWSResponse

    body = _fixed_body(args.body_file)
    connection_id = json.loads(body)["environmentAccountConnection"]["id"]
    headers = {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
        "date": "Wed, 25 Nov 2026 00:00:00 GMT",
    }

    def before_send(request: Any, **_kwargs: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, dict(headers), _Raw(body))

    client = boto3.client("proton", region_name=REGION)
    client.meta.events.register("before-send", before_send)
    parsed = client.get_environment_account_connection(id=connection_id)["environmentAccountConnection"]
    if parsed["id"] != connection_id:
        raise AssertionError("the floor's fixed response did not parse")
    samples = rate_samples(
        lambda: client.get_environment_account_connection(id=connection_id), seconds=args.seconds, rounds=args.rounds
    )
    return {"calls_per_second": samples}


def _stubber(args: argparse.Namespace) -> dict[str, Any]:
    import boto3
    from botocore.stub import Stubber

    connection = json.loads(_fixed_body(args.body_file))["environmentAccountConnection"]
    for name in ("requestedAt", "lastModifiedAt"):
        connection[name] = dt.datetime.fromtimestamp(connection[name], dt.UTC)
    response = {"environmentAccountConnection": connection}
    expected = {"id": connection["id"]}

    client = boto3.client("proton", region_name=REGION)
    stubber = Stubber(client)
    stubber.activate()

    def queue(count: int) -> None:
        for _ in range(count):
            stubber.add_response("get_environment_account_connection", response, expected)

    samples = rate_samples(
        lambda: client.get_environment_account_connection(id=connection["id"]),
        seconds=args.seconds,
        rounds=args.rounds,
        before=queue,
    )
    stubber.assert_no_pending_responses()
    return {"calls_per_second": samples}


def _worker() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--body-file")
    parser.add_argument("--per-test-only", action="store_true", help="mock_proton, mock_aws: only the per-test cost")
    args = parser.parse_args()
    worker = {"mock_proton": _mock_proton, "mock_aws": _mock_aws, "floor": _floor, "stubber": _stubber}[args.kind]
    print(json.dumps(worker(args)))


if __name__ == "__main__":
    _worker()
