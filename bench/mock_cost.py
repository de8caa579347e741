"""Per-test cost of entering and leaving mock_proton(), beside moto's mock_aws, in one run.

    .venv/bin/python bench/mock_cost.py [--rounds N]

This figure is part of the benchmark suite now (bench/run.py, section 3; the measurement lives in
bench/inprocess.py); this script prints only it, from one round of N iterations per mock.

"Per test" is what a suite pays for isolation: start a fresh mock, make the test's first call, stop. The
first call is included because state is created lazily (the first request opens the in-memory database);
the same call made inside an already-running mock is subtracted. Each mock is measured in a worker process of
its own, so that moto's botocore hook does not tax mock_proton's figure, nor the other way round.
"""

from __future__ import annotations

import argparse

from common import run_worker
from servers import moto_available

COLUMNS = {
    "enter_exit_ms": "enter+exit",
    "enter_call_exit_ms": "enter+first call+exit",
    "call_ms": "call alone",
    "per_test_ms": "per-test cost",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300, help="iterations whose median is each figure")
    args = parser.parse_args()

    rows: dict[str, dict[str, float]] = {}
    for kind, label in (("mock_proton", "mock_proton"), ("mock_aws", "moto mock_aws")):
        if kind == "mock_aws" and not moto_available():
            print("moto is not installed: pip install moto")
            continue
        result = run_worker(
            "inprocess.py", [kind, "--per-test-only", "--rounds", "1", "--iterations", str(args.rounds)]
        )
        rows[label] = {name: values[0] for name, values in result["per_test"].items()}

    print(f"medians of {args.rounds} rounds, milliseconds")
    print("| mock | " + " | ".join(COLUMNS.values()) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in COLUMNS) + " |")
    if "moto mock_aws" in rows:
        ratio = rows["mock_proton"]["per_test_ms"] / rows["moto mock_aws"]["per_test_ms"]
        print(f"\nmock_proton per-test cost / moto mock_aws per-test cost = {ratio:.3f}")


if __name__ == "__main__":
    main()
