"""Template sync over a repository of 50 template directories and 200 commits, then an idle re-run (issue 15).

    .venv/bin/python bench/sync_scale.py [--templates N] [--commits C] [--idle-runs R]

A real git repository is made in a temporary directory: `--templates` (default 50) environment templates, each a
`t<i>/v1/` directory with a schema and a few files, written over `--commits` (default 200) commits (each commit
edits one template, round robin). In-process (`mock_proton()`), every template has a sync config on one link
mapped to the repository. The first run is timed from the trigger to its answer: one fetch of the 200 commits,
one listing of every directory's tree, 50 versions registered. The idle run triggers again with no new commit: it
fetches (nothing new) and compares tree ids, and must not redo work; the goal is idle / first <= 0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3

from openproton import mock_proton

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@openproton.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@openproton.invalid",
}
SCHEMA = "schema:\n  format:\n    openapi: 3.0.0\n  environment_input_type: I\n  types:\n    I:\n      type: object\n"
LINK = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=ENV, check=True, capture_output=True)


def make_repository(root: Path, templates: int, commits: int) -> Path:
    repo = root / "templates"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for i in range(templates):
        folder = repo / f"t{i}" / "v1"
        (folder / "schema").mkdir(parents=True)
        (folder / "infrastructure").mkdir()
        (folder / "schema" / "schema.yaml").write_text(SCHEMA)
        (folder / "infrastructure" / "manifest.yaml").write_text("infrastructure:\n  templates: []\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "templates")
    for n in range(1, commits):
        (repo / f"t{n % templates}" / "v1" / "infrastructure" / "cloudformation.yaml").write_text(f"# edit {n}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"edit {n}")
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=50)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--idle-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root, mock_proton() as mock:
        started = time.perf_counter()
        repo = make_repository(Path(root), args.templates, args.commits)
        print(
            f"repository: {args.templates} template directories, {args.commits} commits "
            f"({time.perf_counter() - started:.1f} s to write)",
            flush=True,
        )
        proton = boto3.client("proton", region_name="us-east-1")
        proton.create_repository(
            provider="GITHUB",
            name="acme/templates",
            connectionArn="arn:aws:codestar-connections:us-east-1:123456789012:connection/bench",
        )
        for i in range(args.templates):
            proton.create_environment_template(name=f"t{i}")
            # Unmapped yet: the config's own run fetches nothing, so the timed run below does all the work.
            proton.create_template_sync_config(templateName=f"t{i}", templateType="ENVIRONMENT", branch="main", **LINK)
        mock.map_repository("GITHUB", "acme/templates", str(repo))

        started = time.perf_counter()
        (first,) = mock.sync_repository("GITHUB", "acme/templates")
        first_seconds = time.perf_counter() - started
        registered = len(first["resourceAttempts"])
        assert registered == args.templates, f"the first run registered {registered} versions"

        idle = []
        for _ in range(args.idle_runs):
            started = time.perf_counter()
            (again,) = mock.sync_repository("GITHUB", "acme/templates")
            idle.append(time.perf_counter() - started)
            assert again["resourceAttempts"] == [], "an idle run registered something"
        idle_seconds = statistics.median(idle)
    print(f"first run: {first_seconds * 1000:.0f} ms ({registered} versions registered)")
    print(f"idle run: {idle_seconds * 1000:.0f} ms (median of {args.idle_runs}; nothing registered)")
    print(f"idle / first: {idle_seconds / first_seconds:.3f} (goal <= 0.1)")


if __name__ == "__main__":
    main()
