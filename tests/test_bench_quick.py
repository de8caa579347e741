"""The benchmark suite runs here in its quick mode, so that it never rots. No timing is asserted: only that the
run succeeds and writes every section and every target row to its RESULTS.md."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def test_quick_benchmark_writes_every_section_and_target(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    # A section of a separate script, added to the file by hand: the run keeps it after its own.
    kept = "## Reads while CloudFormation jobs run (bench/provisioning_load.py)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    output.write_text("# old\n\n## Targets\n\n| stale | row |\n\n" + kept)
    run_bench("run.py", "--quick", "--output", str(output))
    text = output.read_text()
    assert text.endswith("\n" + kept) and "| stale | row |" not in text
    assert "| bytecode | compiled before the run" in text

    expected = json.loads(
        subprocess.run(
            [sys.executable, str(BENCH / "report.py")], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    for header in expected["sections"]:
        assert f"\n{header}\n" in text, header
    target_rows = [line for line in text.splitlines() if line.startswith("| ") and line.endswith(" |")]
    for label in expected["targets"]:
        row = next((line for line in target_rows if line.startswith(f"| {label} |")), None)
        assert row is not None, f"no target row for {label!r}"
        assert row.endswith(("| met |", "| **not met** |", "| not measured |")), row
    assert len(expected["targets"]) >= 12
    assert "**failed**" not in text

    # The figures every machine can take are really there (the others depend on wrk, moto and PostgreSQL).
    assert "| mock_proton (GetEnvironmentAccountConnection) |" in text
    assert "| openproton serve, new SQLite file (creates and migrates it) |" in text
    if shutil.which("wrk"):
        assert "| OpenProton, SQLite | 16 |" in text
        assert "| bare uvicorn app (ceiling) | 64 |" in text
        # The newer families on the server path, and the first page of service instances at each size.
        for operation in ("GetEnvironmentAccountConnection", "GetService", "GetServiceInstance", "GetComponent"):
            assert f"\n| {operation} | " in text, operation
        instances = text.split("### Service instances", 1)[1].split("###", 1)[0]
        assert "\n| 10^1 | " in instances and "\n| 10^2 | " in instances


def run_bench(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """bench/<script> with small arguments, as a user runs it; it must exit 0."""
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + "\n" + completed.stderr[-4000:]
    return completed


def test_families_benchmark_runs_every_family(tmp_path: Path) -> None:
    """bench/families.py sets up its account (services with 100 instances whose endings are stored) and measures
    every family; a fraction of a second each, so only that it runs and names them."""
    completed = run_bench("families.py", "--seconds", "0.02", "--rounds", "1")
    for name in ("GetEnvironment", "GetService", "GetServiceInstance", "GetComponent", "ListServiceInstances (100)"):
        assert f"median ratio to GetEnvironmentAccountConnection: {name} " in completed.stdout, name
    assert "console: /console/connections (25 rows)" in completed.stdout


def test_summary_scale_benchmark_runs(tmp_path: Path) -> None:
    """bench/summary_scale.py fills the caller's account, copies its rows to other accounts and checks that the
    summary's counts did not change; with two accounts and short measurements, only that it runs."""
    completed = run_bench("summary_scale.py", "--seconds", "0.02", "--rounds", "1", "--accounts", "2")
    assert "1031 resources in the caller's account and region" in completed.stdout
    assert "ratio with 2,066 foreign rows to none: " in completed.stdout


def test_sync_scale_benchmark_runs() -> None:
    """bench/sync_scale.py makes a real repository, syncs it and re-runs idle; small, only that it runs and that
    the idle run registers nothing (the script asserts both)."""
    completed = run_bench("sync_scale.py", "--templates", "3", "--commits", "5", "--idle-runs", "1")
    assert "first run: " in completed.stdout and "(3 versions registered)" in completed.stdout
    assert "idle / first: " in completed.stdout


def test_bundles_benchmark_runs() -> None:
    """bench/bundles.py times CreateEnvironment with and without a 20-input schema and registrations of a 1 MB
    bundle; small here, only that it runs and prints its ratios (its registrations assert DRAFT)."""
    completed = run_bench("bundles.py", "--environments", "5", "--rounds", "1", "--versions", "2")
    assert "with / without: " in completed.stdout
    assert "bundle / none: " in completed.stdout


def test_provisioning_load_benchmark_runs() -> None:
    """bench/provisioning_load.py starts moto's server and a provisioning server and reads while jobs run; small
    here, only that it runs (it asserts every job succeeded) and prints its ratio."""
    completed = run_bench("provisioning_load.py", "--jobs", "2", "--seconds", "0.3")
    assert "busy / idle: " in completed.stdout
