"""The git layer ([decided] Y-6) against real git: fetching into the cache, reading objects, and what must never
happen (a shell, a hook, an option smuggled in as a URL, a URL or its credentials in an error)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from openproton.proton.git_source import GitError, GitSource, GitTimeout, TreeEntry, _error_line, valid_branch
from repositories.git_support import GitRepo

KEY = "GITHUB:acme/templates"


@pytest.fixture
def source(tmp_path: Path) -> GitSource:
    return GitSource(tmp_path / "cache", timeout_seconds=20)


def cache_of(source: GitSource, key: str = KEY) -> Path:
    return source.root / hashlib.sha256(key.encode()).hexdigest()[:32]


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def tree_repo(repo: GitRepo) -> str:
    """a/f, a/run (executable), a/link -> f, a/b/g, a/b/c/h, d/y and a submodule `sub`; the head sha."""
    repo.commit({"a/f": "f\n", "a/b/g": "g\n", "a/b/c/h": "h\n", "d/y": "y\n"})
    executable(repo.path / "a/run", "#!/bin/sh\n")
    (repo.path / "a/link").symlink_to("f")
    repo.commit({}, "more")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},sub")
    repo.git("commit", "-q", "-m", "submodule")
    return repo.head()


# -- fetching ------------------------------------------------------------------------------------------------


def test_fetch_returns_every_branch_head(repo: GitRepo, source: GitSource) -> None:
    repo.commit({"README": "main\n"})
    repo.commit({"x": "x\n"}, branch="feature/x")

    heads = source.fetch(KEY, repo.url, display=KEY)

    assert heads == {"main": repo.head("main"), "feature/x": repo.head("feature/x")}


def test_a_second_fetch_moves_the_head_and_prunes_deleted_branches(repo: GitRepo, source: GitSource) -> None:
    first = repo.commit({"README": "1\n"})
    repo.commit({"x": "x\n"}, branch="gone")
    assert source.fetch(KEY, repo.url, display=KEY) == {"main": first, "gone": repo.head("gone")}
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "gone")
    second = repo.commit({"README": "2\n"})

    assert source.fetch(KEY, repo.url, display=KEY) == {"main": second}
    assert second != first


def test_an_empty_remote_has_no_branches(repo: GitRepo, source: GitSource) -> None:
    assert source.fetch(KEY, repo.url, display=KEY) == {}


def test_a_file_url_works_like_a_path(repo: GitRepo, source: GitSource) -> None:
    head = repo.commit({"README": "x\n"})

    assert source.fetch(KEY, f"file://{repo.path}", display=KEY) == {"main": head}


def test_a_branch_git_would_refuse_is_not_returned(tmp_path: Path, repo: GitRepo, source: GitSource) -> None:
    head = repo.commit({"README": "x\n"})
    # git itself will not make such a branch; a hand-written ref file can.
    (repo.path / ".git/refs/heads/bad.lock").write_text(head + "\n")

    assert source.fetch(KEY, repo.url, display=KEY) == {"main": head}


def test_a_missing_remote_is_named_by_its_display_not_its_path(tmp_path: Path, source: GitSource) -> None:
    missing = tmp_path / "nowhere" / "templates"

    with pytest.raises(GitError) as raised:
        source.fetch(KEY, str(missing), display=KEY)

    assert str(raised.value) == f"'{KEY}' does not appear to be a git repository"
    with pytest.raises(GitError) as raised:
        source.fetch(KEY, f"file://{missing}", display=KEY)
    assert str(raised.value) == f"'{KEY}' does not appear to be a git repository"


def test_credentials_in_a_url_are_never_shown(monkeypatch: pytest.MonkeyPatch, source: GitSource) -> None:
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    url = "https://user:secret@127.0.0.1:9/x.git"  # nothing listens on the discard port

    with pytest.raises(GitError) as raised:
        source.fetch(KEY, url, display=KEY)

    message = str(raised.value)
    assert message.startswith(f"unable to access '{KEY}'")
    assert "secret" not in message
    assert "https://" not in message
    assert "\n" not in message


def test_an_error_line_never_shows_user_info_even_of_another_url() -> None:
    stderr = b"warning: redirecting\nfatal: unable to access 'https://bob:pw@mirror.example/x/': boom\n"

    line = _error_line(stderr, 128, "https://h.example/y", KEY)

    assert line == "unable to access 'https://***@mirror.example/x/': boom"


def test_an_error_line_skips_git_advice_and_says_the_status_when_git_said_nothing() -> None:
    stderr = (
        b"ssh: connect to host h port 22: Connection refused\r\n"
        b"fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\n"
    )
    assert _error_line(stderr, 128, "git@h:acme/x.git", KEY) == "ssh: connect to host h port 22: Connection refused"
    assert _error_line(b"", 1) == "git exited with status 1"


@pytest.mark.parametrize(
    "url",
    ["--upload-pack=touch {marker}", "-u touch {marker}", "ssh://-oProxyCommand=touch%20{marker}/x"],
)
def test_a_url_cannot_smuggle_an_option(tmp_path: Path, source: GitSource, url: str) -> None:
    marker = tmp_path / "ran"

    with pytest.raises(GitError):
        source.fetch(KEY, url.format(marker=marker), display=KEY)

    assert not marker.exists()


def test_the_ext_transport_is_refused(tmp_path: Path, source: GitSource) -> None:
    marker = tmp_path / "ran"

    with pytest.raises(GitError) as raised:
        source.fetch(KEY, f"ext::sh -c touch% {marker}", display=KEY)

    assert str(raised.value) == "transport 'ext' not allowed"
    assert not marker.exists()


def test_no_hook_runs_on_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo: GitRepo) -> None:
    def hook(marker: Path) -> str:
        return f'#!/bin/sh\necho "$0" >> {marker}\n'

    # A template directory would copy hooks into a new cache; the cache's own hooks dir is planted below.
    executable(tmp_path / "template/hooks/reference-transaction", hook(tmp_path / "template-hook-ran"))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "template"))
    source = GitSource(tmp_path / "cache")
    repo.commit({"README": "1\n"})
    source.fetch(KEY, repo.url, display=KEY)
    cache = cache_of(source)
    repo.commit({"README": "2\n"})
    # Hooks in the remote (git commits there would run them, so they come after the commits) and in the cache.
    for name in ("post-update", "reference-transaction", "pre-receive", "post-checkout", "pre-upload"):
        executable(repo.path / ".git/hooks" / name, hook(tmp_path / "remote-hook-ran"))
    executable(cache / "hooks/reference-transaction", hook(tmp_path / "cache-hook-ran"))
    subprocess.run(["git", "--git-dir", str(cache), "config", "core.hooksPath", str(cache / "hooks")], check=True)

    assert source.fetch(KEY, repo.url, display=KEY) == {"main": repo.head()}

    assert sorted(path.name for path in tmp_path.glob("*-ran")) == []
    # The planted hook is real: git without OpenProton's options runs it.
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", "3")
    plain = ["git", "--git-dir", str(cache), "fetch", "-q", repo.url, "+refs/heads/*:refs/heads/*"]
    subprocess.run(plain, check=True)
    assert sorted(path.name for path in tmp_path.glob("*-ran")) == ["cache-hook-ran"]


def test_a_git_process_past_the_timeout_is_stopped(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"README": "x\n"})

    with pytest.raises(GitTimeout) as raised:
        GitSource(tmp_path / "quick", timeout_seconds=0.001).fetch(KEY, repo.url, display=KEY)
    assert str(raised.value) == "git timed out after 0.001 seconds"


def test_a_timeout_kills_everything_git_started(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"README": "x\n"})
    pid_file = tmp_path / "helper.pid"
    # A "git" whose fetch hangs in a helper process holding git's output open, as ssh or a remote helper would.
    wrapper = executable(
        tmp_path / "bin/git",
        f'#!/bin/sh\nfor a in "$@"; do [ "$a" = fetch ] && {{ sleep 30 & echo $! > {pid_file}; wait; }}; done\n'
        'exec git "$@"\n',
    )
    source = GitSource(tmp_path / "cache", timeout_seconds=0.5, git=str(wrapper))
    started = time.monotonic()

    with pytest.raises(GitTimeout) as raised:
        source.fetch(KEY, repo.url, display=KEY)

    assert str(raised.value) == "git timed out after 0.5 seconds"
    assert time.monotonic() - started < 5
    helper = Path(f"/proc/{pid_file.read_text().strip()}/status")
    deadline = time.monotonic() + 2
    while helper.exists() and "State:\tZ" not in helper.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not helper.exists() or "State:\tZ" in helper.read_text()


# -- the cache -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["objects", "HEAD"])
def test_a_broken_cache_is_made_again(repo: GitRepo, source: GitSource, damage: str) -> None:
    repo.commit({"README": "1\n"})
    source.fetch(KEY, repo.url, display=KEY)
    cache = cache_of(source)
    if damage == "objects":
        subprocess.run(["rm", "-rf", str(cache / "objects")], check=True)
    else:
        (cache / "HEAD").write_text("garbage\n")
    head = repo.commit({"README": "2\n"})

    assert source.fetch(KEY, repo.url, display=KEY) == {"main": head}
    assert source.read_file(KEY, head, "README", max_bytes=100) == b"2\n"


def test_the_cache_is_one_bare_repository_per_key(repo: GitRepo, source: GitSource) -> None:
    repo.commit({"README": "x\n"})
    source.fetch(KEY, repo.url, display=KEY)
    source.fetch("GITHUB:acme/other", repo.url, display="GITHUB:acme/other")

    names = sorted(path.name for path in source.root.iterdir() if path.is_dir())
    assert names == sorted(cache_of(source, key).name for key in (KEY, "GITHUB:acme/other"))
    assert (
        subprocess.run(
            ["git", "--git-dir", str(cache_of(source)), "rev-parse", "--is-bare-repository"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        == "true"
    )
    assert not (cache_of(source) / "hooks").exists()


def test_a_temporary_cache_is_removed_by_close(repo: GitRepo) -> None:
    repo.commit({"README": "x\n"})
    source = GitSource(None)
    source.fetch(KEY, repo.url, display=KEY)
    assert source.root.is_dir()

    source.close()

    assert not source.root.exists()


def test_fetches_of_one_key_from_threads_and_sources_all_succeed(tmp_path: Path, repo: GitRepo) -> None:
    head = repo.commit({"README": "x\n"})
    sources = [GitSource(tmp_path / "cache"), GitSource(tmp_path / "cache")]  # two sources: only flock guards
    start = threading.Barrier(4)
    results: list[dict[str, str] | BaseException] = []

    def fetch(source: GitSource) -> None:
        start.wait()
        try:
            results.append(source.fetch(KEY, repo.url, display=KEY))
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=fetch, args=(sources[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [{"main": head}] * 4


def test_a_fetch_waits_for_another_process_holding_the_key(repo: GitRepo, source: GitSource) -> None:
    head = repo.commit({"README": "x\n"})
    lock = cache_of(source).with_name(cache_of(source).name + ".lock")
    results: list[dict[str, str]] = []
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        thread = threading.Thread(target=lambda: results.append(source.fetch(KEY, repo.url, display=KEY)))
        thread.start()
        time.sleep(0.2)
        assert thread.is_alive() and results == []
    thread.join()

    assert results == [{"main": head}]


# -- reading objects -----------------------------------------------------------------------------------------


def test_tree_ids_agree_with_git(repo: GitRepo, source: GitSource) -> None:
    head = tree_repo(repo)
    source.fetch(KEY, repo.url, display=KEY)

    assert source.tree_id(KEY, head, "") == repo.git("rev-parse", f"{head}^{{tree}}")
    assert source.tree_id(KEY, head, "a/b") == repo.tree("a/b")
    assert source.tree_id(KEY, head, "/a/b/") == repo.tree("a/b")
    for not_a_directory in ("a/f", "a/link", "sub", "missing", "a/../a", "a/b/c/h/x"):
        assert source.tree_id(KEY, head, not_a_directory) is None


def test_entries_are_children_or_descendants_in_git_order(repo: GitRepo, source: GitSource) -> None:
    head = tree_repo(repo)
    source.fetch(KEY, repo.url, display=KEY)

    def blob(path: str, mode: str = "100644") -> TreeEntry:
        return TreeEntry(mode, "blob", repo.git("rev-parse", f"{head}:{path}"), path)

    def tree(path: str) -> TreeEntry:
        return TreeEntry("040000", "tree", repo.tree(path), path)

    assert source.entries(KEY, head, "a") == [
        tree("a/b"),
        blob("a/f"),
        blob("a/link", "120000"),
        blob("a/run", "100755"),
    ]
    assert source.entries(KEY, head, "a/b", recursive=True) == [tree("a/b/c"), blob("a/b/c/h"), blob("a/b/g")]
    assert source.entries(KEY, head, "a", trees_only=True) == [tree("a/b")]
    assert source.entries(KEY, head, recursive=True, trees_only=True) == [
        tree("a"),
        tree("a/b"),
        tree("a/b/c"),
        tree("d"),
    ]
    root = source.entries(KEY, head)
    assert [(entry.path, entry.kind, entry.mode) for entry in root] == [
        ("a", "tree", "040000"),
        ("d", "tree", "040000"),
        ("sub", "commit", "160000"),
    ]
    for not_a_directory in ("missing", "a/f", "a/link", "sub", "../a"):
        assert source.entries(KEY, head, not_a_directory, recursive=True) == []


def test_read_file_reads_regular_files_only(repo: GitRepo, source: GitSource) -> None:
    head = tree_repo(repo)
    source.fetch(KEY, repo.url, display=KEY)

    assert source.read_file(KEY, head, "a/b/c/h", max_bytes=2) == b"h\n"
    assert source.read_file(KEY, head, "a/run", max_bytes=100) == b"#!/bin/sh\n"
    for not_a_file in ("missing", "a", "a/b/", "a/link", "sub", "a/../a/f"):
        assert source.read_file(KEY, head, not_a_file, max_bytes=100) is None


def test_a_file_over_the_limit_is_an_error_naming_it(repo: GitRepo, source: GitSource) -> None:
    head = repo.commit({"big.txt": "0123456789\n"})
    source.fetch(KEY, repo.url, display=KEY)

    with pytest.raises(GitError) as raised:
        source.read_file(KEY, head, "big.txt", max_bytes=10)

    assert str(raised.value) == "big.txt is larger than 10 bytes (11 bytes)"


def test_read_files_reads_several_at_once(repo: GitRepo, source: GitSource) -> None:
    head = tree_repo(repo)
    source.fetch(KEY, repo.url, display=KEY)

    files = source.read_files(KEY, head, ["a/f", "missing", "a/b/g", "a/b", "d/y", "a/link"], max_bytes=100)

    assert files == {"a/f": b"f\n", "a/b/g": b"g\n", "d/y": b"y\n"}
    assert source.read_files(KEY, head, [], max_bytes=100) == {}


def test_reading_needs_a_commit_id(repo: GitRepo, source: GitSource) -> None:
    repo.commit({"README": "x\n"})
    source.fetch(KEY, repo.url, display=KEY)

    for commit in ("main", "", "--output=/tmp/x"):
        with pytest.raises(GitError):
            source.read_file(KEY, commit, "README", max_bytes=100)


# -- branch names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["main", "feature/x", "v1.2", "release-2024"])
def test_valid_branch_accepts_what_git_accepts(name: str) -> None:
    assert valid_branch(name)


@pytest.mark.parametrize("name", ["-x", "a..b", "a b", "x.lock", "", "@", "@{-1}", "a/", "HEAD", "a\0b", "a~1"])
def test_valid_branch_refuses_what_git_refuses(name: str) -> None:
    assert not valid_branch(name)


def test_the_environment_cannot_point_git_at_another_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo: GitRepo, source: GitSource
) -> None:
    head = repo.commit({"README": "x\n"})
    monkeypatch.setenv("GIT_DIR", str(repo.path / ".git"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(tmp_path))

    assert source.fetch(KEY, repo.url, display=KEY) == {"main": head}
    assert source.read_file(KEY, head, "README", max_bytes=10) == b"x\n"
    assert os.environ["GIT_DIR"] == str(repo.path / ".git")


@pytest.mark.parametrize(
    "path", ["a\0b", "a.tf\0" + "0 " + "0" * 40 + "\tREADME.md", "../outside", "a//b", "./a", "/abs", ""]
)
def test_a_commit_refuses_a_path_that_is_not_one_clean_path_inside_the_repository(
    source: GitSource, repo: GitRepo, path: str
) -> None:
    """[decided] P-22: every change is one index record for one path in the repository, whatever its name holds."""
    head = repo.commit({"README.md": "kept\n"})
    source.fetch(KEY, repo.url, display="GITHUB:acme/infra")
    with pytest.raises(GitError, match="is not a path inside the repository"):
        source.commit(KEY, head, {path: b"x"}, "message", author=("t", "t@example.invalid"))
    made = source.commit(KEY, head, {"dev/main.tf": b"x"}, "message", author=("t", "t@example.invalid"))
    assert source.read_file(KEY, made, "README.md", max_bytes=100) == b"kept\n"
    assert source.read_file(KEY, made, "dev/main.tf", max_bytes=100) == b"x"
