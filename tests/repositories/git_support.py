"""Real git repositories for the sync tests: `git init` in a temporary directory, files written and committed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "OpenProton tests",
    "GIT_AUTHOR_EMAIL": "tests@openproton.invalid",
    "GIT_COMMITTER_NAME": "OpenProton tests",
    "GIT_COMMITTER_EMAIL": "tests@openproton.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class GitRepo:
    """A repository on disk; its path is the URL an administrator maps a link to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    @property
    def url(self) -> str:
        return str(self.path)

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=_ENV, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(self, files: dict[str, str | None], message: str = "change", *, branch: str = "main") -> str:
        """Write (or, for None, delete) the files on `branch` (made from the current one if new); the new sha."""
        branches = self.git("branch", "--list", branch)
        current = self.git("branch", "--show-current")
        if branch != current:
            has_commits = self.git("rev-list", "--all", "--max-count=1") != ""
            if branches or not has_commits:
                self.git("checkout", "-q", branch) if branches else self.git("checkout", "-q", "-b", branch)
            else:
                self.git("checkout", "-q", "-b", branch)
        for name, text in files.items():
            target = self.path / name
            if text is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head(branch)

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}")

    def tree(self, path: str, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}:{path}")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "remote")
