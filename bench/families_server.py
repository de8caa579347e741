"""5. Families in server mode: GetService, GetServiceInstance and GetComponent under wrk, beside the connection's
Get on the same server.

One `openproton serve` (SQLite, pinned like every server) is given, through boto3 over HTTP, the account that
bench/families.py builds in process: 5 services of 20 instances each (the per-service quota) in environment
`dev`, each with a pipeline, and a component attached to svc-2-i10; then the writes that store their endings
(the steady state of an account once anything has written to its services), which the run checks in the
server's own file before timing anything. wrk sends each Get at 16 connections, the four Gets in turn within a
round, so drift on the machine falls on all of them alike. Ratios are of each Get's median throughput to the
median of the connection's Get: what the newer families' wider rows and shapes cost on the server path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import families
import wrk
from common import (
    MGMT_ACCOUNT,
    ROLE_ARN,
    BenchError,
    Pinning,
    Profile,
    Progress,
    Request,
    check_ok,
    json_body,
    proton_headers,
    summary,
)
from servers import boto3_client, start_openproton

CONNECTIONS = 16
BASE = "GetEnvironmentAccountConnection"
# The Get each family's row in the Targets table compares with BASE, and the resource it reads.
GETS: dict[str, dict[str, str]] = {
    "GetService": {"name": "svc-2"},
    "GetServiceInstance": {"serviceName": "svc-2", "name": "svc-2-i10"},
    "GetComponent": {"name": "queue"},
}


def _build_account(endpoint: str) -> str:
    """The account of bench/families.py, through the API; returns the connection's id."""
    env, mgmt = boto3_client("proton", endpoint), boto3_client("proton", endpoint, MGMT_ACCOUNT)
    connection = env.create_environment_account_connection(
        managementAccountId=MGMT_ACCOUNT, environmentName="dev", roleArn=ROLE_ARN
    )["environmentAccountConnection"]["id"]
    families.environment(mgmt, families.SOURCE)
    families.services(mgmt, families.SOURCE)
    return str(connection)


def _check_settled(path: Path) -> None:
    from openproton.store import Database

    database = Database.from_url(f"sqlite:///{path}")
    try:
        families.settled(database)
    except AssertionError as error:
        raise BenchError(f"the families' account is not in its steady state: {error}") from error
    finally:
        database.dispose()


def run(profile: Profile, pinning: Pinning, directory: Path) -> dict[str, Any]:
    if not wrk.available():
        return {"rows": [], "problems": [], "skipped": ["families in server mode: wrk is not installed"]}
    directory.mkdir(parents=True, exist_ok=True)
    steps = 2 + (len(GETS) + 1) * (profile.rounds + (1 if profile.wrk_warmup_seconds else 0))
    progress = Progress("families", steps)
    progress.step("start openproton serve and build the families' account through boto3")
    path = directory / "state.sqlite3"
    server = start_openproton("OpenProton (SQLite), families", directory, pinning, database=f"sqlite:///{path}")
    problems: list[str] = []
    runs: dict[str, list[wrk.WrkResult]] = {}
    sizes: dict[str, int] = {}
    try:
        server.wait_healthy()
        connection = _build_account(server.endpoint)
        _check_settled(path)
        progress.step("check that every Get answers 200")
        requests = {BASE: {"id": connection}, **GETS}
        scripts: dict[str, Path] = {}
        for operation, params in requests.items():
            request = Request("POST", "/", proton_headers(operation, MGMT_ACCOUNT), json_body(params))
            sizes[operation] = len(check_ok(f"{server.label}, {operation}", server.port, request))
            scripts[operation] = wrk.write_script(directory / f"{operation}.lua", request)
        url = server.endpoint + "/"
        if profile.wrk_warmup_seconds:
            for operation, script in scripts.items():
                progress.step(f"warm-up: wrk {profile.wrk_warmup_seconds}s, {operation}")
                wrk.run(url, script, connections=CONNECTIONS, seconds=profile.wrk_warmup_seconds, pinning=pinning)
        for round_number in range(1, profile.rounds + 1):
            for operation, script in scripts.items():
                progress.step(f"round {round_number}/{profile.rounds}: wrk {CONNECTIONS} connections, {operation}")
                result = wrk.run(url, script, connections=CONNECTIONS, seconds=profile.wrk_seconds, pinning=pinning)
                if result.non_2xx or result.socket_errors:
                    problems.append(f"families, {operation}: {result.non_2xx + result.socket_errors} errors under load")
                runs.setdefault(operation, []).append(result)
    except Exception as error:
        problems.append(f"families in server mode: {error}")
    finally:
        server.stop()
    rows = [
        {
            "key": operation,
            "label": operation,
            "connections": CONNECTIONS,
            "requests_per_second": summary([r.requests_per_second for r in results]),
            "p50_ms": summary([r.p50_ms for r in results]),
            "response_bytes": sizes[operation],
            "runs": [r.as_dict() for r in results],
        }
        for operation, results in runs.items()
    ]
    return {"rows": rows, "problems": problems, "skipped": [], "warnings": []}
