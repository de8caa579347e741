"""wrk, driven from Python: a Lua script per request (POST with headers and a JSON body), `--latency` parsed.

One fixed request uses wrk's fast path (the request is formatted once). Several bodies of one length (Get
over many connection ids) are rotated by a `request()` function.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import BenchError, Pinning, Profile, Progress, Request, summary

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str:
    if not available():
        return "not installed"
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


def _lua_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def write_script(path: Path, request: Request, bodies: Sequence[bytes] = ()) -> Path:
    """A Lua script sending `request`; with `bodies`, one request per body in turn (all of one length)."""
    lines = [f"wrk.method = {_lua_string(request.method)}", f"wrk.path = {_lua_string(request.path)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()]
    lines.append(f"wrk.body = {_lua_string(request.body.decode())}")
    if bodies:
        if len({len(body) for body in bodies}) != 1:
            raise ValueError("rotated bodies must share one length (wrk keeps one Content-Length header)")
        lines.append("local bodies = {")
        lines += [f"  {_lua_string(body.decode())}," for body in bodies]
        lines.append("}")
        lines.append("local i = 0")
        lines.append("request = function()")
        lines.append("  i = i % #bodies + 1")
        lines.append("  return wrk.format(nil, nil, nil, bodies[i])")
        lines.append("end")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests_per_second": self.requests_per_second,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "requests": self.requests,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        }


def _duration_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse(output: str) -> WrkResult:
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if not (rate and p50 and p99 and total):
        raise BenchError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=_duration_ms(*p50.groups()),
        p99_ms=_duration_ms(*p99.groups()),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run(url: str, script: Path, *, connections: int, seconds: int, pinning: Pinning, threads: int = 1) -> WrkResult:
    """wrk on the client core; one thread, since the client core is one core."""
    command = [
        *pinning.client_prefix(),
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    return parse(completed.stdout)


def idle_rounds(
    url: str,
    scripts: dict[str, tuple[str, Path]],
    *,
    profile: Profile,
    pinning: Pinning,
    progress: Progress,
    rss_kib: Callable[[], int],
    where: str,
) -> dict[str, Any]:
    """The scale figures of one store: wrk on one connection (so p50 is an idle server's latency), a warm-up of
    each script, then `profile.rounds` rounds of each in turn, the server's RSS after every round. `scripts`
    maps a key to (what it sends, its script); the figures are `<key>_p50_ms`, `<key>_p99_ms` and `<key>_rps`
    for each, and `rss_mib`. Error responses under load make the figure worthless: they raise."""
    if profile.wrk_warmup_seconds:
        for name, script in scripts.values():
            progress.step(f"warm-up: wrk {profile.wrk_warmup_seconds}s, {name} on {where}")
            run(url, script, connections=1, seconds=profile.wrk_warmup_seconds, pinning=pinning)
    runs: dict[str, list[WrkResult]] = {key: [] for key in scripts}
    rss: list[int] = []
    for round_number in range(1, profile.rounds + 1):
        for key, (name, script) in scripts.items():
            progress.step(f"round {round_number}/{profile.rounds}: wrk 1 connection, {name} on {where}")
            runs[key].append(run(url, script, connections=1, seconds=profile.scale_wrk_seconds, pinning=pinning))
        rss.append(rss_kib())
    errors = sum(r.non_2xx + r.socket_errors for results in runs.values() for r in results)
    if errors:
        raise BenchError(f"{errors} error responses or socket errors under load on {where}")
    figures: dict[str, Any] = {"rss_mib": summary([kib / 1024 for kib in rss])}
    for key, results in runs.items():
        figures[f"{key}_p50_ms"] = summary([r.p50_ms for r in results])
        figures[f"{key}_p99_ms"] = summary([r.p99_ms for r in results])
        figures[f"{key}_rps"] = summary([r.requests_per_second for r in results])
    return figures
