"""Hostile traffic against a real `openproton serve`: generated and raw-byte requests, counted by status.

    python bench/fuzz.py --backend sqlite|postgres|workers --cases 300000 [--seed 1] [--json]

Each case is one request: bodies built from the model's members with values of every JSON type (long, odd and
NUL-bearing strings, ids and ARNs harvested from earlier answers), bodies nested far too deep, raw bytes, and
over-long or odd headers. The run prints the status histogram, the number of 500s (the property: zero), and the
server's resident memory at each tenth of the run, which shows whether something grows without a bound.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Server, free_port, openproton_command
from servers import PostgresDatabase

from openproton.protocol.model import load_service_model

MODEL = load_service_model("proton")
OPERATIONS = sorted(MODEL.operation_names)
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "AKIAFUZZ", "x" * 129]
REGIONS = ["us-east-1", "eu-west-1", "US-EAST-1", "a" * 40, ""]
STRINGS = ["", "dev", "a" * 300, "\x00", "é" * 10, "../../etc", "{}", "PENDING", "1", " ", "arn:aws:proton:"]


class Fuzzer:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.pool: list[str] = []  # ids, names and ARNs seen in answers

    def value(self, depth: int = 0) -> Any:
        r = self.random
        kind = r.randrange(10 if depth < 4 else 6)
        if kind == 0:
            return r.choice([None, True, False])
        if kind == 1:
            return r.choice([0, -1, 1, 2**63, 1.5, 1e308, 100, 101])
        if kind in (2, 3):
            return r.choice(STRINGS)
        if kind in (4, 5):
            return r.choice(self.pool) if self.pool else "dev"
        if kind in (6, 7):
            return [self.value(depth + 1) for _ in range(r.randrange(4))]
        return {r.choice(["key", "value", "s3", "bucket", "x"]): self.value(depth + 1) for _ in range(r.randrange(3))}

    def body(self, operation: str) -> bytes:
        r = self.random
        shape = MODEL.operation_model(operation).input_shape
        members = list(shape.members) if shape is not None else []
        roll = r.random()
        if roll < 0.05:
            return bytes(r.randrange(256) for _ in range(r.randrange(64)))
        if roll < 0.10:
            depth = r.choice([65, 100, 500, 1025, 5000])
            member = r.choice([*members, "extra"])
            return ('{"%s":' % member + "[" * depth + "1" + "]" * depth + "}").encode()  # noqa: UP031
        params = {name: self.value() for name in members if r.random() < 0.7}
        if r.random() < 0.1:
            params["unknown"] = self.value()
        return json.dumps(params).encode()

    def headers(self, operation: str) -> dict[str, str]:
        r = self.random
        roll = r.random()
        if roll < 0.1:  # a new caller: whatever is kept per caller must stay bounded
            account = f"{r.randrange(10**12):012d}"
        else:
            account = r.choice(ACCOUNTS) if roll < 0.3 else r.choice(ACCOUNTS[:3])
        region = r.choice(REGIONS) if r.random() < 0.1 else r.choice(["us-east-1", f"xx-test-{r.randrange(5000)}"])
        credential = f"Credential={account}/20261201/{region}/proton/aws4_request"
        parts = [credential, "SignedHeaders=content-type;host;x-amz-date;x-amz-target", "Signature=" + "0" * 64]
        if r.random() < 0.2:
            r.shuffle(parts)
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "AwsProton20200720." + operation,
            "x-amz-date": "20261201T000000Z",
            "authorization": "AWS4-HMAC-SHA256 " + ", ".join(parts),
        }
        roll = r.random()
        if roll < 0.03:
            headers["x-big"] = "a" * r.choice([1000, 70_000, 200_000])
        elif roll < 0.06:
            headers[r.choice(list(headers))] = r.choice(STRINGS)
        elif roll < 0.08:
            del headers[r.choice(list(headers))]
        return headers

    def harvest(self, body: bytes) -> None:
        if len(self.pool) > 200:
            return
        try:
            found = json.loads(body)
        except ValueError:
            return
        for value in found.values() if isinstance(found, dict) else []:
            if isinstance(value, dict):
                for key in ("id", "arn", "name"):
                    if isinstance(value.get(key), str):
                        self.pool.append(value[key])


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def server_pids(root: int) -> list[int]:
    """The serve process and its worker processes."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                pids.append(int(entry.name))
    return pids


def seed_state(port: int) -> None:
    """A few resources, so that generated calls meet rows as well as absences."""
    for name in ("dev", "prod"):
        body = json.dumps(
            {
                "environmentName": name,
                "managementAccountId": "222222222222",
                "roleArn": "arn:aws:iam::111111111111:role/proton",
            }
        ).encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "AwsProton20200720.CreateEnvironmentAccountConnection",
            "authorization": "AWS4-HMAC-SHA256 Credential=111111111111/20261201/us-east-1/proton/aws4_request, "
            "SignedHeaders=host, Signature=0",
        }
        connection.request("POST", "/", body=body, headers=headers)
        connection.getresponse().read()
        connection.close()


def run(backend: str, cases: int, seed: int, directory: Path, serve_args: list[str]) -> dict[str, Any]:
    database = None
    if backend == "sqlite":
        url = f"sqlite:///{directory}/fuzz.sqlite3"
        extra: list[str] = []
    else:
        database = PostgresDatabase(f"openproton_fuzz_{seed}")
        url = database.url
        extra = ["--workers", "2"] if backend == "workers" else []
    port = free_port()
    port_server = Server(
        f"openproton {backend}",
        [*openproton_command(), "serve", "--port", str(port), "--database", url, *extra, *serve_args],
        port,
        "/_openproton/health",
        directory / "server.log",
    )
    try:
        port_server.start().wait_healthy()
        seed_state(port)
        fuzzer = Fuzzer(seed)
        statuses: Counter[int] = Counter()
        samples: list[int] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.monotonic()
        for number in range(cases):
            if number % max(1, cases // 10) == 0:
                samples.append(rss_kib(server_pids(port_server.pid)))
            operation = fuzzer.random.choice(OPERATIONS)
            try:
                connection.request("POST", "/", body=fuzzer.body(operation), headers=fuzzer.headers(operation))
                response = connection.getresponse()
                body = response.read()
                statuses[response.status] += 1
                if response.status == 200:
                    fuzzer.harvest(body)
                if response.will_close:
                    connection.close()
            except (http.client.HTTPException, OSError):
                statuses[0] += 1  # the server closed the connection (a refused head does)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        samples.append(rss_kib(server_pids(port_server.pid)))
        return {
            "backend": backend,
            "cases": cases,
            "seconds": round(time.monotonic() - started, 1),
            "statuses": dict(sorted(statuses.items())),
            "internal_errors": statuses[500],
            "rss_kib": samples,
            "server_log_errors": port_server.log_path.read_text(errors="replace").count("Traceback"),
        }
    finally:
        port_server.stop()
        if database is not None:
            database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "workers"], default="sqlite")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--serve-arg", action="append", default=[], help="an extra argument for openproton serve")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="openproton-fuzz-") as directory:
        result = run(args.backend, args.cases, args.seed, Path(directory), args.serve_arg)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['cases']} cases on {result['backend']} in {result['seconds']} s")
        print("statuses:", ", ".join(f"{status or 'closed'}: {count}" for status, count in result["statuses"].items()))
        print(f"500s: {result['internal_errors']}; tracebacks in the server log: {result['server_log_errors']}")
        print("server RSS (MiB) at each tenth:", " ".join(f"{kib / 1024:.0f}" for kib in result["rss_kib"]))
    return 1 if result["internal_errors"] or result["server_log_errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
