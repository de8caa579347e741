"""RESULTS.md: machine facts, one table per section (median and min-max of the rounds, with ratios), the targets
with met / not met, and whatever went wrong or looked odd.
"""

from __future__ import annotations

from typing import Any

from common import ratio
from targets import TARGET_LABELS, TARGETS, section_row, server_row

DASH = "\u2013"  # en dash, for ranges in the Markdown
NONE = "-"

SECTIONS = {
    "server": "## 1. Server mode (wrk)",
    "sequential": "## 2. Sequential boto3 over HTTP",
    "inprocess": "## 3. In-process",
    "scale": "## 4. Scale",
    "families": "## 5. Families in server mode (wrk)",
    "targets": "## Targets",
}


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
        ceiling, moto = server_row(results, "ceiling", connections), server_row(results, "moto", connections)
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
        bare, moto = section_row(results, "sequential", "ceiling"), section_row(results, "sequential", "moto")
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
        "uses (moto and openproton both add a hook to every botocore client at import); "
        f"{rounds}, interleaved (each round runs every kind once, so drift falls on all alike).",
        "",
    ]
    rows = []
    for row in section["rows"]:
        floor, moto = section_row(results, "inprocess", "floor"), section_row(results, "inprocess", "mock_aws")
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
    lines += ["", *_instances_table(section, rounds)]
    lines += [
        "",
        "### Start-up",
        "",
        "From spawning the process (pinned to the server core) to its first 200, polled every 2 ms: "
        "`/_openproton/health` for OpenProton, `GET /` for the bare app. Seconds.",
        "",
    ]
    bare = section_row(results, "scale", "ceiling", "startup")
    rows = [
        [row["label"], cell(row["seconds"], "s"), ratio_cell(ratio(row["seconds"], bare and bare["seconds"]))]
        for row in section["startup"]
    ]
    lines += _table(["server", "seconds to first 200", "vs bare uvicorn"], rows)
    return [*lines, ""]


def _instances_table(section: dict[str, Any], rounds: str) -> list[str]:
    lines = [
        "### Service instances",
        "",
        "One account holding N service instances in services of 20 (bench/instance_scale.py: one service made "
        "through the API and settled, its rows copied with SQL). wrk with one connection; the request is "
        "ListServiceInstances with no filter and the default maxResults, whose first page is 100 items in "
        f"(serviceName, name) order. RSS is the server's VmRSS after each round; {rounds}. Ratios are against the "
        "smallest store.",
        "",
    ]
    sizes = sorted(section.get("instance_sizes", []), key=lambda s: s["size"])
    if not sizes:
        return [*lines, "No sizes measured."]
    smallest = sizes[0]
    rows = [
        [
            size["label"],
            cell(size["list_p50_ms"], "ms"),
            cell(size["list_p99_ms"], "ms"),
            cell(size["rss_mib"], "mib"),
            ratio_cell(ratio(size["list_p50_ms"], smallest["list_p50_ms"])),
            ratio_cell(ratio(size["rss_mib"], smallest["rss_mib"])),
            f"{size['file_mib']:.1f}",
            f"{size['seed_seconds']:.1f}",
            f"{size['healthy_seconds']:.2f}",
        ]
        for size in sizes
    ]
    header = ["instances", "List p50 ms", "List p99 ms", "RSS MiB", "List vs smallest", "RSS vs smallest"]
    return [*lines, *_table([*header, "file MiB", "seeding s", "start to healthy s"], rows)]


def _families_section(results: dict[str, Any], rounds: str) -> list[str]:
    section = results.get("families")
    lines = [SECTIONS["families"], ""]
    if section is None:
        return [*lines, "Not run (see --only).", ""]
    lines += [
        "One `openproton serve` (SQLite) holding bench/families.py's account, built through boto3 (5 services of 20 "
        "instances in `dev`, each with a pipeline, a component on svc-2-i10, every ending stored and checked in the "
        "server's file): each Get of the management account under `wrk -t1 -c16`, the four in turn within a round, "
        f"{rounds}. Ratios are of medians, to the connection's Get on the same server.",
        "",
    ]
    if not section["rows"]:
        return [*lines, "No figures: " + "; ".join(section.get("skipped", []) + section["problems"]), ""]
    base = section_row(results, "families", "GetEnvironmentAccountConnection")
    rows = [
        [
            row["label"],
            cell(row["requests_per_second"], "rate"),
            cell(row["p50_ms"], "ms"),
            ratio_cell(ratio(row["requests_per_second"], base and base["requests_per_second"])),
            str(row["response_bytes"]),
        ]
        for row in section["rows"]
    ]
    lines += _table(["Get", "requests/s", "p50 ms", "vs the connection's Get", "response bytes"], rows)
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
    lines += _families_section(results, wrk_rounds)
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
