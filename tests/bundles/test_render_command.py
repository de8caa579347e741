"""`openproton render` ([decided] P-7), run as a user runs it: every exit code with the server's messages, stdout
and `--out`, targets of a service bundle, `--context`, a spec on stdin; and `serve`'s bundle settings refused as
one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bundles.bundle_library import (
    ENVIRONMENT_CLOUDFORMATION,
    archive,
    environment_files,
    service_files,
)
from support import openproton_command

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bundles"


def render(*arguments: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENPROTON_")}
    return subprocess.run(
        [*openproton_command(), "render", *arguments],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env=environ,
        cwd=cwd,
    )


def write_bundle(directory: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return directory


def test_the_example_bundle_renders_to_stdout(tmp_path: Path) -> None:
    done = render(str(EXAMPLE / "environment"), "--spec", str(EXAMPLE / "environment-spec.yaml"))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("==> environment/cloudformation.yaml <==\nAWSTemplateFormatVersion: '2010-09-09'\n")
    assert "CidrBlock: '10.1.0.0/16'" in done.stdout
    assert "CidrBlock: '10.0.1.0/24'" in done.stdout  # a default


def test_an_archive_renders_like_its_directory_and_out_writes_the_files(tmp_path: Path) -> None:
    bundle = tmp_path / "env.tar.gz"
    bundle.write_bytes(archive(environment_files()))
    out = tmp_path / "out"
    done = render(str(bundle), "--out", str(out), "--context", "-", stdin="environment:\n  name: prod\n")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    text = (out / "environment" / "cloudformation.yaml").read_text()
    assert text == ENVIRONMENT_CLOUDFORMATION.replace("{{ environment.name }}", "prod").replace(
        "{{ environment.inputs.vpc_cidr }}", "10.0.0.0/16"
    ).replace("{{ environment.inputs.subnet_one_cidr }}", "10.0.0.0/24")


def test_a_spec_on_stdin(tmp_path: Path) -> None:
    done = render(
        str(EXAMPLE / "environment"), "--spec", "-", stdin="proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.9.0.0/16\n"
    )
    assert done.returncode == 0, done.stderr
    assert "CidrBlock: '10.9.0.0/16'" in done.stdout


def test_a_service_bundle_renders_each_instance_and_the_pipeline_or_one_target(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "svc", service_files())
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "proton: ServiceSpec\ninstances:\n  - name: web-dev\n    environment: dev\n    spec:\n      image: nginx\n"
        "pipeline:\n  service_dir: site\n"
    )
    context = tmp_path / "context.yaml"
    context.write_text("service:\n  name: shop\nenvironment:\n  outputs:\n    VpcId: vpc-9\n")
    done = render(str(bundle), "--spec", str(spec), "--context", str(context))
    assert done.returncode == 0, done.stderr
    headers = [line for line in done.stdout.splitlines() if line.startswith("==> ")]
    assert headers == ["==> instances/web-dev/cloudformation.yaml <==", "==> pipeline/cloudformation.yaml <=="]
    assert "ServiceName: 'shop_web-dev'" in done.stdout
    assert "Vpc: 'vpc-9'" in done.stdout
    assert "Directory: 'site'" in done.stdout
    only = render(str(bundle), "--spec", str(spec), "--target", "pipeline")
    assert [line for line in only.stdout.splitlines() if line.startswith("==> ")] == [
        "==> pipeline/cloudformation.yaml <=="
    ]


def test_exit_3_when_registration_would_fail(tmp_path: Path) -> None:
    files = environment_files()
    del files["infrastructure/manifest.yaml"]
    done = render(str(write_bundle(tmp_path / "b", files)))
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == "Template manifest is not valid: infrastructure/manifest.yaml is missing\n"


def test_exit_3_for_an_archive_that_is_not_one(tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"not gzip")
    done = render(str(bundle))
    assert (done.returncode, done.stderr) == (3, "Template bundle is not a valid gzipped tar archive\n")


def test_exit_3_for_a_directory_with_a_link_that_leaves(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", environment_files())
    (bundle / "infrastructure" / "secret").symlink_to("/etc/hostname")
    done = render(str(bundle))
    assert (done.returncode, done.stderr) == (
        3,
        "Template bundle contains an entry that is not allowed: infrastructure/secret\n",
    )


def test_exit_4_for_a_spec_the_api_would_refuse(tmp_path: Path) -> None:
    done = render(str(EXAMPLE / "environment"), "--spec", "-", stdin="proton: EnvironmentSpec\nspec:\n  vpc_cidr: x\n")
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr == (
        "Invalid spec: 1 validation error detected: spec.vpc_cidr: must match pattern "
        "([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))\n"
    )


def test_exit_5_when_rendering_fails(tmp_path: Path) -> None:
    files = environment_files("X: {{ environment.inputs.missing }}\n")
    done = render(str(write_bundle(tmp_path / "b", files)))
    assert (done.returncode, done.stdout) == (5, "")
    assert done.stderr == (
        "Template rendering failed: infrastructure/cloudformation.yaml line 1: 'dict object' has no attribute "
        "'missing'\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["/nonexistent/bundle.tar.gz"],
            "openproton: cannot read /nonexistent/bundle.tar.gz: no such file or directory",
        ),
        (["BUNDLE", "--spec", "/nonexistent.yaml"], "openproton: --spec /nonexistent.yaml: no such file or directory"),
        (["BUNDLE", "--target", "everything"], "openproton: --target must be environment, instance:<name>, pipeline"),
        (["BUNDLE", "--target", "pipeline"], "openproton: --target pipeline: an environment template renders"),
    ],
    ids=["no bundle", "no spec", "a target that is none", "a target the bundle lacks"],
)
def test_exit_2_for_usage_mistakes_in_one_line(arguments: list[str], message: str) -> None:
    given = [str(EXAMPLE / "environment") if a == "BUNDLE" else a for a in arguments]
    done = render(*given)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.lower().startswith(message.lower()), done.stderr


def test_out_writes_only_inside_its_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = render(str(EXAMPLE / "environment"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["out/environment/cloudformation.yaml"]


# -- serve's bundle settings --------------------------------------------------------------------------------


def serve(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENPROTON_")} | (env or {})
    return subprocess.run(
        [*openproton_command(), "serve", "--port", "1", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env=environ,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--bundle-dir", "/tmp", "--bundle-s3-endpoint", "aws"],
            "--bundle-s3-endpoint and --bundle-dir cannot both be set",
        ),
        (["--provisioners", "cloudformation,pulumi"], "--provisioners / OPENPROTON_PROVISIONERS takes cloudformation"),
        (["--render-timeout", "0"], "--render-timeout / OPENPROTON_RENDER_TIMEOUT must be a number of seconds"),
        (
            ["--bundle-dir", "/tmp", "--bundle-buckets", "/nonexistent.json"],
            "the bundle buckets file /nonexistent.json",
        ),
    ],
    ids=["two sources", "an unknown provisioner", "no render time", "no buckets file"],
)
def test_serve_refuses_bundle_settings_that_cannot_work(arguments: list[str], message: str) -> None:
    done = serve(*arguments)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert message in done.stderr.splitlines()[-1]


def test_strict_mode_with_a_bundle_source_needs_the_bucket_map(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"AKIDEXAMPLE": {"secret": "s", "account": "123456789012"}}))
    done = serve("--auth", "strict", "--credentials", str(credentials), "--bundle-dir", str(tmp_path))
    assert done.returncode == 2
    assert "--auth strict with a bundle source needs --bundle-buckets FILE" in done.stderr


def test_a_bucket_map_that_is_not_one_is_refused(tmp_path: Path) -> None:
    buckets = tmp_path / "buckets.json"
    buckets.write_text(json.dumps({"not-an-account": ["b"]}))
    done = serve("--bundle-dir", str(tmp_path), "--bundle-buckets", str(buckets))
    assert done.returncode == 2
    assert "'not-an-account' is not a 12-digit account or *" in done.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the refusal is of root")
def test_strict_mode_refuses_codebuild_as_root(tmp_path: Path) -> None:
    """P-25: commands from bundles never run as root where accounts are kept apart."""
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"AKIDEXAMPLE": {"secret": "s", "account": "123456789012"}}))
    done = serve("--auth", "strict", "--credentials", str(credentials), "--provisioners", "codebuild")
    assert done.returncode == 2
    assert "--provisioners codebuild with --auth strict must not run as root" in done.stderr


def test_codebuild_in_default_mode_is_announced_with_a_warning(tmp_path: Path) -> None:
    """P-24: the administrator's flag alone enables commands, and serve says what that allows."""
    from support import ServerProcess

    server = ServerProcess("--provisioners", "codebuild")
    try:
        assert "--provisioners codebuild runs the commands of every registered template bundle" in server.output()
    finally:
        server.stop()
