"""RESULTS.md: machine facts, one table per section (median and min-max of the rounds, with ratios), the targets
with met / not met, and whatever went wrong or looked odd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common import ratio

DASH = "\u2013"  # en dash, for ranges in the Markdown
NONE = "-"

SECTIONS = {
    "server": "## 1. Server mode (wrk)",
    "sequential": "## 2. Sequential boto3 over HTTP",
    "inprocess": "## 3. In-process",
    "scale": "## 4. Scale",
    "targets": "## Targets",
}


@dataclass(frozen=True)
class Target:
    label: str
    required: str
    # (measured value, how it was measured) or None when it could not be measured
    measure: Callable[[dict[str, Any]], tuple[float, str] | None]
    met: Callable[[float], bool]


def _server_row(results: dict[str, Any], key: str, connections: int) -> dict[str, Any] | None:
    for row in results.get("server", {}).get("rows", []):
        if row["key"] == key and row["connections"] == connections:
            return row
    return None


def _server_ratio(
    over: str, connections: int, ours_key: str = "openproton-sqlite"
) -> Callable[[dict[str, Any]], tuple[float, str] | None]:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        ours, theirs = _server_row(results, ours_key, connections), _server_row(results, over, connections)
        if ours is None or theirs is None:
            return None
        value = ratio(ours["requests_per_second"], theirs["requests_per_second"])
        a, b = ours["requests_per_second"]["median"], theirs["requests_per_second"]["median"]
        return (value, f"{a:,.0f} / {b:,.0f} req/s") if value is not None else None

    return measure


def _row(results: dict[str, Any], section: str, key: str, table: str = "rows") -> dict[str, Any] | None:
    return next((row for row in results.get(section, {}).get(table, []) if row["key"] == key), None)


def _rate_ratio(section: str, ours: str, over: str) -> Callable[[dict[str, Any]], tuple[float, str] | None]:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        a, b = _row(results, section, ours), _row(results, section, over)
        if a is None or b is None:
            return None
        value = ratio(a["calls_per_second"], b["calls_per_second"])
        text = f"{a['calls_per_second']['median']:,.0f} / {b['calls_per_second']['median']:,.0f} calls/s"
        return (value, text) if value is not None else None

    return measure


def _per_test(results: dict[str, Any]) -> tuple[float, str] | None:
    row = _row(results, "inprocess", "mock_proton", "per_test")
    if row is None:
        return None
    return row["per_test_ms"]["median"], f"{row['per_test_ms']['median']:.3f} ms"


def _per_test_over_moto(results: dict[str, Any]) -> tuple[float, str] | None:
    ours = _row(results, "inprocess", "mock_proton", "per_test")
    moto = _row(results, "inprocess", "mock_aws", "per_test")
    if ours is None or moto is None:
        return None
    value = ratio(ours["per_test_ms"], moto["per_test_ms"])
    text = f"{ours['per_test_ms']['median']:.3f} ms / {moto['per_test_ms']['median']:.3f} ms"
    return (value, text) if value is not None else None


def _scale_ratio(figure: str, unit: str) -> Callable[[dict[str, Any]], tuple[float, str] | None]:
    def measure(results: dict[str, Any]) -> tuple[float, str] | None:
        sizes = results.get("scale", {}).get("sizes", [])
        if len(sizes) < 2:
            return None
        small, large = min(sizes, key=lambda s: s["size"]), max(sizes, key=lambda s: s["size"])
        value = ratio(large[figure], small[figure])
        if value is None:
            return None
        a, b = large[figure]["median"], small[figure]["median"]
        return value, f"{a:.3g} {unit} at {large['label']} / {b:.3g} {unit} at {small['label']}"

    return measure


def _startup(results: dict[str, Any]) -> tuple[float, str] | None:
    ours, bare = _row(results, "scale", "openproton-fresh", "startup"), _row(results, "scale", "ceiling", "startup")
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
        "Start-up to healthy: openproton serve (new SQLite file) / bare uvicorn app",
        "<= 2",
        _startup,
        lambda v: v <= 2.0,
    ),
]
TARGET_LABELS = [target.label for target in TARGETS]


# -- formatting ----------------------------------------------------------------------------------------


def _fmt(value: float, kind: str) -> str:
    if kind == "rate":
        return f"{value:,.0f}"
    if kind == "ms":
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    if kind == "s":
        return f"{value:.3f}"
    if kind == "mib":
        return f"{value:.1f}"
    return f"{value:.3g}"


def cell(figure: dict[str, Any] | None, kind: str) -> str:
    """`median (min-max)`, with an en dash; just the median when there was one round."""
    if not figure:
        return NONE
    median = _fmt(figure["median"], kind)
    if len(figure.get("samples", [])) <= 1:
        return median
    return f"{median} ({_fmt(figure['min'], kind)}{DASH}{_fmt(figure['max'], kind)})"


def ratio_cell(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# -- sections ------------------------------------------------------------------------------------------


def _server_section(results: dict[str, Any], rounds: str) -> list[str]:
    section = results.get("server")
    lines = [SECTIONS["server"], ""]
    if section is None:
        return [*lines, "Not run (see --only).", ""]
    lines += [
        "GetEnvironmentAccountConnection (AWS JSON 1.0, signed-looking POST with X-Amz-Target) against OpenProton and "
        "the bare app, DescribeSecret (AWS JSON 1.1) against moto's server, each checked to answer 200 first. "
        f"`wrk -t1 --latency`, one Lua-scripted request, {rounds}; throughput in requests per second, latencies in "
        "milliseconds as wrk reports them (closed loop). Ratios are of medians.",
        "",
    ]
    if not section["rows"]:
        return [*lines, "No figures: " + "; ".join(section.get("skipped", []) + section["problems"]), ""]
    rows = []
    for row in section["rows"]:
        connections = row["connections"]
        ceiling, moto = _server_row(results, "ceiling", connections), _server_row(results, "moto", connections)
        rows.append(
            [
                row["label"],
                str(connections),
                cell(row["requests_per_second"], "rate"),
                cell(row["p50_ms"], "ms"),
                cell(row["p99_ms"], "ms"),
                ratio_cell(ratio(row["requests_per_second"], ceiling and ceiling["requests_per_second"])),
                ratio_cell(ratio(row["requests_per_second"], moto and moto["requests_per_second"])),
                str(row["non_2xx"] + row["socket_errors"]),
            ]
        )
    header = ["target", "connections", "requests/s", "p50 ms", "p99 ms", "vs bare uvicorn", "vs moto", "errors"]
    lines += _table(header, rows)
    sizes = section.get("response_bytes") or {}
    if sizes:
        lines += ["", "Response bodies: " + ", ".join(f"{key} {size} bytes" for key, size in sizes.items()) + "."]
    return [*lines, ""]


def _sequential_section(results: dict[str, Any], rounds: str) -> list[str]:
    section = results.get("sequential")
    lines = [SECTIONS["sequential"], ""]
    if section is None:
        return [*lines, "Not run (see --only).", ""]
    lines += [
        "One Python process (a fresh one per round, on the client core) makes boto3 calls one after another over "
        "HTTP keep-alive: GetEnvironmentAccountConnection against OpenProton (SQLite) and against the bare app "
        f"(same client code, a valid fixed body), DescribeSecret against moto's server; {rounds}.",
        "",
    ]
    rows = []
    for row in section["rows"]:
        bare, moto = _row(results, "sequential", "ceiling"), _row(results, "sequential", "moto")
        rows.append(
            [
                row["label"],
                cell(row["calls_per_second"], "rate"),
                ratio_cell(ratio(row["calls_per_second"], bare and bare["calls_per_second"])),
                ratio_cell(ratio(row["calls_per_second"], moto and moto["calls_per_second"])),
            ]
        )
    lines += _table(["target", "calls/s", "vs bare app", "vs moto"], rows)
    return [*lines, ""]


def _inprocess_section(results: dict[str, Any], rounds: str) -> list[str]:
    section = results.get("inprocess")
    lines = [SECTIONS["inprocess"], ""]
    if section is None:
        return [*lines, "Not run (see --only).", ""]
    lines += [
        "boto3 calls per second with no network, each kind in a fresh worker process that imports only what it "
        f"uses (moto and openproton both add a hook to every botocore client at import); {rounds}.",
        "",
    ]
    rows = []
    for row in section["rows"]:
        floor, moto = _row(results, "inprocess", "floor"), _row(results, "inprocess", "mock_aws")
        rows.append(
            [
                row["label"],
                cell(row["calls_per_second"], "rate"),
                ratio_cell(ratio(row["calls_per_second"], floor and floor["calls_per_second"])),
                ratio_cell(ratio(row["calls_per_second"], moto and moto["calls_per_second"])),
            ]
        )
    lines += _table(["kind", "calls/s", "vs floor", "vs moto mock_aws"], rows)
    lines += [
        "",
        "### Per-test cost of a mock",
        "",
        "Each round takes medians over many iterations; per-test cost = enter + first call + leave, minus the same "
        "call inside a running mock (state is created lazily, so the first call belongs to the cost). Milliseconds.",
        "",
    ]
    rows = [
        [
            row["label"],
            cell(row["enter_exit_ms"], "ms"),
            cell(row["enter_call_exit_ms"], "ms"),
            cell(row["call_ms"], "ms"),
            cell(row["per_test_ms"], "ms"),
        ]
        for row in section["per_test"]
    ]
    lines += _table(["mock", "enter+leave", "enter+first call+leave", "call alone", "per-test cost"], rows)
    return [*lines, ""]


def _scale_section(results: dict[str, Any], rounds: str) -> list[str]:
    section = results.get("scale")
    lines = [SECTIONS["scale"], ""]
    if section is None:
        return [*lines, "Not run (see --only).", ""]
    lines += [
        "One environment account holding N connections, seeded with SQL into a file migrated by `openproton migrate`. "
        "wrk with one connection (so p50 is an idle server's latency); Get rotates over up to 1,000 ids spread over "
        "the table, List is the first page (requestedBy ENVIRONMENT_ACCOUNT, default maxResults: 100 items). "
        f"RSS is the server's VmRSS after each round; {rounds}. Ratios are against the smallest store.",
        "",
    ]
    sizes = sorted(section["sizes"], key=lambda s: s["size"])
    smallest = sizes[0] if sizes else None
    rows = []
    for size in sizes:
        rows.append(
            [
                size["label"],
                cell(size["get_p50_ms"], "ms"),
                cell(size["list_p50_ms"], "ms"),
                cell(size["get_p99_ms"], "ms"),
                cell(size["list_p99_ms"], "ms"),
                cell(size["rss_mib"], "mib"),
                ratio_cell(ratio(size["get_p50_ms"], smallest and smallest["get_p50_ms"])),
                ratio_cell(ratio(size["list_p50_ms"], smallest and smallest["list_p50_ms"])),
                ratio_cell(ratio(size["rss_mib"], smallest and smallest["rss_mib"])),
                f"{size['file_mib']:.1f}",
                f"{size['seed_seconds']:.1f}",
                f"{size['healthy_seconds']:.2f}",
            ]
        )
    header = [
        "connections",
        "Get p50 ms",
        "List p50 ms",
        "Get p99 ms",
        "List p99 ms",
        "RSS MiB",
        "Get vs smallest",
        "List vs smallest",
        "RSS vs smallest",
        "file MiB",
        "seeding s",
        "start to healthy s",
    ]
    lines += _table(header, rows) if rows else ["No sizes measured."]
    lines += [
        "",
        "### Start-up",
        "",
        "From spawning the process (pinned to the server core) to its first 200, polled every 2 ms: "
        "`/_openproton/health` for OpenProton, `GET /` for the bare app. Seconds.",
        "",
    ]
    bare = _row(results, "scale", "ceiling", "startup")
    rows = [
        [row["label"], cell(row["seconds"], "s"), ratio_cell(ratio(row["seconds"], bare and bare["seconds"]))]
        for row in section["startup"]
    ]
    lines += _table(["server", "seconds to first 200", "vs bare uvicorn"], rows)
    return [*lines, ""]


def _targets_section(results: dict[str, Any]) -> list[str]:
    rows = []
    for target in TARGETS:
        measured = target.measure(results)
        if measured is None:
            rows.append([target.label, target.required, "not measured", NONE, "not measured"])
            continue
        value, how = measured
        value_text = f"{value:.3f} ms" if target.required.endswith("ms") else f"{value:.2f}"
        rows.append([target.label, target.required, value_text, how, "met" if target.met(value) else "**not met**"])
    return [SECTIONS["targets"], "", *_table(["target", "required", "measured", "from", "met?"], rows), ""]


def render(results: dict[str, Any], meta: dict[str, Any]) -> str:
    profile = meta["profile"]
    wrk_rounds = f"{profile.rounds} round{'s' if profile.rounds > 1 else ''} of {profile.wrk_seconds} s each"
    cheap = f"{profile.cheap_rounds} round{'s' if profile.cheap_rounds > 1 else ''}"
    scale_rounds = f"{profile.rounds} round{'s' if profile.rounds > 1 else ''} of {profile.scale_wrk_seconds} s"
    lines = ["# OpenProton benchmarks", ""]
    if profile.name == "quick":
        lines += [
            "**Quick mode**: one short round and tiny stores, to keep the suite from rotting; these figures are not "
            "benchmarks.",
            "",
        ]
    lines += [
        f"Command: `{meta['command']}`",
        "",
        f"Date: {meta['date']}; run took {meta['runtime_seconds']:.0f} s.",
        "",
        "### Machine",
        "",
    ]
    lines += _table(["", ""], [[key, str(value)] for key, value in meta["machine"].items()])
    lines.append("")
    lines += _server_section(results, wrk_rounds)
    lines += _sequential_section(results, cheap)
    lines += _inprocess_section(results, cheap)
    lines += _scale_section(results, scale_rounds)
    lines += _targets_section(results)
    problems, skipped, warnings = (
        collect(results, "problems"),
        collect(results, "skipped"),
        collect(results, "warnings"),
    )
    lines += ["## Problems and notes", ""]
    if not (problems or skipped or warnings or meta.get("notes")):
        lines.append("None.")
    lines += [f"- **failed**: {_one_line(p)}" for p in problems]
    lines += [f"- skipped: {_one_line(s)}" for s in skipped]
    lines += [f"- warning: {_one_line(w)}" for w in warnings]
    lines += [f"- {n}" for n in meta.get("notes", [])]
    return "\n".join(lines).rstrip() + "\n"


def collect(results: dict[str, Any], kind: str) -> list[str]:
    return [item for section in results.values() for item in section.get(kind, [])]


def _one_line(text: str) -> str:
    first, _, rest = str(text).strip().partition("\n")
    return first + (f" (… {len(rest.splitlines())} more lines in the run's output)" if rest else "")


if __name__ == "__main__":  # what every RESULTS.md must contain (tests/test_bench_quick.py reads this)
    import json

    print(json.dumps({"sections": list(SECTIONS.values()), "targets": TARGET_LABELS}))
