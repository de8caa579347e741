"""The one place OpenProton runs `git` ([decided] Y-6): fetching mapped remotes into a disposable cache, and
(self-managed provisioning, [decided] P-22) committing to them and pushing.

git runs without a shell, with `--` before every URL and path, hooks and the `ext::` transport off, no prompts
and a timeout on every process. Files are read from git objects (ls-tree, cat-file), never a checkout, so
nothing in a fetched repository runs or lands on disk as a file; commits are made the same way, through a private
index file, never a working tree. Error lines name the remote by its display
name (the link, `GITHUB:owner/repo`), never by its URL, which may carry credentials.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Command-line config wins over every config file, so a user's or a repository's settings cannot turn these off.
_SAFETY = (
    *("-c", "core.hooksPath=/dev/null"),
    *("-c", "protocol.ext.allow=never"),
    *("-c", "credential.interactive=never"),
    # Auto-gc runs inside the fetch (and its timeout) instead of detaching past it into a cache we may delete.
    *("-c", "gc.autoDetach=false"),
    *("-c", "maintenance.autoDetach=false"),
    # Commits are made for the server (P-22): an operator's signing setting must not run gpg on them.
    *("-c", "commit.gpgSign=false"),
)
# Variables that point git at another repository (`git rev-parse --local-env-vars`, less the config ones:
# those are the operator's, like GIT_SSL_CAINFO, and their credential settings must keep working).
_FOREIGN = frozenset(
    {
        *("GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX"),
        *("GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_GRAFT_FILE", "GIT_SHALLOW_FILE"),
        *("GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_INTERNAL_SUPER_PREFIX", "GIT_NAMESPACE"),
        "GIT_QUARANTINE_PATH",
    }
)
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_USER_INFO = re.compile(r"([A-Za-z][\w+.-]*://)[^/@\s'\"]*@")
_REGULAR = ("100644", "100755")
# Words git uses when the cache itself (not the remote) is unusable.
_BROKEN = ("not a git repository", "corrupt", "bad object", "loose object", "unable to read", "invalid object")
_BROKEN += ("bad config", "unknown repository format", "is empty")


class GitError(Exception):
    """A git command failed; str() is one line, git's last error line with the remote named by its display name."""


class GitTimeout(GitError):
    """A git process ran past the timeout and was killed, with everything it started."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"git timed out after {seconds:g} seconds")


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str  # 100644, 100755, 120000 (symlink), 040000 (tree), 160000 (submodule)
    kind: str  # blob, tree or commit (a submodule)
    object_id: str
    path: str  # from the repository root, no leading or trailing "/"


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _FOREIGN}
    # No prompt can wait on a terminal; C messages (the broken-cache check reads them); paths are never globs.
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_LITERAL_PATHSPECS="1")
    return env


@lru_cache(maxsize=4096)
def valid_branch(name: str) -> bool:
    """What `git check-ref-format --branch` accepts; a leading `-` would be read as an option, and `@`/`@{...}`
    would be resolved against whatever repository the process stands in, so those are refused first."""
    if not name or name.startswith("-") or name == "@" or "@{" in name or "\0" in name:
        return False
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, timeout=10, check=False, env=_env()
    )
    return done.returncode == 0


def _clean(path: str) -> str | None:
    """A path from the root without surrounding slashes; None for one git would resolve elsewhere ('..')."""
    path = path.strip("/")
    if path and any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def _url_forms(url: str) -> list[str]:
    """The ways git may print the URL: as given, without credentials, with or without a trailing / or .git."""
    forms = {url, _USER_INFO.sub(r"\1", url)}
    if url.startswith("file://"):
        forms.add(unquote(urlsplit(url).path))
    for form in list(forms):
        base = form.rstrip("/").removesuffix(".git")
        forms.update({base, base + "/", base + ".git", base + ".git/"})
    return sorted((form for form in forms if form), key=len, reverse=True)


def _error_line(stderr: bytes, code: int, url: str = "", display: str = "") -> str:
    """git's last error line: the last line of its first paragraph (advice follows a blank line), skipping the
    generic 'Could not read from remote repository.' when the transport said why; the URL shown as `display`."""
    text = stderr.decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.split("\n\n")[0].splitlines() if line.strip()]
    lines = [line for line in lines if "Could not read from remote repository" not in line] or lines
    if not lines:
        return f"git exited with status {code}"
    line = lines[-1].removeprefix("fatal: ").removeprefix("error: ")
    if url:  # one pass, so a form of the URL inside `display` itself is left alone
        forms = "|".join(re.escape(form) for form in _url_forms(url))
        line = re.sub(rf"(?<![\w.-])(?:{forms})(?![\w-])", lambda _: display, line)
    return _USER_INFO.sub(r"\1***@", line)


class GitSource:
    """Bare repositories, one per mapped remote, fetched and read without ever checking anything out."""

    def __init__(self, cache_root: Path | None, *, timeout_seconds: float = 60.0, git: str = "git") -> None:
        self._owned = cache_root is None
        self._root: Path | None = None if cache_root is None else Path(cache_root).absolute()
        if self._root is not None:
            self._root.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout_seconds
        self.git = git
        self._locks: dict[str, threading.RLock] = {}
        self._depth: dict[str, int] = {}
        self._guard = threading.Lock()

    @property
    def root(self) -> Path:
        """The cache's directory, made when git first runs (a mock per test that never syncs makes none)."""
        with self._guard:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="openproton-git-")).absolute()
                atexit.register(self.close)
            return self._root

    def close(self) -> None:
        with self._guard:
            root, owned = self._root, self._owned
        if owned and root is not None:
            shutil.rmtree(root, ignore_errors=True)

    # -- running git -------------------------------------------------------------------------------------

    def _directory(self, key: str) -> Path:
        return self.root / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _spawn(
        self, args: list[str], stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> tuple[int, bytes, bytes]:
        """Run git; past the timeout its whole process group (remote helpers, ssh) is killed. `env`: variables
        of this call only (a private index, the committer)."""
        try:
            process = subprocess.Popen(
                [self.git, *_SAFETY, *args],
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**_env(), **(env or {})},
                start_new_session=True,  # no controlling terminal to prompt on, and one group to kill
            )
        except OSError as error:
            raise GitError(f"cannot run {self.git}: {error.strerror}") from None
        with process:
            try:
                out, err = process.communicate(stdin, timeout=self.timeout)
            except BaseException as error:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                if isinstance(error, subprocess.TimeoutExpired):
                    raise GitTimeout(self.timeout) from None
                raise
        return process.returncode, out, err

    def _run(
        self, key: str, args: list[str], stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> bytes:
        code, out, err = self._spawn([f"--git-dir={self._directory(key)}", *args], stdin, env)
        if code != 0:
            raise GitError(_error_line(err, code))
        return out

    @contextlib.contextmanager
    def exclusive(self, key: str) -> Iterator[None]:
        """This key's cache to one holder at a time, across threads (a lock) and processes (flock beside the
        cache): one fetch at a time, and a self-managed job's fetch, commit and push as one piece. Re-entrant in
        the thread that holds it."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            depth = self._depth.get(key, 0)  # only the thread holding `lock` reads or writes it
            if depth:
                self._depth[key] = depth + 1
                try:
                    yield
                finally:
                    self._depth[key] = depth
                return
            directory = self._directory(key)
            with open(directory.with_name(directory.name + ".lock"), "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth[key] = 1
                try:
                    yield
                finally:
                    self._depth[key] = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _init(self, directory: Path) -> None:
        if directory.is_symlink() or directory.is_file():
            directory.unlink()
        shutil.rmtree(directory, ignore_errors=True)
        # No template: nothing (hooks included) is copied in from the user's or the system's template directory.
        code, _, err = self._spawn(["init", "--bare", "-q", "--template=", "--", str(directory)])
        if code != 0:
            raise GitError(_error_line(err, code))

    # -- fetching ----------------------------------------------------------------------------------------

    def fetch(self, key: str, url: str, *, display: str) -> dict[str, str]:
        """Fetch every branch of the remote into this key's cache; {branch: head sha}. One `git fetch` per call,
        two if the cache turns out broken (it is made again, once)."""
        if url.startswith("-"):
            raise GitError(f"the URL of {display} begins with '-', which git would read as an option")
        directory = self._directory(key)
        fetch = ["fetch", "--prune", "--no-tags", "--quiet", "--no-recurse-submodules"]
        listed = b""
        with self.exclusive(key):
            for attempt in (1, 2):
                if not (directory / "HEAD").is_file():
                    self._init(directory)
                code, _, err = self._spawn([f"--git-dir={directory}", *fetch, "--", url, "+refs/heads/*:refs/heads/*"])
                if code == 0:
                    code, listed, err = self._spawn(
                        [f"--git-dir={directory}", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads"]
                    )
                    if code == 0:
                        break
                if attempt == 2 or not self._broken(err, directory):
                    raise GitError(_error_line(err, code, url, display))
                shutil.rmtree(directory, ignore_errors=True)
        heads: dict[str, str] = {}
        for line in listed.decode("utf-8", "surrogateescape").splitlines():
            sha, _, ref = line.partition(" ")
            branch = ref.removeprefix("refs/heads/")
            if valid_branch(branch):
                heads[branch] = sha
        return heads

    @staticmethod
    def _broken(stderr: bytes, directory: Path) -> bool:
        text = stderr.decode("utf-8", "replace")
        return str(directory) in text or any(sign in text for sign in _BROKEN)

    # -- reading objects ---------------------------------------------------------------------------------

    @staticmethod
    def _commit(commit: str) -> str:
        if not _COMMIT.fullmatch(commit):
            raise GitError(f"{commit!r} is not a commit id")
        return commit

    def _listing(self, key: str, args: list[str]) -> Iterator[tuple[str, str, str, str, str]]:
        """ls-tree -z records as (mode, kind, object id, size or '', path)."""
        for record in self._run(key, ["ls-tree", "-z", "--full-tree", *args]).split(b"\0"):
            if record:
                meta, _, name = record.decode("utf-8", "surrogateescape").partition("\t")
                mode, kind, object_id, *size = meta.split()
                yield mode, kind, object_id, (size[0] if size else ""), name

    def tree_id(self, key: str, commit: str, path: str) -> str | None:
        """The tree id of directory `path` ('' = the root) at `commit`; None when absent or not a directory."""
        clean = _clean(path)
        if clean is None or "\n" in clean:
            return None
        commit = self._commit(commit)
        name = f"{commit}:{clean}" if clean else f"{commit}^{{tree}}"
        # --batch-check reads the name from stdin: nothing about it can be taken for an option.
        answer = self._run(key, ["cat-file", "--batch-check"], f"{name}\n".encode()).decode(errors="replace").split()
        return answer[0] if len(answer) == 3 and answer[1] == "tree" else None

    def entries(
        self, key: str, commit: str, path: str = "", *, recursive: bool = False, trees_only: bool = False
    ) -> list[TreeEntry]:
        """Entries under `path` at `commit` (its children, or every descendant when recursive), in git's order.
        One process: with `recursive` and `trees_only`, every directory's tree id in one go. [] when `path` is
        absent or not a directory."""
        clean = _clean(path)
        if clean is None:
            return []
        flags = (["-r"] if recursive else []) + (["-d"] if trees_only else ["-t"] if recursive else [])
        prefix = f"{clean}/" if clean else ""
        # A pathspec "dir/" (not "commit:dir") makes an absent directory an empty answer rather than an error;
        # with -t git also lists the trees leading to it, which the prefix filter drops.
        spec = ["--", prefix] if clean else []
        return [
            TreeEntry(mode, kind, object_id, name)
            for mode, kind, object_id, _, name in self._listing(key, [*flags, self._commit(commit), *spec])
            if name.startswith(prefix) and not (trees_only and kind != "tree")
        ]

    def read_file(self, key: str, commit: str, path: str, *, max_bytes: int) -> bytes | None:
        """A regular file's bytes at `commit`; None when absent, a directory, a symlink or a submodule."""
        return self.read_files(key, commit, [path], max_bytes=max_bytes).get(path)

    def read_files(
        self, key: str, commit: str, paths: list[str], *, max_bytes: int, skip_larger: bool = False
    ) -> dict[str, bytes]:
        """Regular files at `commit`, keyed as asked (absent ones omitted): one ls-tree finds them and their
        sizes, one `cat-file --batch` reads them. One larger than `max_bytes`: GitError, or left out with
        `skip_larger`."""
        asked = {clean: path for path in paths if (clean := _clean(path))}
        if not asked:
            return {}
        found: dict[str, tuple[str, int]] = {}
        for mode, kind, object_id, size, name in self._listing(key, ["-r", "-l", self._commit(commit), "--", *asked]):
            if name in asked and kind == "blob" and mode in _REGULAR:
                if int(size) > max_bytes:
                    if skip_larger:
                        continue
                    raise GitError(f"{name} is larger than {max_bytes} bytes ({size} bytes)")
                found[name] = (object_id, int(size))
        if not found:
            return {}
        out = self._run(key, ["cat-file", "--batch"], "".join(f"{oid}\n" for oid, _ in found.values()).encode())
        files: dict[str, bytes] = {}
        position = 0
        for name, (_, size) in found.items():
            start = out.index(b"\n", position) + 1
            files[asked[name]] = out[start : start + size]
            position = start + size + 1  # the content is followed by a newline
        return files

    # -- writing (self-managed provisioning, [decided] P-22) -------------------------------------------------

    def listing(self, key: str, commit: str, paths: list[str]) -> dict[str, TreeEntry]:
        """Every entry at or under `paths` at `commit`, the trees on the way included, by path."""
        clean = [path for given in paths if (path := _clean(given))]
        if not clean:
            return {}
        return {
            name: TreeEntry(mode, kind, object_id, name)
            for mode, kind, object_id, _, name in self._listing(key, ["-r", "-t", self._commit(commit), "--", *clean])
        }

    def commit(
        self, key: str, parent: str, changes: Mapping[str, bytes | None], message: str, *, author: tuple[str, str]
    ) -> str:
        """A commit on `parent` with `changes` (path to content; None removes the file), made in a private index
        (read-tree, update-index, write-tree, commit-tree); `parent` itself when the tree would not change."""
        parent = self._commit(parent)
        for path in changes:
            # One path per record: nothing in a name may read as a second record or leave the repository.
            if _clean(path) != path or not path or "\0" in path:
                raise GitError(f"{path!r} is not a path inside the repository")
        with tempfile.TemporaryDirectory(prefix="openproton-index-") as directory:
            index = {"GIT_INDEX_FILE": str(Path(directory) / "index")}
            self._run(key, ["read-tree", parent], env=index)
            records = []
            for path, content in sorted(changes.items()):
                if content is None:
                    records.append(f"0 {'0' * 40}\t{path}")
                else:
                    object_id = self._run(key, ["hash-object", "-w", "--stdin"], content).decode().strip()
                    records.append(f"100644 {object_id}\t{path}")
            # NUL-terminated records: no path can be read as two, whatever it holds.
            self._run(key, ["update-index", "-z", "--index-info"], "".join(f"{r}\0" for r in records).encode(), index)
            tree = self._run(key, ["write-tree"], env=index).decode().strip()
        if tree == self._run(key, ["rev-parse", f"{parent}^{{tree}}"]).decode().strip():
            return parent
        name, email = author
        who = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name}
        who["GIT_COMMITTER_EMAIL"] = email
        return self._run(key, ["commit-tree", tree, "-p", parent], message.encode(), who).decode().strip()

    def push(self, key: str, url: str, refspecs: list[str], *, display: str, atomic: bool = False) -> None:
        """Push `refspecs` from this key's cache; GitError with git's last line, the remote named `display`.
        `atomic`: every ref or none (a branch and the target it fast-forwards)."""
        if url.startswith("-"):
            raise GitError(f"the URL of {display} begins with '-', which git would read as an option")
        args = ["push", "--quiet", "--no-verify", "--recurse-submodules=no", *(["--atomic"] if atomic else [])]
        code, _, err = self._spawn([f"--git-dir={self._directory(key)}", *args, "--", url, *refspecs])
        if code != 0:
            raise GitError(_error_line(err, code, url, display))

    def has_commit(self, key: str, commit: str) -> bool:
        """Whether this key's cache holds `commit` (one made here before a restart, say)."""
        name = f"{self._commit(commit)}^{{commit}}"
        code, _, _ = self._spawn([f"--git-dir={self._directory(key)}", "cat-file", "-e", name])
        return code == 0

    def is_ancestor(self, key: str, ancestor: str, descendant: str) -> bool:
        """Whether `descendant` already contains `ancestor` (a branch someone merged)."""
        args = ["merge-base", "--is-ancestor", self._commit(ancestor), self._commit(descendant)]
        code, _, err = self._spawn([f"--git-dir={self._directory(key)}", *args])
        if code not in (0, 1):
            raise GitError(_error_line(err, code))
        return code == 0
