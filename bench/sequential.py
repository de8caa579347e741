"""2. Sequential boto3 over HTTP: calls per second from one Python process, one call after another.

The same boto3 GetEnvironmentAccountConnection against `openproton serve` (SQLite) and against the bare app
(which answers a valid, fixed body of the same size), and DescribeSecret against moto's server. Each round is
a fresh worker process on the client core; rounds are interleaved between the targets.

Run as a worker: python bench/sequential.py --service proton --endpoint URL --id ID --seconds S --rounds R
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ceiling_app import CONNECTION_ID
from common import ENV_ACCOUNT, REGION, SECRET_NAME, Profile, Progress, Unavailable, rate_samples, run_worker, summary
from servers import Fleet

TARGETS = ["openproton-sqlite", "moto", "ceiling"]


def run(fleet: Fleet, profile: Profile) -> dict[str, Any]:
    progress = Progress("sequential", len(TARGETS) * profile.cheap_rounds)
    problems: list[str] = []
    skipped: list[str] = []
    samples: dict[str, list[float]] = {}
    labels: dict[str, str] = {}
    for round_number in range(1, profile.cheap_rounds + 1):
        for key in TARGETS:
            progress.step(f"round {round_number}/{profile.cheap_rounds}: sequential boto3 against {key}")
            try:
                target = fleet.get(key)
                labels[key] = target.label
                service = "secretsmanager" if key == "moto" else "proton"
                args = ["--service", service, "--endpoint", target.server.endpoint]
                args += ["--id", target.connection_id or CONNECTION_ID]
                args += ["--seconds", str(profile.seq_seconds), "--rounds", "1"]
                result = run_worker("sequential.py", args)
            except Unavailable as error:
                skipped.append(f"sequential, {key}: {error}")
                progress.note(f"{key} skipped: {error}")
                continue
            except Exception as error:
                problems.append(f"sequential, {key}: {error}")
                progress.note(f"{key} not measured: {error}")
                continue
            samples.setdefault(key, []).extend(result["calls_per_second"])
    rows = [{"key": key, "label": labels[key], "calls_per_second": summary(values)} for key, values in samples.items()]
    return {"rows": rows, "problems": sorted(set(problems)), "skipped": sorted(set(skipped)), "warnings": []}


def _worker() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", choices=["proton", "secretsmanager"], required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--id", default="")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    import boto3

    client = boto3.session.Session().client(
        args.service,
        endpoint_url=args.endpoint,
        region_name=REGION,
        aws_access_key_id=ENV_ACCOUNT,
        aws_secret_access_key="bench",
    )
    if args.service == "proton":

        def call() -> None:
            client.get_environment_account_connection(id=args.id)
    else:

        def call() -> None:
            client.describe_secret(SecretId=SECRET_NAME)

    samples = rate_samples(call, seconds=args.seconds, rounds=args.rounds, calibration_calls=100)
    print(json.dumps({"calls_per_second": samples}))


if __name__ == "__main__":
    _worker()
