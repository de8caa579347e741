"""OpenProton's benchmark suite: every figure side by side in one run, written to bench/RESULTS.md.

    .venv/bin/python bench/run.py            # the full run (about 13 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # one short round and tiny stores (tests/test_bench_quick.py)

1. Server mode: wrk at 16 and 64 connections against `openproton serve` (SQLite, PostgreSQL, --workers 2),
   moto's server and a bare uvicorn app (the ceiling).
2. Sequential boto3 over HTTP against OpenProton, moto's server and the bare app.
3. In-process: mock_proton, moto's mock_aws, a bare before-send hook (the floor), botocore's Stubber; and the
   per-test cost of entering and leaving mock_proton.
4. Scale: Get and first-List-page latency with 10^2, 10^4 and 10^6 stored connections, the first page of
   ListServiceInstances with as many service instances, resident memory, and start-up time beside a bare
   uvicorn app.
5. Families in server mode: GetService, GetServiceInstance and GetComponent under wrk beside the connection's
   Get on the same server.

Servers run on one core (`taskset -c`), wrk and the Python clients on another, where the machine has two.
Every figure is the median and min-max of several rounds; ratios come from the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import families_server
import inprocess
import report
import scale
import sequential
import server_mode
import wrk
from common import FULL, QUICK, ROOT, Pinning, Profile
from servers import Fleet, postgres_server_version

SECTIONS = ["server", "sequential", "inprocess", "scale", "families"]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _git() -> str:
    def git(*args: str) -> str:
        completed = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return completed.stdout.strip()

    if shutil.which("git") is None:
        return "unknown"
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "src")
    return commit + (f" + uncommitted changes in src/ ({len(changed.splitlines())} files)" if changed else "")


def machine_facts(pinning: Pinning, git: str) -> dict[str, str]:
    spec = importlib.util.find_spec("openproton")
    event_loop = ", ".join(
        f"{name} {_version(name)}" for name in ("uvloop", "httptools") if _version(name)[0].isdigit()
    )
    return {
        "CPUs (nproc)": f"{os.cpu_count()} ({_cpu_model()})",
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "openproton": f"{_version('openproton')}, git {git}, imported from {spec.origin if spec else 'nowhere'}",
        "uvicorn": f"{_version('uvicorn')} ({event_loop or 'asyncio, h11'})",
        "moto": _version("moto"),
        "botocore / boto3": f"{_version('botocore')} / {_version('boto3')}",
        "SQLAlchemy / psycopg": f"{_version('SQLAlchemy')} / {_version('psycopg')}",
        "SQLite": __import__("sqlite3").sqlite_version,
        "PostgreSQL server": postgres_server_version(),
        "wrk": wrk.version(),
        "pinning": pinning.description,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one short round, tiny stores; no figure is meaningful")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"), help="where to write the table")
    parser.add_argument("--json", help="also write every sample as JSON here")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and clients to cores")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    return parser.parse_args(argv)


def _command(argv: list[str] | None) -> str:
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(ROOT)) if python.is_relative_to(ROOT) else str(python)
    except ValueError:
        shown = str(python)
    arguments = sys.argv[1:] if argv is None else argv
    return " ".join([shown, "bench/run.py", *arguments])


def _measure(sections: list[str], profile: Profile, pinning: Pinning, tmp: Path, notes: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    fleet = Fleet(tmp / "fleet", pinning)
    try:
        if "server" in sections:
            results["server"] = server_mode.run(fleet, profile, pinning, tmp / "wrk")
        if "sequential" in sections:
            results["sequential"] = sequential.run(fleet, profile)
        body_file = fleet.body_file
        notes += fleet.notes
    finally:
        fleet.close()
    if "inprocess" in sections:
        results["inprocess"] = inprocess.run(profile, body_file)
    if "scale" in sections:
        results["scale"] = scale.run(profile, pinning, tmp / "scale", body_file)
    if "families" in sections:
        results["families"] = families_server.run(profile, pinning, tmp / "families")
    return results


def _kept_sections(output: Path, rendered: str) -> str:
    """The sections of the previous file this run does not write (figures of separate scripts, added by hand:
    bench/families.py, bench/provisioning_load.py, ...), kept in their order after the new ones."""
    if not output.exists():
        return ""
    written = {line for line in rendered.splitlines() if line.startswith("## ")}
    kept: list[str] = []
    keeping = False
    for line in output.read_text().splitlines():
        if line.startswith("## "):
            keeping = line not in written
        if keeping:
            kept.append(line)
    return ("\n" + "\n".join(kept).rstrip() + "\n") if kept else ""


def _compile_bytecode() -> str:
    """Byte-compile OpenProton's modules first, as an installed package has them (pip compiles at install, and
    a second start finds what the first wrote): start-up is then measured without compiling ~130 modules, as the
    bare app's few lines and moto's installed package are. Says what it did, for the machine table."""
    import compileall

    package = Path(__import__("openproton").__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    return f"compiled before the run ({package}); PYTHONDONTWRITEBYTECODE={setting!r}"


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile: Profile = QUICK if args.quick else FULL
    sections = args.only or SECTIONS
    pinning = Pinning.detect(not args.no_pin)
    pinning.pin_this_process_to_client_core()
    started = time.perf_counter()
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before, git_before = _load(), _git()
    tmp = Path(tempfile.mkdtemp(prefix="openproton-bench-"))
    print(f"OpenProton benchmarks, {profile.name} profile; pinning: {pinning.description}; work files in {tmp}")
    notes: list[str] = []
    bytecode = _compile_bytecode()
    try:
        results = _measure(sections, profile, pinning, tmp, notes)
    finally:
        if args.keep:
            print(f"work files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if pinning.server_core is not None:
        notes.append(
            "`--workers 2` runs both workers on the server core (pinned like every server), so it shows the cost "
            "of the multi-process setup rather than a second core's gain."
        )
        notes.append("PostgreSQL's own processes are not pinned: they share both cores with the server and wrk.")
    notes.append(
        "moto's server (Werkzeug) answers `Connection: close`, so wrk and boto3 open a TCP connection per request "
        "to it; that is how moto serves, and part of its figure."
    )
    git_after = _git()
    git = git_before if git_after == git_before else f"{git_before} at the start, {git_after} at the end"
    machine = machine_facts(pinning, git)
    machine["load average (1/5/15 min) before / after"] = f"{load_before} / {_load()}"
    machine["bytecode"] = bytecode
    meta = {
        "profile": profile,
        "command": _command(argv),
        "date": date,
        "runtime_seconds": time.perf_counter() - started,
        "machine": machine,
        "notes": notes,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    rendered = report.render(results, meta)
    output.write_text(rendered + _kept_sections(output, rendered))
    if args.json:
        dump = {"results": results, "meta": {**meta, "profile": profile.name}}
        Path(args.json).write_text(json.dumps(dump, indent=1))

    problems = report.collect(results, "problems")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    for item in report.collect(results, "skipped"):
        print(f"skipped: {item}")
    print(f"wrote {output} in {meta['runtime_seconds']:.0f} s" + (f", {len(problems)} failures" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
