"""One settings object, read once at start from CLI flags and OPENPROTON_* variables.

Nothing else in OpenProton reads the environment for configuration.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .decided import (
    DEFAULT_KEEP_ALIVE_SECONDS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEAD_BYTES,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
)

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_PORT = 4575

# [decided] D-12: the longest settle delay, a year. A deployment's end time is stored as epoch milliseconds in a
# 64-bit column, so an unbounded delay would overflow it (ours: the bound; `manual` is the way to never end).
MAX_SETTLE_DELAY_SECONDS = 365 * 24 * 3600
# Ours: the longest request and keep-alive timeouts, an hour; longer ones only hold connections open for nothing.
MAX_TIMEOUT_SECONDS = 3600
# Ours: below this a request head cannot hold a SigV4 Authorization header and the usual headers.
MIN_HEAD_BYTES = 1024
# Ours: past this the cap is no cap (each connection is a file descriptor and a buffer).
MAX_CONNECTIONS_CAP = 1_000_000


class SettingsError(ValueError):
    """A setting has a value OpenProton cannot use; the message names the setting."""


def default_database_url() -> str:
    """A SQLite file in the per-user data directory (XDG_DATA_HOME, else ~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'openproton' / 'openproton.sqlite3'}"


def _int(name: str, text: str) -> int:
    """A whole number; its range is Settings.check's, so flags and variables get the same checks."""
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {text!r}") from None


def _float(name: str, text: str, what: str = "a number of seconds") -> float:
    try:
        return float(text)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, not {text!r}") from None


def parse_host_names(text: str) -> tuple[str, ...]:
    """`NAME,NAME` into lower-case host names, skipping empty items (OPENPROTON_ALLOWED_HOSTS, --allowed-hosts)."""
    return tuple(filter(None, (name.strip().lower() for name in text.split(","))))


PROVISIONERS = ("cloudformation", "codebuild", "self-managed")


def parse_provisioners(text: str) -> tuple[str, ...]:
    """`cloudformation,codebuild` into names, lower-cased, each once (checked by Settings.check)."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    return tuple(dict.fromkeys(names))


def _check_whole(label: str, value: int, minimum: int, maximum: int | None = None) -> None:
    if maximum is None and value < minimum:
        raise SettingsError(f"{label} must be at least {minimum}, not {value}")
    if maximum is not None and not minimum <= value <= maximum:
        raise SettingsError(f"{label} must be between {minimum} and {maximum}, not {value}")


def _check_seconds(label: str, value: float, maximum: float) -> None:
    if not (math.isfinite(value) and 0 < value <= maximum):  # NaN fails every comparison, so test it first
        raise SettingsError(f"{label} must be a number of seconds above 0 and at most {maximum:g}, not {value}")


def _bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {text!r}")


def parse_key_accounts(name: str, text: str) -> dict[str, str]:
    """`KEY=ACCOUNT,KEY=ACCOUNT` into a map, checking that each account is 12 digits."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, eq, account = item.partition("=")
        if not eq or not key or not (len(account) == 12 and account.isdigit()):
            raise SettingsError(f"{name} takes KEY=ACCOUNT pairs with 12-digit accounts, not {item!r}")
        mapping[key] = account
    return mapping


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # None: the per-user SQLite file (server mode). "sqlite://" is an in-memory database.
    database_url: str | None = None
    default_account: str = DEFAULT_ACCOUNT
    access_key_accounts: Mapping[str, str] = field(default_factory=dict)
    # [doc] 5 environment account connections per environment account and region, adjustable.
    connection_quota: int = 5
    # [doc] 100 environments per account, adjustable.
    environment_quota: int = 100
    # [doc] Proton's quotas: services per account and region, instances per service.
    service_quota: int = 1000
    service_instance_quota: int = 20
    # [doc] Proton's quota of components per account and region.
    component_quota: int = 100
    # [decided] D-12: how deployments end: succeed (after settle_delay_seconds), fail or manual.
    settle_policy: str = "succeed"
    settle_delay_seconds: float = 0.0
    # [doc] client tokens are remembered for 8 hours.
    client_token_ttl_seconds: int = 8 * 3600
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # POST /_openproton/reset; turn it off for shared deployments.
    reset_enabled: bool = True
    log_level: str = "info"
    # "default": signatures unchecked, the account read from the key. "strict": SigV4 verified against
    # the credentials file, which maps access keys to secrets, accounts and optional session tokens.
    auth: str = "default"
    credentials_file: str | None = None
    # In strict mode the admin endpoints (/_openproton/...) answer only to this token; unset, they refuse all.
    admin_token: str | None = None
    # Fault rules to load at start (a JSON list of rules; see README, Faults).
    faults_file: str | None = None
    # Requests per second per account and operation (a token bucket with `rate_burst`); None turns limits off.
    rate_limit: float | None = None
    rate_burst: int = 10
    # [decided] W-15: the largest request head (request line and headers), in bytes.
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    # [decided] W-16: seconds a client has to send a whole request; seconds an idle keep-alive connection stays
    # open; connections open at once before new requests get 503.
    request_timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    keep_alive_seconds: float = DEFAULT_KEEP_ALIVE_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    # [decided] W-17: Host names a loopback server also answers to (behind a proxy, say), besides loopback ones.
    allowed_hosts: tuple[str, ...] = ()
    # Log one line per call: operation, account, status.
    access_log: bool = False
    # [decided] Y-6 and P-21: the repository map given at start, as a JSON file and as `KEY=URL` entries.
    repository_map_file: str | None = None
    repository_sources: tuple[str, ...] = ()
    # [decided] Y-8: seconds between polls of the mapped remotes (0: no polling), the timeout of every git
    # command, and the lease a run holds on its unit (P-11's `--job-lease-seconds`).
    sync_interval_seconds: float = 60.0
    git_timeout_seconds: float = 60.0
    job_lease_seconds: float = 60.0
    # Where git keeps its disposable fetch cache; None: a temporary directory of the process.
    sync_cache_dir: str | None = None
    # [decided] B-1, B-2: where template bundles come from, one at most: an S3 API (`aws` or a URL) or a
    # directory standing for S3 (None, None: T-2, nothing is fetched).
    bundle_s3_endpoint: str | None = None
    bundle_dir: str | None = None
    # [decided] B-14: a JSON file of the buckets each account may name.
    bundle_buckets_file: str | None = None
    # [decided] P-25: the longest a whole render may take.
    render_timeout_seconds: float = 5.0
    # [decided] P-24: the provisioners the administrator turned on (cloudformation, codebuild, self-managed);
    # empty: every deployment ends by the settle policy. Only this setting, read at start, enables commands.
    provisioners: tuple[str, ...] = ()
    # [decided] P-12: in-process, jobs run inside the call that starts them (`sync`) or on a worker thread
    # (`thread`, with proton.wait()); a server always runs a worker.
    provisioning_mode: str = "sync"
    # [decided] P-10: where a server runs its worker: a child process of each server process (`process`, at a
    # lower OS priority, so jobs never hold the request handlers' GIL) or a thread beside them (`thread`).
    # An in-memory database cannot be shared with another process, so it always keeps the thread.
    provisioning_worker: str = "process"
    # [decided] P-10: how many jobs a worker runs at once (a stack that takes minutes holds no other job back).
    provisioning_concurrency: int = 8
    # [decided] P-13: CloudFormation (and STS) at AWS's regional endpoints (`aws`) or at a URL; roles assumed
    # (`assume`: stacks land in the role's account) or passed (`pass`: own credentials, the role as RoleARN).
    cloudformation_endpoint: str = "aws"
    cloudformation_role_mode: str = "assume"
    # [decided] P-20: the longest a CodeBuild run's commands may take.
    codebuild_timeout_seconds: float = 3600.0
    # [decided] P-18: the URL commands call back on; None: http://<host>:<port>.
    public_url: str | None = None

    @property
    def resolved_public_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (self.public_url or f"http://{host}:{self.port}").rstrip("/")

    @property
    def bundle_source_configured(self) -> bool:
        return bool(self.bundle_s3_endpoint or self.bundle_dir)

    def check(self) -> Settings:
        """Settings that cannot work together are refused at start, by name."""
        if self.auth not in ("default", "strict"):
            raise SettingsError(f"--auth / OPENPROTON_AUTH must be default or strict, not {self.auth!r}")
        if self.settle_policy not in ("succeed", "fail", "manual"):
            raise SettingsError(
                "--settle-policy / OPENPROTON_SETTLE_POLICY must be succeed, fail or manual, "
                f"not {self.settle_policy!r}"
            )
        if self.settle_delay_seconds < 0:
            raise SettingsError(
                f"--settle-delay / OPENPROTON_SETTLE_DELAY must be 0 or more, not {self.settle_delay_seconds}"
            )
        if not self.settle_delay_seconds <= MAX_SETTLE_DELAY_SECONDS:  # also NaN, which compares false
            raise SettingsError(
                f"--settle-delay / OPENPROTON_SETTLE_DELAY must be a number of seconds, at most "
                f"{MAX_SETTLE_DELAY_SECONDS} (a year), not {self.settle_delay_seconds}"
            )
        if self.auth == "strict" and not self.credentials_file:
            raise SettingsError("--auth strict needs --credentials FILE (OPENPROTON_CREDENTIALS)")
        unknown = [name for name in self.provisioners if name not in PROVISIONERS]
        if unknown:
            raise SettingsError(
                f"--provisioners / OPENPROTON_PROVISIONERS takes {', '.join(PROVISIONERS)}, not {unknown[0]!r}"
            )
        if self.auth == "strict" and "codebuild" in self.provisioners and hasattr(os, "geteuid") and os.geteuid() == 0:
            # [decided] P-25: commands from bundles never run as root where accounts are kept apart.
            raise SettingsError("--provisioners codebuild with --auth strict must not run as root: run unprivileged")
        if self.provisioning_mode not in ("sync", "thread"):
            raise SettingsError(f"provisioning_mode must be sync or thread, not {self.provisioning_mode!r}")
        if self.provisioning_worker not in ("process", "thread"):
            raise SettingsError(
                "--provisioning-worker / OPENPROTON_PROVISIONING_WORKER must be process or thread, "
                f"not {self.provisioning_worker!r}"
            )
        if self.cloudformation_role_mode not in ("assume", "pass"):
            raise SettingsError(
                "--cloudformation-role-mode / OPENPROTON_CLOUDFORMATION_ROLE_MODE must be assume or pass, "
                f"not {self.cloudformation_role_mode!r}"
            )
        if self.bundle_s3_endpoint and self.bundle_dir:
            # [decided] B-1
            raise SettingsError("--bundle-s3-endpoint and --bundle-dir cannot both be set: choose one bundle source")
        if self.auth == "strict" and self.bundle_source_configured and not self.bundle_buckets_file:
            # [decided] B-14: the server fetches with its own credentials, so strict mode names the buckets.
            raise SettingsError(
                "--auth strict with a bundle source needs --bundle-buckets FILE (OPENPROTON_BUNDLE_BUCKETS), "
                "the buckets each account may name"
            )
        self._check_ranges()
        return self

    def _check_ranges(self) -> None:
        """Every numeric setting's range, named by its flag (if it has one) and its variable."""
        _check_whole("--port / OPENPROTON_PORT", self.port, 1, 65535)
        _check_whole("OPENPROTON_CONNECTION_QUOTA", self.connection_quota, 1)
        _check_whole("OPENPROTON_ENVIRONMENT_QUOTA", self.environment_quota, 1)
        _check_whole("OPENPROTON_SERVICE_QUOTA", self.service_quota, 1)
        _check_whole("OPENPROTON_SERVICE_INSTANCE_QUOTA", self.service_instance_quota, 1)
        _check_whole("OPENPROTON_COMPONENT_QUOTA", self.component_quota, 1)
        _check_whole(
            "--provisioning-concurrency / OPENPROTON_PROVISIONING_CONCURRENCY", self.provisioning_concurrency, 1, 64
        )
        _check_whole("OPENPROTON_MAX_BODY_BYTES", self.max_body_bytes, 1)
        # No variable: set in-process only (mock_proton(settings=...)).
        _check_whole("client_token_ttl_seconds", self.client_token_ttl_seconds, 1)
        if self.rate_limit is not None and not (math.isfinite(self.rate_limit) and self.rate_limit > 0):
            # None turns limits off; 0, a negative, NaN or infinity would be a limit that cannot work.
            raise SettingsError(f"--rate-limit / OPENPROTON_RATE_LIMIT must be a number above 0, not {self.rate_limit}")
        _check_whole("OPENPROTON_RATE_BURST", self.rate_burst, 1)
        _check_whole("--max-head-bytes / OPENPROTON_MAX_HEAD_BYTES", self.max_head_bytes, MIN_HEAD_BYTES)
        _check_seconds(
            "--request-timeout / OPENPROTON_REQUEST_TIMEOUT", self.request_timeout_seconds, MAX_TIMEOUT_SECONDS
        )
        _check_seconds(
            "--keep-alive-timeout / OPENPROTON_KEEP_ALIVE_TIMEOUT", self.keep_alive_seconds, MAX_TIMEOUT_SECONDS
        )
        _check_whole("--max-connections / OPENPROTON_MAX_CONNECTIONS", self.max_connections, 1, MAX_CONNECTIONS_CAP)
        if not (math.isfinite(self.sync_interval_seconds) and 0 <= self.sync_interval_seconds <= MAX_TIMEOUT_SECONDS):
            raise SettingsError(
                "--sync-interval / OPENPROTON_SYNC_INTERVAL must be a number of seconds from 0 (off) to "
                f"{MAX_TIMEOUT_SECONDS:g}, not {self.sync_interval_seconds}"
            )
        _check_seconds("--git-timeout / OPENPROTON_GIT_TIMEOUT", self.git_timeout_seconds, MAX_TIMEOUT_SECONDS)
        _check_seconds(
            "--job-lease-seconds / OPENPROTON_JOB_LEASE_SECONDS", self.job_lease_seconds, MAX_TIMEOUT_SECONDS
        )
        _check_seconds("--render-timeout / OPENPROTON_RENDER_TIMEOUT", self.render_timeout_seconds, MAX_TIMEOUT_SECONDS)
        _check_seconds("--codebuild-timeout / OPENPROTON_CODEBUILD_TIMEOUT", self.codebuild_timeout_seconds, 8 * 3600)

    def to_env(self) -> dict[str, str]:
        """The OPENPROTON_* variables that make `from_env` rebuild these settings (for worker processes)."""
        return {
            "OPENPROTON_HOST": self.host,
            "OPENPROTON_PORT": str(self.port),
            "OPENPROTON_DATABASE": self.resolved_database_url(),
            "OPENPROTON_DEFAULT_ACCOUNT": self.default_account,
            "OPENPROTON_ACCESS_KEY_ACCOUNTS": ",".join(f"{k}={v}" for k, v in self.access_key_accounts.items()),
            "OPENPROTON_CONNECTION_QUOTA": str(self.connection_quota),
            "OPENPROTON_ENVIRONMENT_QUOTA": str(self.environment_quota),
            "OPENPROTON_SERVICE_QUOTA": str(self.service_quota),
            "OPENPROTON_SERVICE_INSTANCE_QUOTA": str(self.service_instance_quota),
            "OPENPROTON_COMPONENT_QUOTA": str(self.component_quota),
            "OPENPROTON_SETTLE_POLICY": self.settle_policy,
            "OPENPROTON_SETTLE_DELAY": str(self.settle_delay_seconds),
            "OPENPROTON_MAX_BODY_BYTES": str(self.max_body_bytes),
            "OPENPROTON_RESET_ENABLED": "true" if self.reset_enabled else "false",
            "OPENPROTON_LOG_LEVEL": self.log_level,
            "OPENPROTON_AUTH": self.auth,
            "OPENPROTON_CREDENTIALS": self.credentials_file or "",
            "OPENPROTON_ADMIN_TOKEN": self.admin_token or "",
            "OPENPROTON_FAULTS": self.faults_file or "",
            "OPENPROTON_RATE_LIMIT": "" if self.rate_limit is None else str(self.rate_limit),
            "OPENPROTON_RATE_BURST": str(self.rate_burst),
            "OPENPROTON_MAX_HEAD_BYTES": str(self.max_head_bytes),
            "OPENPROTON_REQUEST_TIMEOUT": str(self.request_timeout_seconds),
            "OPENPROTON_KEEP_ALIVE_TIMEOUT": str(self.keep_alive_seconds),
            "OPENPROTON_MAX_CONNECTIONS": str(self.max_connections),
            "OPENPROTON_ALLOWED_HOSTS": ",".join(self.allowed_hosts),
            "OPENPROTON_ACCESS_LOG": "true" if self.access_log else "false",
            "OPENPROTON_REPOSITORY_MAP": self.repository_map_file or "",
            "OPENPROTON_REPOSITORY_SOURCES": " ".join(self.repository_sources),
            "OPENPROTON_SYNC_INTERVAL": str(self.sync_interval_seconds),
            "OPENPROTON_GIT_TIMEOUT": str(self.git_timeout_seconds),
            "OPENPROTON_JOB_LEASE_SECONDS": str(self.job_lease_seconds),
            "OPENPROTON_SYNC_CACHE": self.sync_cache_dir or "",
            "OPENPROTON_BUNDLE_S3_ENDPOINT": self.bundle_s3_endpoint or "",
            "OPENPROTON_BUNDLE_DIR": self.bundle_dir or "",
            "OPENPROTON_BUNDLE_BUCKETS": self.bundle_buckets_file or "",
            "OPENPROTON_RENDER_TIMEOUT": str(self.render_timeout_seconds),
            "OPENPROTON_PROVISIONERS": ",".join(self.provisioners),
            "OPENPROTON_PROVISIONING_WORKER": self.provisioning_worker,
            "OPENPROTON_PROVISIONING_CONCURRENCY": str(self.provisioning_concurrency),
            "OPENPROTON_CLOUDFORMATION_ENDPOINT": self.cloudformation_endpoint,
            "OPENPROTON_CLOUDFORMATION_ROLE_MODE": self.cloudformation_role_mode,
            "OPENPROTON_CODEBUILD_TIMEOUT": str(self.codebuild_timeout_seconds),
            "OPENPROTON_PUBLIC_URL": self.public_url or "",
        }

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if "OPENPROTON_HOST" in env:
            values["host"] = env["OPENPROTON_HOST"]
        if "OPENPROTON_PORT" in env:
            values["port"] = _int("OPENPROTON_PORT", env["OPENPROTON_PORT"])
        if "OPENPROTON_DATABASE" in env:
            values["database_url"] = env["OPENPROTON_DATABASE"]
        if "OPENPROTON_DEFAULT_ACCOUNT" in env:
            account = env["OPENPROTON_DEFAULT_ACCOUNT"]
            if not (len(account) == 12 and account.isdigit()):
                raise SettingsError(f"OPENPROTON_DEFAULT_ACCOUNT must be 12 digits, not {account!r}")
            values["default_account"] = account
        if "OPENPROTON_ACCESS_KEY_ACCOUNTS" in env:
            values["access_key_accounts"] = parse_key_accounts(
                "OPENPROTON_ACCESS_KEY_ACCOUNTS", env["OPENPROTON_ACCESS_KEY_ACCOUNTS"]
            )
        if "OPENPROTON_CONNECTION_QUOTA" in env:
            values["connection_quota"] = _int("OPENPROTON_CONNECTION_QUOTA", env["OPENPROTON_CONNECTION_QUOTA"])
        if "OPENPROTON_ENVIRONMENT_QUOTA" in env:
            values["environment_quota"] = _int("OPENPROTON_ENVIRONMENT_QUOTA", env["OPENPROTON_ENVIRONMENT_QUOTA"])
        for name, member in (
            ("OPENPROTON_SERVICE_QUOTA", "service_quota"),
            ("OPENPROTON_SERVICE_INSTANCE_QUOTA", "service_instance_quota"),
            ("OPENPROTON_COMPONENT_QUOTA", "component_quota"),
        ):
            if name in env:
                values[member] = _int(name, env[name])
        if "OPENPROTON_SETTLE_POLICY" in env:
            values["settle_policy"] = env["OPENPROTON_SETTLE_POLICY"].strip().lower()
        if env.get("OPENPROTON_SETTLE_DELAY"):
            values["settle_delay_seconds"] = _float("OPENPROTON_SETTLE_DELAY", env["OPENPROTON_SETTLE_DELAY"])
        if "OPENPROTON_MAX_BODY_BYTES" in env:
            values["max_body_bytes"] = _int("OPENPROTON_MAX_BODY_BYTES", env["OPENPROTON_MAX_BODY_BYTES"])
        if "OPENPROTON_RESET_ENABLED" in env:
            values["reset_enabled"] = _bool("OPENPROTON_RESET_ENABLED", env["OPENPROTON_RESET_ENABLED"])
        if "OPENPROTON_LOG_LEVEL" in env:
            values["log_level"] = env["OPENPROTON_LOG_LEVEL"].lower()
        if "OPENPROTON_AUTH" in env:
            values["auth"] = env["OPENPROTON_AUTH"].lower()
        if env.get("OPENPROTON_CREDENTIALS"):
            values["credentials_file"] = env["OPENPROTON_CREDENTIALS"]
        if env.get("OPENPROTON_ADMIN_TOKEN"):
            values["admin_token"] = env["OPENPROTON_ADMIN_TOKEN"]
        if env.get("OPENPROTON_FAULTS"):
            values["faults_file"] = env["OPENPROTON_FAULTS"]
        if env.get("OPENPROTON_RATE_LIMIT"):
            values["rate_limit"] = _float("OPENPROTON_RATE_LIMIT", env["OPENPROTON_RATE_LIMIT"], "a number")
        if "OPENPROTON_RATE_BURST" in env:
            values["rate_burst"] = _int("OPENPROTON_RATE_BURST", env["OPENPROTON_RATE_BURST"])
        if "OPENPROTON_MAX_HEAD_BYTES" in env:
            values["max_head_bytes"] = _int("OPENPROTON_MAX_HEAD_BYTES", env["OPENPROTON_MAX_HEAD_BYTES"])
        if env.get("OPENPROTON_REQUEST_TIMEOUT"):
            values["request_timeout_seconds"] = _float("OPENPROTON_REQUEST_TIMEOUT", env["OPENPROTON_REQUEST_TIMEOUT"])
        if env.get("OPENPROTON_KEEP_ALIVE_TIMEOUT"):
            values["keep_alive_seconds"] = _float("OPENPROTON_KEEP_ALIVE_TIMEOUT", env["OPENPROTON_KEEP_ALIVE_TIMEOUT"])
        if "OPENPROTON_MAX_CONNECTIONS" in env:
            values["max_connections"] = _int("OPENPROTON_MAX_CONNECTIONS", env["OPENPROTON_MAX_CONNECTIONS"])
        if env.get("OPENPROTON_ALLOWED_HOSTS"):
            values["allowed_hosts"] = parse_host_names(env["OPENPROTON_ALLOWED_HOSTS"])
        if "OPENPROTON_ACCESS_LOG" in env:
            values["access_log"] = _bool("OPENPROTON_ACCESS_LOG", env["OPENPROTON_ACCESS_LOG"])
        if env.get("OPENPROTON_REPOSITORY_MAP"):
            values["repository_map_file"] = env["OPENPROTON_REPOSITORY_MAP"]
        if env.get("OPENPROTON_REPOSITORY_SOURCES"):
            # [decided] Y-6: whitespace-separated entries (a URL never holds unescaped whitespace).
            values["repository_sources"] = tuple(env["OPENPROTON_REPOSITORY_SOURCES"].split())
        for name, member in (
            ("OPENPROTON_SYNC_INTERVAL", "sync_interval_seconds"),
            ("OPENPROTON_GIT_TIMEOUT", "git_timeout_seconds"),
            ("OPENPROTON_JOB_LEASE_SECONDS", "job_lease_seconds"),
        ):
            if env.get(name):
                values[member] = _float(name, env[name])
        if env.get("OPENPROTON_SYNC_CACHE"):
            values["sync_cache_dir"] = env["OPENPROTON_SYNC_CACHE"]
        for name, member in (
            ("OPENPROTON_BUNDLE_S3_ENDPOINT", "bundle_s3_endpoint"),
            ("OPENPROTON_BUNDLE_DIR", "bundle_dir"),
            ("OPENPROTON_BUNDLE_BUCKETS", "bundle_buckets_file"),
        ):
            if env.get(name):
                values[member] = env[name]
        if env.get("OPENPROTON_PROVISIONERS"):
            values["provisioners"] = parse_provisioners(env["OPENPROTON_PROVISIONERS"])
        if env.get("OPENPROTON_PROVISIONING_WORKER"):
            values["provisioning_worker"] = env["OPENPROTON_PROVISIONING_WORKER"].strip().lower()
        if env.get("OPENPROTON_PROVISIONING_CONCURRENCY"):
            values["provisioning_concurrency"] = _int(
                "OPENPROTON_PROVISIONING_CONCURRENCY", env["OPENPROTON_PROVISIONING_CONCURRENCY"]
            )
        for name, member in (
            ("OPENPROTON_CLOUDFORMATION_ENDPOINT", "cloudformation_endpoint"),
            ("OPENPROTON_CLOUDFORMATION_ROLE_MODE", "cloudformation_role_mode"),
            ("OPENPROTON_PUBLIC_URL", "public_url"),
        ):
            if env.get(name):
                values[member] = env[name]
        if env.get("OPENPROTON_CODEBUILD_TIMEOUT"):
            values["codebuild_timeout_seconds"] = _float(
                "OPENPROTON_CODEBUILD_TIMEOUT", env["OPENPROTON_CODEBUILD_TIMEOUT"]
            )
        if env.get("OPENPROTON_RENDER_TIMEOUT"):
            values["render_timeout_seconds"] = _float("OPENPROTON_RENDER_TIMEOUT", env["OPENPROTON_RENDER_TIMEOUT"])
        return cls(**values)
