"""The one place OpenProton runs `git` ([decided] Y-6): fetching mapped remotes into a disposable cache.

git runs without a shell, with `--` before every URL and path, hooks and the `ext::` transport off and no
prompts; every process has a timeout. Files are read from git objects (ls-tree, cat-file), never a checkout,
so nothing in a fetched repository runs or lands on disk as a file. Error lines name the remote by the link's
name, never by its URL (which may carry credentials).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", "-c", "credential.interactive=never")
_USER_INFO = re.compile(r"([A-Za-z][\w+.-]*://)[^/@\s]*@")
_BROKEN = ("not a git repository", "corrupt", "bad object", "unable to read", "does not appear to be")


class GitError(Exception):
    """A git command failed; str() is one line, naming the remote by its display name."""


class GitTimeout(GitError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"git timed out after {seconds:g} seconds")


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    kind: str  # blob, tree or commit (a submodule)
    object_id: str
    path: str  # from the repository root


@lru_cache(maxsize=1024)
def valid_branch(name: str) -> bool:
    """What `git check-ref-format --branch` accepts (and no leading `-`, which it would read as an option)."""
    if not name or name.startswith("-"):
        return False
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, timeout=10, check=False, env=_env()
    )
    return done.returncode == 0


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="", LC_ALL="C")
    return env


class GitSource:
    def __init__(self, cache_root: Path | None, *, timeout_seconds: float = 60.0, git: str = "git") -> None:
        self._owned = cache_root is None
        self.root = Path(tempfile.mkdtemp(prefix="openproton-git-")) if cache_root is None else cache_root
        self.root.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout_seconds
        self.git = git
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        if self._owned:
            atexit.register(self.close)

    def close(self) -> None:
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- running git -------------------------------------------------------------------------------------

    def _directory(self, key: str) -> Path:
        return self.root / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _run(self, key: str, args: list[str], *, display: str = "", url: str = "", stdin: bytes | None = None) -> bytes:
        command = [self.git, *_SAFE, "--git-dir", str(self._directory(key)), *args]
        try:
            done = subprocess.run(
                command, input=stdin, capture_output=True, timeout=self.timeout, check=False, env=_env()
            )
        except subprocess.TimeoutExpired:
            raise GitTimeout(self.timeout) from None
        if done.returncode != 0:
            raise GitError(self._error_line(done.stderr, done.returncode, url, display))
        return done.stdout

    @staticmethod
    def _error_line(stderr: bytes, code: int, url: str, display: str) -> str:
        lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        # git's last error line; when one of its error lines names the remote, that one (the lines after it,
        # such as "Could not read from remote repository.", say less).
        errors = [line for line in lines if line.startswith(("fatal: ", "error: "))]
        naming = [line for line in errors if url and url.rstrip("/") in line]
        line = (naming or errors or lines or [f"git exited with status {code}"])[-1]
        for prefix in ("fatal: ", "error: "):
            line = line.removeprefix(prefix)
        if url:
            for variant in sorted({url, url.rstrip("/"), url.removesuffix(".git")}, key=len, reverse=True):
                if variant:
                    line = line.replace(variant, display)
        return _USER_INFO.sub(r"\1***@", line)

    def _ensure(self, key: str) -> None:
        directory = self._directory(key)
        if not (directory / "HEAD").exists():
            shutil.rmtree(directory, ignore_errors=True)
            self._run(key, ["init", "--bare", "-q", str(directory)])

    @contextlib.contextmanager
    def _exclusive(self, key: str) -> Iterator[None]:
        """One fetch of a key at a time, across threads (a lock) and processes (flock beside the cache)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock, open(self._directory(key).with_suffix(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- fetching ----------------------------------------------------------------------------------------

    def fetch(self, key: str, url: str, *, display: str) -> dict[str, str]:
        """Fetch every branch of the remote; {branch: head sha}. One fetch per call."""
        if url.startswith("-"):
            raise GitError(f"the remote of {display} is not a usable URL")
        with self._exclusive(key):
            for attempt in (1, 2):
                self._ensure(key)
                try:
                    self._run(
                        key,
                        ["fetch", "--prune", "--no-tags", "--quiet", "--", url, "+refs/heads/*:refs/heads/*"],
                        display=display,
                        url=url,
                    )
                    listed = self._run(key, ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads"])
                    break
                except GitTimeout:
                    raise
                except GitError as error:
                    # A broken cache is thrown away and made again, once; a remote's own error is the caller's.
                    if attempt == 2 or not any(sign in str(error) for sign in _BROKEN) or url in str(error):
                        raise
                    shutil.rmtree(self._directory(key), ignore_errors=True)
        heads: dict[str, str] = {}
        for line in listed.decode("utf-8", "replace").splitlines():
            sha, _, ref = line.partition(" ")
            branch = ref.removeprefix("refs/heads/")
            if valid_branch(branch):
                heads[branch] = sha
        return heads

    # -- reading objects ---------------------------------------------------------------------------------

    def entries(
        self, key: str, commit: str, path: str = "", *, recursive: bool = False, trees_only: bool = False
    ) -> list[TreeEntry]:
        """Entries under `path` at `commit`: its children, or every descendant when recursive."""
        treeish = f"{commit}:{path}" if path else commit
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args += ["-r", "-t"]
        if trees_only:
            args.append("-d")
        try:
            out = self._run(key, [*args, treeish])
        except GitError:
            return []  # no such directory at that commit
        found = []
        prefix = f"{path}/" if path else ""
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, _, name = record.partition("\t")
            mode, kind, object_id = meta.split(" ")
            if trees_only and kind != "tree":
                continue
            found.append(TreeEntry(mode, kind, object_id, prefix + name))
        return found

    def tree_id(self, key: str, commit: str, path: str) -> str | None:
        try:
            out = self._run(
                key, ["rev-parse", "--verify", "--quiet", f"{commit}^{{tree}}" if not path else f"{commit}:{path}"]
            )
        except GitError:
            return None
        object_id = out.decode().strip()
        try:
            kind = self._run(key, ["cat-file", "-t", object_id]).decode().strip()
        except GitError:
            return None
        return object_id if kind == "tree" else None

    def read_file(self, key: str, commit: str, path: str, *, max_bytes: int) -> bytes | None:
        return self.read_files(key, commit, [path], max_bytes=max_bytes).get(path)

    def read_files(self, key: str, commit: str, paths: list[str], *, max_bytes: int) -> dict[str, bytes]:
        """Regular files at `commit` (absent ones, directories, links and submodules omitted), in one process."""
        wanted: dict[str, TreeEntry] = {}
        for path in paths:
            parent = path.rpartition("/")[0]
            for entry in self.entries(key, commit, parent):
                if entry.path == path and entry.kind == "blob" and entry.mode in ("100644", "100755"):
                    wanted[path] = entry
        if not wanted:
            return {}
        request = "".join(f"{entry.object_id}\n" for entry in wanted.values()).encode()
        sizes = self._run(key, ["cat-file", "--batch-check=%(objectsize)"], stdin=request).split()
        for (path, _entry), size in zip(wanted.items(), sizes, strict=True):
            if int(size) > max_bytes:
                raise GitError(f"{path} is larger than {max_bytes} bytes")
        out = self._run(key, ["cat-file", "--batch"], stdin=request)
        files: dict[str, bytes] = {}
        position = 0
        for path in wanted:
            header_end = out.index(b"\n", position)
            size = int(out[position:header_end].split()[2])
            files[path] = out[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1
        return files
