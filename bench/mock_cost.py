"""Per-test cost of entering and leaving mock_proton(), beside moto's mock_aws, in one run.

    .venv/bin/python bench/mock_cost.py [--rounds N]

"Per test" is what a suite pays for isolation: start a fresh mock, make the test's first call, stop. The
first call is included because state is created lazily (the first request opens the in-memory database);
the same call made inside an already-running mock is subtracted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3

from openproton import mock_proton

try:  # imported before any client exists, so moto's before-send hook is in the default session
    from moto import mock_aws
except ImportError:
    mock_aws = None

MISSING = "00000000-0000-4000-8000-000000000000"


def _timed(rounds: int, body: Callable[[], None]) -> list[float]:
    body()  # warm-up: imports, model loading, compiled checkers
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        body()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _per_test(rounds: int, mock: Callable[[], AbstractContextManager[object]], call: Callable[[], None]) -> dict:
    enter_exit = _timed(rounds, lambda: _enter_exit(mock))
    with_call = _timed(rounds, lambda: _enter_call_exit(mock, call))
    with mock():
        call_only = _timed(rounds, call)
    return {
        "enter+exit": statistics.median(enter_exit),
        "enter+first call+exit": statistics.median(with_call),
        "call alone": statistics.median(call_only),
        "per-test cost": statistics.median(with_call) - statistics.median(call_only),
    }


def _enter_exit(mock: Callable[[], AbstractContextManager[object]]) -> None:
    with mock():
        pass


def _enter_call_exit(mock: Callable[[], AbstractContextManager[object]], call: Callable[[], None]) -> None:
    with mock():
        call()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    proton = boto3.client("proton", region_name="us-east-1")

    def proton_call() -> None:
        with suppress(proton.exceptions.ResourceNotFoundException):
            proton.get_environment_account_connection(id=MISSING)

    rows = {"mock_proton": _per_test(args.rounds, mock_proton, proton_call)}
    if mock_aws is None:
        print("moto is not installed: pip install moto")
    else:
        secrets = boto3.client("secretsmanager", region_name="us-east-1")

        def moto_call() -> None:
            with suppress(secrets.exceptions.ResourceNotFoundException):
                secrets.describe_secret(SecretId="missing")

        rows["moto mock_aws"] = _per_test(args.rounds, mock_aws, moto_call)

    columns = ["enter+exit", "enter+first call+exit", "call alone", "per-test cost"]
    print(f"medians of {args.rounds} rounds, milliseconds")
    print("| mock | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    if "moto mock_aws" in rows:
        ratio = rows["mock_proton"]["per-test cost"] / rows["moto mock_aws"]["per-test cost"]
        print(f"\nmock_proton per-test cost / moto mock_aws per-test cost = {ratio:.3f}")


if __name__ == "__main__":
    main()
