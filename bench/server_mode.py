"""1. Server mode: throughput, p50 and p99 of one request under wrk, at 16 and 64 connections.

GetEnvironmentAccountConnection against `openproton serve` (SQLite; PostgreSQL; SQLite with --workers 2),
DescribeSecret against moto's server (also AWS JSON 1.1, POST with X-Amz-Target), and the same Get against a
bare uvicorn app answering a fixed body of the same size (the ceiling). Rounds are interleaved: every target
is measured once per round, so drift on the machine falls on all of them alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import wrk
from common import Pinning, Profile, Progress, Unavailable, summary
from servers import Fleet

TARGETS = ["openproton-sqlite", "openproton-postgres", "openproton-workers2", "moto", "ceiling"]


def run(fleet: Fleet, profile: Profile, pinning: Pinning, directory: Path) -> dict[str, Any]:
    if not wrk.available():
        print("[server] skipped: wrk is not installed (apt-get install wrk)", flush=True)
        return {"rows": [], "problems": [], "skipped": ["server mode: wrk is not installed"], "warnings": []}
    directory.mkdir(parents=True, exist_ok=True)
    progress = Progress("server", len(TARGETS))
    problems: list[str] = []
    skipped: list[str] = []
    warnings: list[str] = []
    scripts: dict[str, Path] = {}
    labels: dict[str, str] = {}
    for key in TARGETS:
        progress.step(f"start and check {key}")
        try:
            target = fleet.get(key)
        except Unavailable as error:
            skipped.append(f"server mode, {key}: {error}")
            progress.note(f"{key} skipped: {error}")
            continue
        except Exception as error:
            problems.append(f"server mode, {key}: {error}")
            progress.note(f"{key} not measured: {error}")
            continue
        scripts[key] = wrk.write_script(directory / f"{key}.lua", target.request)
        labels[key] = target.label

    warmups = len(scripts) if profile.wrk_warmup_seconds else 0
    progress.total += warmups + profile.rounds * len(profile.connections) * len(scripts)
    if profile.wrk_warmup_seconds:
        for key, script in scripts.items():
            progress.step(f"warm-up: wrk {profile.wrk_warmup_seconds}s against {labels[key]}")
            url = fleet.get(key).server.endpoint + "/"
            wrk.run(url, script, connections=16, seconds=profile.wrk_warmup_seconds, pinning=pinning)

    runs: dict[tuple[str, int], list[wrk.WrkResult]] = {}
    for round_number in range(1, profile.rounds + 1):
        for connections in profile.connections:
            for key, script in scripts.items():
                progress.step(
                    f"round {round_number}/{profile.rounds}: wrk {connections} connections against {labels[key]}"
                )
                url = fleet.get(key).server.endpoint + "/"
                try:
                    result = wrk.run(url, script, connections=connections, seconds=profile.wrk_seconds, pinning=pinning)
                except Exception as error:
                    problems.append(f"server mode, {key} at {connections} connections: {error}")
                    continue
                runs.setdefault((key, connections), []).append(result)

    rows = []
    for connections in profile.connections:
        for key in scripts:
            results = runs.get((key, connections))
            if not results:
                continue
            non_2xx = sum(r.non_2xx for r in results)
            socket_errors = sum(r.socket_errors for r in results)
            if non_2xx:
                warnings.append(f"{labels[key]} at {connections} connections: {non_2xx} non-2xx responses under load")
            if socket_errors:
                warnings.append(f"{labels[key]} at {connections} connections: {socket_errors} wrk socket errors")
            rows.append(
                {
                    "key": key,
                    "label": labels[key],
                    "connections": connections,
                    "requests_per_second": summary([r.requests_per_second for r in results]),
                    "p50_ms": summary([r.p50_ms for r in results]),
                    "p99_ms": summary([r.p99_ms for r in results]),
                    "requests": sum(r.requests for r in results),
                    "non_2xx": non_2xx,
                    "socket_errors": socket_errors,
                    "runs": [r.as_dict() for r in results],
                }
            )
    sizes = {key: len(fleet.targets[key].response) for key in scripts if key in fleet.targets}
    return {"rows": rows, "problems": problems, "skipped": skipped, "warnings": warnings, "response_bytes": sizes}
