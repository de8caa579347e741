"""4b. Scale of service instances: the first page of ListServiceInstances with 10^2, 10^4 and 10^6 instances in
one account, and resident memory.

Creating 10^6 instances through the API would take hours (and the quotas stop at 20 per service), so each size
gets its own SQLite file: `openproton serve` is given, through boto3, an environment and one service of one
instance (templates published, no pipeline), and a description-only UpdateService stores the endings of its
deployments; the server stops, and plain SQL copies that service's row and its instance's row into services
of 20 instances each (svc-0000000 ... with instances svc-0000000-i00 ...), every copy a settled one. The copies
keep the original service's spec text (which names its one instance) and share its deployments' ids: neither
is read by the list. A server then starts on the file and wrk sends, on one connection (so the p50 is an idle
server's latency), ListServiceInstances with no filter and the default maxResults, whose first page is 100
items in (serviceName, name) order. Resident memory is the server's VmRSS after each round.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import families
import wrk
from common import (
    MGMT_ACCOUNT,
    BenchError,
    Pinning,
    Profile,
    Progress,
    Request,
    check_ok,
    json_body,
    proton_headers,
)
from servers import boto3_client, start_openproton

PER_SERVICE = 20  # the default quota of instances per service
PAGE = 100  # ListServiceInstances' default maxResults


def list_request() -> Request:
    return Request("POST", "/", proton_headers("ListServiceInstances", MGMT_ACCOUNT), json_body({}))


def _build_one_service(endpoint: str) -> None:
    mgmt = boto3_client("proton", endpoint, MGMT_ACCOUNT)
    source = families.SOURCE
    families.environment(mgmt, source)
    mgmt.create_service_template(name="web", pipelineProvisioning="CUSTOMER_MANAGED")
    mgmt.create_service_template_version(
        templateName="web", source=source, compatibleEnvironmentTemplates=[{"templateName": "vpc", "majorVersion": "1"}]
    )
    mgmt.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    spec = "proton: ServiceSpec\ninstances:\n  - name: original\n    environment: dev\n    spec: {}\n"
    mgmt.create_service(name="original", templateName="web", templateMajorVersion="1", spec=spec)
    mgmt.update_service(name="original", description="settled")  # stores the endings of its deployments


def _copy(database: sqlite3.Connection, table: str, where: str) -> tuple[list[str], tuple[Any, ...]]:
    cursor = database.execute(f"SELECT * FROM {table} WHERE {where}")
    row = cursor.fetchone()
    if row is None or cursor.fetchone() is not None:
        raise BenchError(f"expected exactly one row in {table} where {where}")
    return [column[0] for column in cursor.description], row


def _fill(path: Path, count: int) -> None:
    """Replace the one service and instance by `count` settled instances in services of PER_SERVICE."""
    database = sqlite3.connect(path, isolation_level=None)
    try:
        service_columns, service = _copy(database, "services", "name = 'original'")
        instance_columns, instance = _copy(database, "service_instances", "service_name = 'original'")
        status = instance[instance_columns.index("deployment_status")]
        if status != "SUCCEEDED":
            raise BenchError(f"the original instance is {status}, not settled")
        service_name = service_columns.index("name")
        of_service, name = instance_columns.index("service_name"), instance_columns.index("name")
        services = -(-count // PER_SERVICE)

        def services_rows() -> Iterator[tuple[Any, ...]]:
            for number in range(services):
                row = list(service)
                row[service_name] = f"svc-{number:07d}"
                yield tuple(row)

        def instance_rows() -> Iterator[tuple[Any, ...]]:
            for index in range(count):
                row = list(instance)
                row[of_service] = f"svc-{index // PER_SERVICE:07d}"
                row[name] = f"svc-{index // PER_SERVICE:07d}-i{index % PER_SERVICE:02d}"
                yield tuple(row)

        def insert(table: str, columns: list[str]) -> str:
            return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"

        database.execute("PRAGMA synchronous=OFF")
        database.execute("PRAGMA cache_size=-262144")  # 256 MiB while seeding; the server sets its own
        database.execute("BEGIN")
        database.execute("DELETE FROM service_instances WHERE service_name = 'original'")
        database.execute("DELETE FROM services WHERE name = 'original'")
        database.executemany(insert("services", service_columns), services_rows())
        database.executemany(insert("service_instances", instance_columns), instance_rows())
        database.execute("COMMIT")
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.close()


def seed(path: Path, count: int, pinning: Pinning) -> None:
    server = start_openproton("OpenProton, seeding one service", path.parent, pinning, database=f"sqlite:///{path}")
    try:
        server.wait_healthy()
        _build_one_service(server.endpoint)
    finally:
        server.stop()
    _fill(path, count)


def one_size(count: int, label: str, profile: Profile, pinning: Pinning, directory: Path) -> dict[str, Any]:
    progress = Progress(f"instances {label}", 3 + profile.rounds + (1 if profile.wrk_warmup_seconds else 0))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "state.sqlite3"
    progress.step(f"seed {count:,} service instances into {path}")
    started = time.perf_counter()
    seed(path, count, pinning)
    seed_seconds = time.perf_counter() - started
    file_bytes = sum(p.stat().st_size for p in directory.glob("state.sqlite3*"))

    progress.step(f"start openproton serve on {label} instances and check the first page")
    server = start_openproton(f"OpenProton on {label} instances", directory, pinning, database=f"sqlite:///{path}")
    try:
        healthy_seconds = server.wait_healthy(timeout=300)
        request = list_request()
        listed = json.loads(check_ok(server.label, server.port, request))
        names = [item["name"] for item in listed["serviceInstances"]]
        expected = [f"svc-{i // PER_SERVICE:07d}-i{i % PER_SERVICE:02d}" for i in range(min(PAGE, count))]
        if names != expected or ("nextToken" in listed) != (count > PAGE):
            raise BenchError(f"the first page of {count} instances is not the first {PAGE} in order: {names[:3]}...")
        script = wrk.write_script(directory / "list.lua", request)
        figures = wrk.idle_rounds(
            server.endpoint + "/",
            {"list": ("first page", script)},
            profile=profile,
            pinning=pinning,
            progress=progress,
            rss_kib=server.rss_kib,
            where=f"{label} instances",
        )
    finally:
        progress.step(f"stop the server on {label} instances")
        server.stop()
    return {
        "size": count,
        "label": label,
        "seed_seconds": seed_seconds,
        "file_mib": file_bytes / 2**20,
        "healthy_seconds": healthy_seconds,
        **figures,
    }
