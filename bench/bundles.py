"""What bundles cost (issue 16): CreateEnvironment on a 20-input schema against one without a bundle, and
registering a 1 MB bundle from `--bundle-dir` against registering without a source, in one run, as ratios.

    .venv/bin/python bench/bundles.py [--environments N] [--versions V]

In-process (`mock_proton()`), through boto3, as a test suite calls it. CreateEnvironment with a bundle checks the
spec's 20 inputs against the schema and renders the CloudFormation file (P-1) inside the call; without a bundle it
does neither. The goals: with / without >= 0.7 for CreateEnvironment (throughput), and a 1 MB bundle registered
in under 5x the time of a registration without a source.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import yaml

from openproton import Settings, mock_proton

ROLE = "arn:aws:iam::123456789012:role/proton-service"
INPUTS = 20


def schema() -> str:
    properties = {f"input_{i}": {"type": "string", "default": f"value-{i}", "maxLength": 64} for i in range(INPUTS)}
    properties["input_0"]["pattern"] = "^[a-z0-9-]+$"
    document = {
        "schema": {
            "format": {"openapi": "3.0.0"},
            "environment_input_type": "Inputs",
            "types": {"Inputs": {"type": "object", "properties": properties}},
        }
    }
    return yaml.safe_dump(document, sort_keys=False)


def cloudformation() -> str:
    lines = ["Resources:"]
    for i in range(INPUTS):
        lines += [f"  Param{i}:", "    Type: AWS::SSM::Parameter", "    Properties:"]
        lines += [
            f"      Name: '/{{{{ environment.name }}}}/input_{i}'",
            f"      Value: '{{{{ environment.inputs.input_{i} }}}}'",
        ]
    return "\n".join(lines) + "\n"


def archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"env/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def bundle(padding: int = 0, *, edition: int | None = None) -> bytes:
    """The 20-input environment bundle; `padding` bytes of sources; `edition` makes its template text new."""
    template = cloudformation() + (f"# edition {edition}\n" if edition is not None else "")
    files = {
        "schema/schema.yaml": schema().encode(),
        "infrastructure/manifest.yaml": b"infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
        b"      rendering_engine: jinja\n      template_language: cloudformation\n",
        "infrastructure/cloudformation.yaml": template.encode(),
    }
    if padding:
        # Incompressible bytes, so the archive is `padding` bytes as fetched: a bundle with its sources.
        files["src/blob.bin"] = os.urandom(padding)
    return archive(files)


def per_second(calls: int, run: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for n in range(calls):
        run(n)
    return calls / (time.perf_counter() - started)


def create_environments(settings: Settings, source: dict, count: int) -> float:
    """CreateEnvironment calls per second, on a published version from `source`, each with its own spec."""
    with mock_proton(settings=settings):
        proton = boto3.client("proton", region_name="us-east-1")
        proton.create_environment_template(name="env")
        proton.create_environment_template_version(templateName="env", source=source)
        proton.update_environment_template_version(
            templateName="env", majorVersion="1", minorVersion="0", status="PUBLISHED"
        )

        def create(n: int) -> None:
            proton.create_environment(
                name=f"env-{n}", templateName="env", templateMajorVersion="1", spec=spec(n), protonServiceRoleArn=ROLE
            )

        create(-1)  # warm: the first call compiles the schema's validator and the template
        return per_second(count, create)


def spec(n: int) -> str:
    """A spec of its own per call (no cache of a previous call's text can help), ten inputs given."""
    return "proton: EnvironmentSpec\nspec:\n" + "".join(f"  input_{i}: given-{n}-{i}\n" for i in range(0, INPUTS, 2))


def register_versions(settings: Settings, sources: list[dict]) -> float:
    """Median seconds of one CreateEnvironmentTemplateVersion plus the read that shows its outcome."""
    timings = []
    with mock_proton(settings=settings):
        proton = boto3.client("proton", region_name="us-east-1")
        proton.create_environment_template(name="env")
        for n, source in enumerate(sources):
            started = time.perf_counter()
            proton.create_environment_template_version(templateName="env", source=source)
            version = proton.get_environment_template_version(
                templateName="env", majorVersion=str(n + 1), minorVersion="0"
            )["environmentTemplateVersion"]
            timings.append(time.perf_counter() - started)
            assert version["status"] == "DRAFT", version.get("statusMessage")
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", type=int, default=300, help="CreateEnvironment calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each, alternating")
    parser.add_argument("--versions", type=int, default=20, help="registrations of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "templates").mkdir()
        (root / "templates" / "env.tar.gz").write_bytes(bundle())
        source = {"s3": {"bucket": "templates", "key": "env.tar.gz"}}
        quota = {"environment_quota": 100_000}
        with_bundles = Settings(bundle_dir=str(root), **quota)

        without_rates, with_rates = [], []
        for _ in range(args.rounds):  # alternating, so drift on the machine falls on both alike
            without_rates.append(create_environments(Settings(**quota), source, args.environments))
            with_rates.append(create_environments(with_bundles, source, args.environments))
        without, with_schema = statistics.median(without_rates), statistics.median(with_rates)
        print(f"CreateEnvironment without a bundle: {without:.0f}/s")
        print(f"CreateEnvironment, {INPUTS}-input schema checked, CloudFormation rendered: {with_schema:.0f}/s")
        print(f"with / without: {with_schema / without:.2f} (goal >= 0.7)")

        # Each registration fetches an archive of its own: new sources (1 MiB of random bytes) beside the same
        # template files, as a new version of a bundle mostly is; then, every file new.
        same_templates, all_new = [], []
        for n in range(args.versions):
            for kind, edition, found in (("same", None, same_templates), ("new", n, all_new)):
                data = bundle(padding=2**20, edition=edition)
                (root / "templates" / f"{kind}-{n}.tar.gz").write_bytes(data)
                found.append({"s3": {"bucket": "templates", "key": f"{kind}-{n}.tar.gz"}})
        size = len(data) / 2**20
        plain = register_versions(Settings(), [source] * args.versions)
        fetched = register_versions(with_bundles, same_templates)
        fresh = register_versions(with_bundles, all_new)
        print(f"registration without a source: {plain * 1000:.2f} ms")
        print(f"registration of a {size:.2f} MB bundle from --bundle-dir (new sources): {fetched * 1000:.2f} ms")
        print(f"registration of a {size:.2f} MB bundle, every file new: {fresh * 1000:.2f} ms")
        print(f"bundle / none: {fetched / plain:.2f} (goal < 5); every file new / none: {fresh / plain:.2f}")


if __name__ == "__main__":
    main()
