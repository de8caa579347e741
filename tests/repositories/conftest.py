"""The sync tests' real git repositories (git_support.py), as a fixture of this family."""

from repositories.git_support import repo  # noqa: F401
