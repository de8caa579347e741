"""GetEnvironment throughput of a server while its worker runs CloudFormation jobs, against the same with no jobs
(issue 17: at least 0.8; the worker must not starve requests).

    .venv/bin/python bench/provisioning_load.py [--jobs 20] [--seconds 3]

Starts moto's standalone server (moto[server]) as the CloudFormation and STS API and `openproton serve
--provisioners cloudformation` on a SQLite file, both on loopback. One boto3 client reads GetEnvironment as fast
as it can for `--seconds` with no job, then again right after `--jobs` CreateEnvironment calls posted their jobs
(the window ends when the jobs have ended, or after `--seconds`); the figures are calls per second in each.

moto's server runs at niceness `--cloud-niceness` (default 10): it stands in for AWS's CloudFormation, whose CPU
is not on the server's machine in reality, yet here it shares the same cores as the server and the reader. With
`--cloud-niceness 0` it competes at the server's own priority; bench/RESULTS.md reports both.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/proton-service"
TEMPLATE = (
    "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Queue:\n    Type: AWS::SQS::Queue\n"
    "Outputs:\n  BucketName:\n    Value: !Ref Bucket\n"
)
SCHEMA = (
    'schema:\n  format:\n    openapi: "3.0.0"\n  environment_input_type: In\n  types:\n    In:\n      type: object\n'
    "      properties:\n        size:\n          type: string\n          default: small\n"
)
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n"
MANIFEST += "      template_language: cloudformation\n"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def bundle() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (
            ("schema/schema.yaml", SCHEMA),
            ("infrastructure/manifest.yaml", MANIFEST),
            ("infrastructure/cloudformation.yaml", TEMPLATE),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"env/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def reads_per_second(proton: object, seconds: float, done: Callable[[], bool], *, stop_when_done: bool) -> float:
    """GetEnvironment calls per second; every 20th call is followed by `done()` in both windows alike, so that
    the check the busy window needs to end weighs on the idle figure too."""
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        proton.get_environment(name="reader")  # type: ignore[attr-defined]
        calls += 1
        if calls % 20 == 0 and done() and stop_when_done:
            break
    return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cloud-niceness", type=int, default=10, help="moto_server's niceness (default 10)")
    args = parser.parse_args()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "templates").mkdir()
        (root / "templates" / "env.tar.gz").write_bytes(bundle())
        cloud_port, port = free_port(), free_port()
        cloud = subprocess.Popen(
            [
                "nice",
                "-n",
                str(args.cloud_niceness),
                str(BIN / "moto_server"),
                "-H",
                "127.0.0.1",
                "-p",
                str(cloud_port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            [
                str(BIN / "openproton"), "serve", "--port", str(port), "--database", f"sqlite:///{root}/state.sqlite3",
                "--bundle-dir", str(root), "--provisioners", "cloudformation",
                "--cloudformation-endpoint", f"http://127.0.0.1:{cloud_port}"
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**env, "OPENPROTON_ENVIRONMENT_QUOTA": "1000"},
        )  # fmt: skip
        jobs: sqlite3.Connection | None = None
        try:
            wait_for(f"http://127.0.0.1:{cloud_port}/moto-api/")
            wait_for(f"http://127.0.0.1:{port}/_openproton/health")
            proton = boto3.client(
                "proton",
                endpoint_url=f"http://127.0.0.1:{port}",
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
                config=Config(retries={"max_attempts": 1}),
            )

            # Whether jobs remain, read straight from the database file: a ListEnvironments would cost more with
            # 21 environments in the busy window than with 1 in the idle one, and so weigh on the busy figure.
            jobs = sqlite3.connect(f"file:{root}/state.sqlite3?mode=ro", uri=True, isolation_level=None)

            def done() -> bool:
                assert jobs is not None
                return int(jobs.execute("SELECT count(*) FROM provisioning_jobs").fetchone()[0]) == 0

            proton.create_environment_template(name="env")
            source = {"s3": {"bucket": "templates", "key": "env.tar.gz"}}
            proton.create_environment_template_version(templateName="env", source=source)
            proton.update_environment_template_version(
                templateName="env", majorVersion="1", minorVersion="0", status="PUBLISHED"
            )
            spec = "proton: EnvironmentSpec\n"
            proton.create_environment(
                name="reader", templateName="env", templateMajorVersion="1", spec=spec, protonServiceRoleArn=ROLE
            )
            while not done():
                time.sleep(0.1)
            idle = reads_per_second(proton, args.seconds, done, stop_when_done=False)
            started = time.perf_counter()
            for n in range(args.jobs):
                proton.create_environment(
                    name=f"job-{n}", templateName="env", templateMajorVersion="1", spec=spec, protonServiceRoleArn=ROLE
                )

            busy = reads_per_second(proton, args.seconds, done, stop_when_done=True)
            while not done():
                time.sleep(0.1)
            took = time.perf_counter() - started
            statuses = [e["deploymentStatus"] for e in proton.list_environments()["environments"]]
            assert statuses.count("SUCCEEDED") == args.jobs + 1, statuses
        finally:
            if jobs is not None:
                jobs.close()
            server.terminate()
            cloud.terminate()
            server.wait(10)
            cloud.wait(10)
    print(f"GetEnvironment with no job: {idle:.0f}/s")
    cloud = f"moto at niceness {args.cloud_niceness}"
    print(f"GetEnvironment while {args.jobs} CloudFormation jobs run ({cloud}): {busy:.0f}/s")
    print(f"busy / idle: {busy / idle:.2f} (goal >= 0.8); the {args.jobs} jobs ended {took:.1f} s after the first")


if __name__ == "__main__":
    main()
