"""The repository map ([decided] Y-6 and P-21): which git remote a repository link reads from.

Only an administrator writes it: at start (`--repository-map FILE`, `--repository-source KEY=URL`) or at run time
(the admin endpoints, `proton.map_repository`). An API caller names a repository only by provider and name, so
sync never runs git with a URL a caller chose. Run-time entries are kept in the database, so every replica
follows them, and win over those given at start; removing an entry given at start leaves a tombstone row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openproton.redaction import redact
from openproton.settings import SettingsError
from openproton.store import Database
from openproton.store import sync_state as store

PROVIDERS = ("GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET")
MODES = ("branch", "direct")


class RepositoryMapError(ValueError):
    """An entry that cannot be used; the message says why."""


def map_key(provider: str, name: str) -> str:
    """`<PROVIDER>:<name>`, the provider in any case on the way in, upper case in the key."""
    upper = provider.upper()
    if upper not in PROVIDERS:
        raise RepositoryMapError(f"the provider of {provider}:{name} must be one of {', '.join(PROVIDERS)}")
    if not name or name != name.strip() or len(name) > 100:
        raise RepositoryMapError(f"{provider}:{name!r} does not name a repository")
    return f"{upper}:{name}"


def split_key(key: str) -> tuple[str, str]:
    provider, sep, name = key.partition(":")
    if not sep:
        raise RepositoryMapError(f"{key!r} is not a repository key such as GITHUB:owner/repo")
    return provider, name


@dataclass(frozen=True, slots=True)
class MapEntry:
    key: str
    url: str
    mode: str = "branch"
    accounts: tuple[str, ...] | None = None  # None: every account (default mode), none (strict mode)
    run_time: bool = False

    @property
    def provider(self) -> str:
        return split_key(self.key)[0]

    @property
    def name(self) -> str:
        return split_key(self.key)[1]

    def serves(self, account_id: str, *, strict: bool) -> bool:
        """[decided] P-21: an entry serves only the accounts it lists; without a list, all of them, except in
        strict mode, where one tenant must never read another's repository by default."""
        if self.accounts is None:
            return not strict
        return account_id in self.accounts

    def to_dict(self) -> dict[str, Any]:
        provider, name = split_key(self.key)
        entry: dict[str, Any] = {
            "key": self.key,
            "provider": provider,
            "name": name,
            "url": redact(self.url),
            "mode": self.mode,
            "source": "run-time" if self.run_time else "start",
        }
        if self.accounts is not None:
            entry["accounts"] = list(self.accounts)
        return entry


def make_entry(
    provider: str, name: str, url: Any, mode: Any = "branch", accounts: Any = None, *, run_time: bool = False
) -> MapEntry:
    key = map_key(provider, name)
    if not isinstance(url, str) or not url.strip() or url != url.strip():
        raise RepositoryMapError(f"the url of {key} must be a git remote (a path or a URL)")
    if url.startswith("-"):
        raise RepositoryMapError(f"the url of {key} must not begin with '-'")
    if mode not in MODES:
        raise RepositoryMapError(f"the mode of {key} must be branch or direct, not {mode!r}")
    if accounts is not None:
        if not isinstance(accounts, list) or not all(
            isinstance(a, str) and len(a) == 12 and a.isdigit() for a in accounts
        ):
            raise RepositoryMapError(f"the accounts of {key} must be a list of 12-digit account ids")
        accounts = tuple(accounts)
    return MapEntry(key, url, mode, accounts, run_time)


def entry_from_dict(provider: str, name: str, data: Any, *, run_time: bool) -> MapEntry:
    if not isinstance(data, dict):
        raise RepositoryMapError('an entry is a JSON object such as {"url": "/srv/git/templates.git"}')
    unknown = sorted(set(data) - {"url", "mode", "accounts"})
    if unknown:
        raise RepositoryMapError(f"unknown repository map fields: {', '.join(unknown)}")
    return make_entry(
        provider, name, data.get("url"), data.get("mode", "branch"), data.get("accounts"), run_time=run_time
    )


def started_with(map_file: str | None, sources: Iterable[str]) -> dict[str, MapEntry]:
    """The map given at start; any entry that cannot be used, or a key given twice, stops `serve` (exit 2)."""
    entries: dict[str, MapEntry] = {}

    def add(entry: MapEntry, where: str) -> None:
        if entry.key in entries:
            raise SettingsError(f"{where}: the repository {entry.key} is mapped twice")
        entries[entry.key] = entry

    if map_file:
        try:
            data = json.loads(Path(map_file).read_text())
        except OSError as error:
            raise SettingsError(f"cannot read the repository map {map_file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise SettingsError(f"the repository map {map_file} is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"the repository map {map_file} must hold a JSON object keyed by PROVIDER:name")
        for key, value in data.items():
            try:
                entry = entry_from_dict(*split_key(key), value, run_time=False)
            except RepositoryMapError as error:
                raise SettingsError(f"the repository map {map_file}: {error}") from None
            add(entry, f"the repository map {map_file}")
    for source in sources:
        # [decided] Y-6: split at the first `=`, so a URL keeps its own.
        key, sep, url = source.partition("=")
        try:
            if not sep:
                raise RepositoryMapError(f"{source!r} is not PROVIDER:NAME=URL")
            entry = make_entry(*split_key(key), url)
        except RepositoryMapError as error:
            raise SettingsError(f"--repository-source / OPENPROTON_REPOSITORY_SOURCES: {error}") from None
        add(entry, "--repository-source / OPENPROTON_REPOSITORY_SOURCES")
    return entries


class RepositoryMap:
    """The map in force: run-time entries (the database) over those given at start (this process)."""

    def __init__(self, started: Mapping[str, MapEntry], *, strict: bool) -> None:
        self.started = dict(started)
        self.strict = strict

    def entries(self, database: Database) -> dict[str, MapEntry]:
        merged = dict(self.started)
        with database.transaction(write=False) as tx:
            rows = store.map_entries(tx)
        for row in rows:
            if row["url"] is None:  # an entry given at start, removed at run time
                merged.pop(row["key"], None)
                continue
            provider, name = split_key(row["key"])
            accounts = json.loads(row["accounts"]) if row["accounts"] else None
            merged[row["key"]] = make_entry(provider, name, row["url"], row["mode"], accounts, run_time=True)
        return dict(sorted(merged.items()))

    def lookup(self, database: Database, provider: str, name: str) -> MapEntry | None:
        return self.entries(database).get(map_key(provider, name))

    def put(self, database: Database, entry: MapEntry, now_ms: int) -> MapEntry:
        with database.transaction(write=True) as tx:
            database.lock(tx, "repository-map")
            store.put_map_entry(
                tx,
                {
                    "key": entry.key,
                    "url": entry.url,
                    "mode": entry.mode,
                    "accounts": None if entry.accounts is None else json.dumps(list(entry.accounts)),
                    "updated_at": now_ms,
                },
            )
        return MapEntry(entry.key, entry.url, entry.mode, entry.accounts, run_time=True)

    def remove(self, database: Database, provider: str, name: str, now_ms: int) -> bool:
        """Whether the key was mapped. An entry given at start stays removed (a tombstone) for every replica."""
        key = map_key(provider, name)
        mapped = key in self.entries(database)
        with database.transaction(write=True) as tx:
            database.lock(tx, "repository-map")
            store.delete_map_entry(tx, key)
            if key in self.started:
                store.put_map_entry(tx, {"key": key, "url": None, "mode": None, "accounts": None, "updated_at": now_ms})
        return mapped
