"""4. Scale: Get and the first page of List with 10^2, 10^4 and 10^6 connections in one account; resident memory;
the same sizes of service instances (bench/instance_scale.py); start-up time.

Seeding 10^6 connections through the API would take hours, so each size gets its own SQLite file, migrated by
`openproton migrate` and then filled with plain SQL (one environment account, one management account, distinct
environment names, PENDING and CONNECTED alternating, requestedAt increasing by one millisecond). A server is
started on the file, pinned like the others, and wrk sends one request at a time (one connection), so the p50
is the latency of a request on an idle server: Get rotates over up to 1,000 ids spread over the whole table,
List asks for the first page of the environment account's connections (requestedBy ENVIRONMENT_ACCOUNT, default
maxResults, so 100 items). Resident memory is the server process's VmRSS after each round of that load.

Start-up is the time from spawning the process to its first 200: `openproton serve` on a fresh SQLite file
(which it creates and migrates), on an already-migrated file, and a bare uvicorn app (the ceiling app) polled
with GET /.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import instance_scale
import wrk
from common import (
    ENV_ACCOUNT,
    MGMT_ACCOUNT,
    REGION,
    ROLE_ARN,
    BenchError,
    Pinning,
    Profile,
    Progress,
    Unavailable,
    check_ok,
    openproton_command,
    summary,
)
from servers import get_request, list_request, start_ceiling, start_openproton

SAMPLE_IDS = 1000
FIRST_REQUESTED_AT_MS = 1_790_000_000_000

_INSERT = (
    "INSERT INTO environment_account_connections (id, region, environment_account_id, management_account_id, "
    "environment_name, role_arn, codebuild_role_arn, component_role_arn, status, requested_at, last_modified_at, "
    "deleted_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, NULL)"
)


def migrate(path: Path) -> None:
    completed = subprocess.run(
        [*openproton_command(), "migrate", "--database", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"openproton migrate failed: {completed.stderr or completed.stdout}")


def seed(path: Path, count: int) -> list[str]:
    """Migrate a new SQLite file and insert `count` connections; returns up to 1,000 of their ids."""
    migrate(path)
    rng = random.Random(count)
    wanted = set(rng.sample(range(count), min(SAMPLE_IDS, count)))
    sample: list[str] = []

    def rows() -> Any:
        for i in range(count):
            connection_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if i in wanted:
                sample.append(connection_id)
            at = FIRST_REQUESTED_AT_MS + i
            status = "CONNECTED" if i % 2 else "PENDING"
            yield (connection_id, REGION, ENV_ACCOUNT, MGMT_ACCOUNT, f"env-{i:07d}", ROLE_ARN, status, at, at)

    database = sqlite3.connect(path, isolation_level=None)
    try:
        database.execute("PRAGMA synchronous=OFF")
        database.execute("PRAGMA cache_size=-262144")  # 256 MiB while seeding; the server sets its own
        database.execute("BEGIN")
        database.executemany(_INSERT, rows())
        database.execute("COMMIT")
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.close()
    rng.shuffle(sample)
    return sample


def _size_label(count: int) -> str:
    exponent = len(str(count)) - 1
    return f"10^{exponent}" if count == 10**exponent else f"{count:,}"


def run(profile: Profile, pinning: Pinning, directory: Path, body_file: Path | None) -> dict[str, Any]:
    problems: list[str] = []
    skipped: list[str] = []
    sizes: list[dict[str, Any]] = []
    instance_sizes: list[dict[str, Any]] = []
    if wrk.available():
        for count in profile.scale_sizes:
            try:
                sizes.append(_one_size(count, profile, pinning, directory / f"size-{count}"))
            except Unavailable as error:
                skipped.append(f"scale, {_size_label(count)} connections: {error}")
            except Exception as error:
                problems.append(f"scale, {_size_label(count)} connections: {error}")
                print(f"[scale] {_size_label(count)} not measured: {error}", flush=True)
        for count in profile.scale_sizes:
            label = _size_label(count)
            try:
                instance_sizes.append(
                    instance_scale.one_size(count, label, profile, pinning, directory / f"instances-{count}")
                )
            except Exception as error:
                problems.append(f"scale, {label} service instances: {error}")
                print(f"[scale] {label} instances not measured: {error}", flush=True)
    else:
        skipped.append("scale: Get and List latencies need wrk, which is not installed")
    startup = _startup(profile, pinning, directory / "startup", body_file, problems)
    return {
        "sizes": sizes,
        "instance_sizes": instance_sizes,
        "startup": startup,
        "problems": problems,
        "skipped": skipped,
        "warnings": [],
    }


def _one_size(count: int, profile: Profile, pinning: Pinning, directory: Path) -> dict[str, Any]:
    label = _size_label(count)
    progress = Progress(f"scale {label}", 3 + 2 * profile.rounds + (2 if profile.wrk_warmup_seconds else 0))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "state.sqlite3"
    progress.step(f"seed {count:,} connections into {path}")
    started = time.perf_counter()
    ids = seed(path, count)
    seed_seconds = time.perf_counter() - started
    file_bytes = sum(p.stat().st_size for p in directory.glob("state.sqlite3*"))

    progress.step(f"start openproton serve on {label} connections and check Get and List")
    server = start_openproton(f"OpenProton on {label} connections", directory, pinning, database=f"sqlite:///{path}")
    try:
        healthy_seconds = server.wait_healthy(timeout=300)
        get = get_request(ids[0])
        check_ok(server.label, server.port, get)
        for connection_id in ids[:20]:
            check_ok(server.label, server.port, get_request(connection_id))
        listed = json.loads(check_ok(server.label, server.port, list_request()))
        items = listed["environmentAccountConnections"]
        if len(items) != min(100, count):
            raise BenchError(f"the first List page has {len(items)} items for {count} connections")
        get_script = wrk.write_script(
            directory / "get.lua", get, bodies=[get_request(i).body for i in ids[:SAMPLE_IDS]]
        )
        list_script = wrk.write_script(directory / "list.lua", list_request())
        figures = wrk.idle_rounds(
            server.endpoint + "/",
            {"get": ("Get", get_script), "list": ("first List page", list_script)},
            profile=profile,
            pinning=pinning,
            progress=progress,
            rss_kib=server.rss_kib,
            where=f"{label} connections",
        )
    finally:
        progress.step(f"stop the server on {label} connections")
        server.stop()
    return {
        "size": count,
        "label": label,
        "seed_seconds": seed_seconds,
        "file_mib": file_bytes / 2**20,
        "healthy_seconds": healthy_seconds,
        **figures,
    }


def _startup(
    profile: Profile, pinning: Pinning, directory: Path, body_file: Path | None, problems: list[str]
) -> list[dict[str, Any]]:
    kinds = {
        "openproton-fresh": "openproton serve, new SQLite file (creates and migrates it)",
        "openproton-migrated": "openproton serve, already-migrated SQLite file",
        "ceiling": "bare uvicorn app (ceiling_app), GET /",
    }
    progress = Progress("start-up", profile.startup_rounds * len(kinds))
    samples: dict[str, list[float]] = {}
    for round_number in range(1, profile.startup_rounds + 1):
        for key, label in kinds.items():
            progress.step(f"round {round_number}/{profile.startup_rounds}: time to healthy, {label}")
            where = directory / f"{key}-{round_number}"
            where.mkdir(parents=True, exist_ok=True)
            try:
                if key == "ceiling":
                    server = start_ceiling(label, where, pinning, body_file)
                else:
                    if key == "openproton-migrated":
                        migrate(where / "state.sqlite3")
                    server = start_openproton(label, where, pinning)
                try:
                    samples.setdefault(key, []).append(server.wait_healthy())
                finally:
                    server.stop()
            except Exception as error:
                problems.append(f"start-up of {label}: {error}")
    return [{"key": key, "label": kinds[key], "seconds": summary(values)} for key, values in samples.items()]
