"""The hostile-traffic run of bench/fuzz.py, short, against real servers on SQLite and PostgreSQL: no case is a
500 and the server logs no traceback. (The long run, with its memory figures, is `bench/fuzz.py --cases N`.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = 3000


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_generated_and_raw_requests_are_never_a_500(backend: str) -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--backend", backend, "--cases", str(CASES), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr[-4000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert sum(result["statuses"].values()) == CASES
    assert result["internal_errors"] == 0, result
    assert result["server_log_errors"] == 0, result
    # The run reached the server in every way it means to: successes, refusals, refused heads.
    assert {"200", "400", "431"} <= set(result["statuses"]), result
    assert completed.returncode == 0, completed.stderr[-4000:]
