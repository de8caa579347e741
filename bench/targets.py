"""The Targets table: issue 18's targets, each measured from one run's results (None when it was not run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common import ratio

# A target's measurement: (measured value, how it was measured) from one run's results, or None.
Measure = Callable[[dict[str, Any]], tuple[float, str] | None]


@dataclass(frozen=True)
class Target:
    label: str
    required: str
    measure: Measure
    met: Callable[[float], bool]


def server_row(results: dict[str, Any], key: str, connections: int) -> dict[str, Any] | None:
    for row in results.get("server", {}).get("rows", []):
        if row["key"] == key and row["connections"] == connections:
            return row
    return None


def _rows_ratio(
    ours: dict[str, Any] | None, theirs: dict[str, Any] | None, figure: str, unit: str
) -> tuple[float, str] | None:
    """One row's figure over another's (medians), and the two figures it came from; None if either is missing."""
    if ours is None or theirs is None:
        return None
    value = ratio(ours[figure], theirs[figure])
    a, b = ours[figure]["median"], theirs[figure]["median"]
    return (value, f"{a:,.0f} / {b:,.0f} {unit}") if value is not None else None


def _server_ratio(over: str, connections: int, ours_key: str = "openproton-sqlite") -> Measure:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        ours, theirs = server_row(results, ours_key, connections), server_row(results, over, connections)
        return _rows_ratio(ours, theirs, "requests_per_second", "req/s")

    return measure


def section_row(results: dict[str, Any], section: str, key: str, table: str = "rows") -> dict[str, Any] | None:
    return next((row for row in results.get(section, {}).get(table, []) if row["key"] == key), None)


def _rate_ratio(section: str, ours: str, over: str, figure: str = "calls_per_second", unit: str = "calls/s") -> Measure:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        return _rows_ratio(section_row(results, section, ours), section_row(results, section, over), figure, unit)

    return measure


def _per_test(results: dict[str, Any]) -> tuple[float, str] | None:
    row = section_row(results, "inprocess", "mock_proton", "per_test")
    if row is None:
        return None
    return row["per_test_ms"]["median"], f"{row['per_test_ms']['median']:.3f} ms"


def _per_test_over_moto(results: dict[str, Any]) -> tuple[float, str] | None:
    ours = section_row(results, "inprocess", "mock_proton", "per_test")
    moto = section_row(results, "inprocess", "mock_aws", "per_test")
    if ours is None or moto is None:
        return None
    value = ratio(ours["per_test_ms"], moto["per_test_ms"])
    text = f"{ours['per_test_ms']['median']:.3f} ms / {moto['per_test_ms']['median']:.3f} ms"
    return (value, text) if value is not None else None


def _largest_over_smallest(sizes: list[dict[str, Any]], figure: str, unit: str) -> tuple[float, str] | None:
    if len(sizes) < 2:
        return None
    small, large = min(sizes, key=lambda s: s["size"]), max(sizes, key=lambda s: s["size"])
    value = ratio(large[figure], small[figure])
    if value is None:
        return None
    a, b = large[figure]["median"], small[figure]["median"]
    return value, f"{a:.3g} {unit} at {large['label']} / {b:.3g} {unit} at {small['label']}"


def _scale_ratio(figure: str, unit: str, table: str = "sizes") -> Measure:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        return _largest_over_smallest(results.get("scale", {}).get(table, []), figure, unit)

    return measure


def _startup(results: dict[str, Any]) -> tuple[float, str] | None:
    ours, bare = (
        section_row(results, "scale", "openproton-fresh", "startup"),
        section_row(results, "scale", "ceiling", "startup"),
    )
    if ours is None or bare is None:
        return None
    value = ratio(ours["seconds"], bare["seconds"])
    text = f"{ours['seconds']['median']:.2f} s / {bare['seconds']['median']:.2f} s"
    return (value, text) if value is not None else None


TARGETS = [
    *(
        Target(
            f"Server Get throughput, {connections} connections: OpenProton (SQLite) / bare uvicorn",
            ">= 0.35",
            _server_ratio("ceiling", connections),
            lambda v: v >= 0.35,
        )
        for connections in (16, 64)
    ),
    *(
        Target(
            f"Server Get throughput, {connections} connections: OpenProton (PostgreSQL) / bare uvicorn",
            ">= 0.20",
            _server_ratio("ceiling", connections, "openproton-postgres"),
            lambda v: v >= 0.20,
        )
        for connections in (16, 64)
    ),
    *(
        Target(
            f"Server Get throughput, {connections} connections: OpenProton (SQLite) / moto server",
            ">= 15",
            _server_ratio("moto", connections),
            lambda v: v >= 15,
        )
        for connections in (16, 64)
    ),
    Target(
        "Sequential boto3 over HTTP: OpenProton / bare app",
        ">= 0.85",
        _rate_ratio("sequential", "openproton-sqlite", "ceiling"),
        lambda v: v >= 0.85,
    ),
    Target(
        "In-process: mock_proton / bare before-send floor",
        ">= 0.85",
        _rate_ratio("inprocess", "mock_proton", "floor"),
        lambda v: v >= 0.85,
    ),
    Target(
        "In-process: mock_proton / moto mock_aws",
        ">= 1.6",
        _rate_ratio("inprocess", "mock_proton", "mock_aws"),
        lambda v: v >= 1.6,
    ),
    Target("mock_proton per-test cost (enter, first call, leave), ms", "<= 0.5 ms", _per_test, lambda v: v <= 0.5),
    Target(
        "mock_proton per-test cost / moto mock_aws per-test cost",
        "<= 0.3",
        _per_test_over_moto,
        lambda v: v <= 0.3,
    ),
    Target(
        "Scale: Get p50, largest store / smallest (10^6 / 10^2)",
        "<= 1.3",
        _scale_ratio("get_p50_ms", "ms"),
        lambda v: v <= 1.3,
    ),
    Target(
        "Scale: first List page p50, largest store / smallest (10^6 / 10^2)",
        "<= 1.3",
        _scale_ratio("list_p50_ms", "ms"),
        lambda v: v <= 1.3,
    ),
    Target(
        "Scale: resident memory, largest store / smallest (10^6 / 10^2), not growing",
        "<= 1.2",
        _scale_ratio("rss_mib", "MiB"),
        lambda v: v <= 1.2,
    ),
    Target(
        "Scale: ListServiceInstances first page p50, largest store / smallest (10^6 / 10^2 instances)",
        "<= 1.3",
        _scale_ratio("list_p50_ms", "ms", "instance_sizes"),
        lambda v: v <= 1.3,
    ),
    Target(
        "Scale: resident memory with service instances, largest store / smallest (10^6 / 10^2), not growing",
        "<= 1.2",
        _scale_ratio("rss_mib", "MiB", "instance_sizes"),
        lambda v: v <= 1.2,
    ),
    *(
        Target(
            f"Server {operation} throughput, 16 connections / GetEnvironmentAccountConnection, same server",
            ">= 0.85",
            _rate_ratio("families", operation, "GetEnvironmentAccountConnection", "requests_per_second", "req/s"),
            lambda v: v >= 0.85,
        )
        for operation in ("GetService", "GetServiceInstance", "GetComponent")
    ),
    Target(
        "Start-up to healthy: openproton serve (new SQLite file) / bare uvicorn app",
        "<= 2",
        _startup,
        lambda v: v <= 2.0,
    ),
]
TARGET_LABELS = [target.label for target in TARGETS]
