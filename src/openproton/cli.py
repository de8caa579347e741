"""The `openproton` command: serve, migrate, export, import, audit, render, coverage."""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openproton._version import __version__
from openproton.decided import (
    DEFAULT_KEEP_ALIVE_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEAD_BYTES,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
)
from openproton.offline_render_command import add_render_command
from openproton.settings import DEFAULT_PORT, Settings, SettingsError, parse_host_names, parse_provisioners

if TYPE_CHECKING:
    from openproton.store import Database

# --workers: each worker is a process with its own pool of database connections.
MAX_WORKERS = 64


class CommandError(Exception):
    """A user mistake the command reports as one line (`openproton: ...`) and exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    return (
        Settings.from_env()
        .with_overrides(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            database_url=getattr(args, "database", None),
            log_level=getattr(args, "log_level", None),
            auth=getattr(args, "auth", None),
            credentials_file=getattr(args, "credentials", None),
            admin_token=getattr(args, "admin_token", None),
            faults_file=getattr(args, "faults", None),
            rate_limit=getattr(args, "rate_limit", None),
            settle_policy=getattr(args, "settle_policy", None),
            settle_delay_seconds=getattr(args, "settle_delay", None),
            access_log=getattr(args, "access_log", None),
            max_head_bytes=getattr(args, "max_head_bytes", None),
            request_timeout_seconds=getattr(args, "request_timeout", None),
            keep_alive_seconds=getattr(args, "keep_alive_timeout", None),
            max_connections=getattr(args, "max_connections", None),
            allowed_hosts=getattr(args, "allowed_hosts", None),
            repository_map_file=getattr(args, "repository_map", None),
            # Flags add to the variable's entries; a key given twice is refused when the map is built.
            repository_sources=_sources(args),
            sync_interval_seconds=getattr(args, "sync_interval", None),
            git_timeout_seconds=getattr(args, "git_timeout", None),
            job_lease_seconds=getattr(args, "job_lease_seconds", None),
            sync_cache_dir=getattr(args, "sync_cache", None),
            bundle_s3_endpoint=getattr(args, "bundle_s3_endpoint", None),
            bundle_dir=getattr(args, "bundle_dir", None),
            bundle_buckets_file=getattr(args, "bundle_buckets", None),
            render_timeout_seconds=getattr(args, "render_timeout", None),
            provisioners=getattr(args, "provisioners", None),
            provisioning_worker=getattr(args, "provisioning_worker", None),
            provisioning_concurrency=getattr(args, "provisioning_concurrency", None),
            cloudformation_endpoint=getattr(args, "cloudformation_endpoint", None),
            cloudformation_role_mode=getattr(args, "cloudformation_role_mode", None),
            codebuild_timeout_seconds=getattr(args, "codebuild_timeout", None),
            public_url=getattr(args, "public_url", None),
        )
        .check()
    )


def _sources(args: argparse.Namespace) -> tuple[str, ...] | None:
    given = getattr(args, "repository_source", None)
    if not given:
        return None
    return (*Settings.from_env().repository_sources, *given)


def _open_for_reading(settings: Settings) -> Database:
    """The database of a reading command (export, audit): it must exist and be migrated; nothing is created."""
    from openproton.server import masked_url, open_database
    from openproton.store.database import SCHEMA_HEAD

    database = open_database(settings, existing=True)
    version = database.schema_version()
    where = masked_url(settings.resolved_database_url())
    if version is None:
        raise CommandError(f"{where} has no OpenProton tables: run `openproton migrate` first")
    if version != SCHEMA_HEAD:
        raise CommandError(
            f"{where} is at schema revision {version}, this openproton reads {SCHEMA_HEAD}: "
            "run `openproton migrate` first"
        )
    return database


def _os_reason(error: OSError) -> str:
    from openproton.server import lower_first

    return lower_first(error.strerror or str(error))


def _check_workers(workers: int, settings: Settings) -> None:
    if not 1 <= workers <= MAX_WORKERS:
        raise SettingsError(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    if workers > 1 and settings.resolved_database_url() == "sqlite://":
        raise SettingsError("--workers needs a shared database: an in-memory SQLite database lives in one process")


def _address(settings: Settings) -> str:
    return f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}"


def _bind(settings: Settings) -> socket.socket:
    """The listening socket, bound before anything is announced (as uvicorn binds it: SO_REUSEADDR, IPv6 by ':')."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, settings.port))
    except OSError as error:  # also socket.gaierror, for a host name that does not resolve
        sock.close()
        raise CommandError(f"cannot listen on {_address(settings)}: {_os_reason(error)}") from None
    return sock


def _listen(sock: socket.socket, settings: Settings) -> None:
    try:
        sock.listen(2048)  # uvicorn's default backlog
    except OSError as error:  # another SO_REUSEADDR socket bound the port and listened first
        raise CommandError(f"cannot listen on {_address(settings)}: {_os_reason(error)}") from None
    sock.set_inheritable(True)  # worker processes serve on it too


def _describe_database(url: str) -> str:
    from openproton.store.database import sqlite_path

    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            return "SQLite in memory (state is lost when the server stops)"
        return f"SQLite file {Path(path).resolve()}"
    return url.split("@")[-1] if "@" in url else url


def _banner(settings: Settings) -> str:
    endpoint = f"http://{_address(settings)}"
    return f"""\
OpenProton {__version__}
  database: {_describe_database(settings.resolved_database_url())}
  endpoint: {endpoint}   (health: {endpoint}/_openproton/health)
  console:  {endpoint}/console

  AWS CLI:
    AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=x \\
      aws proton list-environment-account-connections --requested-by ENVIRONMENT_ACCOUNT \\
      --endpoint-url {endpoint} --region us-east-1

  boto3:
    boto3.client("proton", endpoint_url="{endpoint}", region_name="us-east-1",
                 aws_access_key_id="111111111111", aws_secret_access_key="x")

  A 12-digit access key ID is the caller's account; any other key acts as {settings.default_account}.
  Deployments: {_describe_settle(settings)} (PUT {endpoint}/_openproton/settle-policy to change).
"""


def _describe_settle(settings: Settings) -> str:
    if settings.settle_policy == "manual":
        return "manual, they wait to be settled through the admin interface"
    after = f"after {settings.settle_delay_seconds:g} s" if settings.settle_delay_seconds else "at once"
    return f"{'succeed' if settings.settle_policy == 'succeed' else 'fail'} {after}"


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from openproton.server import create_app, open_database

    settings = _settings(args)
    workers = args.workers
    _check_workers(workers, settings)
    if "codebuild" in settings.provisioners:
        # [decided] P-24: the administrator's choice alone; say plainly what it allows.
        print(
            "openproton: warning: --provisioners codebuild runs the commands of every registered template bundle "
            "on this host; anyone who can register a template version can run commands here. Run it unprivileged.",
            file=sys.stderr,
            flush=True,
        )
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # OpenProton writes the access log itself (operation, account, status), when settings.access_log says so.
        "access_log": False,
        # The pipeline writes its own Date header (in-process mode needs one too).
        "date_header": False,
        "server_header": False,
        "lifespan": "on",
        # Client addresses from X-Forwarded-For are never used; skip the middleware that would read them.
        "proxy_headers": False,
        # [decided] W-15 and W-16: bounded request heads, slow clients closed, connections capped (503 past it).
        "http": "openproton.transports.http_protocol:GuardedHttpToolsProtocol",
        "timeout_keep_alive": settings.keep_alive_seconds,
        # The cap is the protocol's own (its 503 is JSON, and it fits the cap to the open-file limit).
        "limit_concurrency": None,
    }
    # Bind first, then announce: a port in use is an error before the banner, not after it. The port is bound
    # before the migration and listens after it, so the first connection finds the server ready.
    with _bind(settings) as sock:
        if workers == 1:
            app = create_app(settings)
            _listen(sock, settings)
            print(_banner(settings), flush=True)
            return _run_one(app, options, sock)
        # Worker processes rebuild the settings from the environment; the schema is migrated once, here, first.
        open_database(settings).migrate()
        os.environ.update(settings.to_env())
        _listen(sock, settings)
        print(_banner(settings) + f"  workers: {workers}\n", flush=True)
        return _run_workers(workers, options, sock)


def _run_one(app: Any, options: dict[str, Any], sock: socket.socket) -> int:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **options))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled, once it has shut down
        server.run(sockets=[sock])
    return 0 if server.started else 1  # a failed start (lifespan) has logged why


def _run_workers(workers: int, options: dict[str, Any], sock: socket.socket) -> int:
    import inspect

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("openproton.server:app_from_environment", factory=True, workers=workers, **options)
    # What uvicorn.run does for workers, on our socket; older uvicorns also want the function each worker runs.
    extra = {"target": uvicorn.Server(config).run} if "target" in inspect.signature(Multiprocess).parameters else {}
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock], **extra).run()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from openproton.server import open_database

    settings = _settings(args)
    database = open_database(settings)
    database.migrate()
    print(f"Migrated {_describe_database(settings.resolved_database_url())} to the newest schema.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import orjson

    from openproton.store.transfer import export_state

    settings = _settings(args)
    state = export_state(_open_for_reading(settings))
    payload = orjson.dumps(state, option=orjson.OPT_INDENT_2) + b"\n"
    if args.output in (None, "-"):
        sys.stdout.buffer.write(payload)
    else:
        try:
            Path(args.output).write_bytes(payload)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {_os_reason(error)}") from None
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in state["tables"].items())
    print(f"Exported {counts} from {_describe_database(settings.resolved_database_url())}.", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import orjson

    from openproton.server import open_database
    from openproton.store.transfer import StateImportError, import_state

    settings = _settings(args)
    try:
        data = orjson.loads(sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        print(f"openproton: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    database = open_database(settings)
    database.migrate()
    try:
        counts = import_state(database, data)
    except StateImportError as error:
        print(f"openproton: import refused: {error}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"Imported {summary} into {_describe_database(settings.resolved_database_url())}.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import orjson

    from openproton.proton.audit import AuditLog
    from openproton.proton.clock import SystemClock

    database = _open_for_reading(_settings(args))
    entries = AuditLog(database, SystemClock()).entries(after_seq=args.after, limit=args.limit)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(entries, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    from datetime import UTC, datetime

    for entry in entries:
        when = datetime.fromtimestamp(entry["time"], UTC).isoformat(timespec="milliseconds")
        print(
            f"{entry['seq']:>6} {when} {entry['accountId']} {entry['region']:<14} {entry['operation']:<40} "
            f"{entry['outcome']:<32} {entry['resource'] or '-'}"
        )
    if not entries:
        print("No audit entries.", file=sys.stderr)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from openproton.coverage import coverage_markdown, coverage_rows

    if args.markdown:
        sys.stdout.write(coverage_markdown())
        return 0
    rows = coverage_rows()
    width = max(len(name) for name, _ in rows)
    for name, implemented in rows:
        print(f"{name:<{width}}  {'implemented' if implemented else '-'}")
    done = sum(1 for _, implemented in rows if implemented)
    print(f"\n{done} of {len(rows)} operations implemented.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openproton", description="A self-hosted AWS Proton API server.")
    parser.add_argument("--version", action="version", version=f"openproton {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the Proton API server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, OPENPROTON_HOST)")
    serve.add_argument("--port", type=int, help=f"port to listen on (default {DEFAULT_PORT}, OPENPROTON_PORT)")
    serve.add_argument(
        "--database",
        help="sqlite:///PATH, sqlite:// (in memory) or postgresql://... "
        "(default: a SQLite file in the per-user data directory)",
    )
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="the least severe messages logged (default info; OPENPROTON_LOG_LEVEL)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        default=None,  # absent: OPENPROTON_ACCESS_LOG decides
        help="log one line per call: operation, account and status (default off; OPENPROTON_ACCESS_LOG)",
    )
    serve.add_argument(
        "--auth",
        choices=["default", "strict"],
        help="default: signatures unchecked; strict: SigV4 verified against --credentials",
    )
    serve.add_argument("--credentials", help="JSON file mapping access keys to secrets and accounts (strict mode)")
    serve.add_argument("--admin-token", help="token the admin endpoints require in strict mode")
    serve.add_argument("--faults", help="JSON file of fault rules to load at start (OPENPROTON_FAULTS)")
    serve.add_argument(
        "--rate-limit",
        type=float,
        help="requests per second per account and operation (OPENPROTON_RATE_LIMIT; off by default)",
    )
    serve.add_argument(
        "--settle-policy",
        choices=["succeed", "fail", "manual"],
        help="how deployments end (default succeed; OPENPROTON_SETTLE_POLICY); "
        "change it at run time with PUT /_openproton/settle-policy",
    )
    serve.add_argument(
        "--settle-delay",
        type=float,
        metavar="SECONDS",
        help="seconds a deployment runs before it ends under succeed or fail (default 0; OPENPROTON_SETTLE_DELAY)",
    )
    serve.add_argument(
        "--max-head-bytes",
        type=int,
        metavar="N",
        help="the largest request head (request line and headers) in bytes, at least 1024 "
        f"(default {DEFAULT_MAX_HEAD_BYTES}; OPENPROTON_MAX_HEAD_BYTES)",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds a client has to send a whole request, at most 3600 "
        f"(default {DEFAULT_REQUEST_TIMEOUT_SECONDS:g}; OPENPROTON_REQUEST_TIMEOUT)",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds an idle keep-alive connection stays open, at most 3600 "
        f"(default {DEFAULT_KEEP_ALIVE_SECONDS:g}; OPENPROTON_KEEP_ALIVE_TIMEOUT)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        metavar="N",
        help="connections open at once before new requests get 503 "
        f"(default {DEFAULT_MAX_CONNECTIONS}; OPENPROTON_MAX_CONNECTIONS)",
    )
    serve.add_argument(
        "--allowed-hosts",
        type=parse_host_names,
        metavar="NAME[,NAME]",
        help="Host names a loopback server also answers to, besides loopback ones, e.g. behind a proxy "
        "(default none; OPENPROTON_ALLOWED_HOSTS)",
    )
    serve.add_argument(
        "--repository-map",
        metavar="FILE",
        help='JSON file mapping repository links to git remotes: {"GITHUB:owner/repo": {"url": ..., "mode": '
        '"branch", "accounts": [...]}} (OPENPROTON_REPOSITORY_MAP)',
    )
    serve.add_argument(
        "--repository-source",
        action="append",
        metavar="PROVIDER:NAME=URL",
        help="map a repository link to a git remote (repeatable; OPENPROTON_REPOSITORY_SOURCES, whitespace-separated)",
    )
    serve.add_argument(
        "--sync-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between polls of the mapped remotes, 0 off (default 60; OPENPROTON_SYNC_INTERVAL)",
    )
    serve.add_argument(
        "--git-timeout",
        type=float,
        metavar="SECONDS",
        help="timeout of every git command a sync runs (default 60; OPENPROTON_GIT_TIMEOUT)",
    )
    serve.add_argument(
        "--job-lease-seconds",
        type=float,
        metavar="SECONDS",
        help="how long a replica holds a sync run's or a provisioning job's lease before another may take it over "
        "(default 60; OPENPROTON_JOB_LEASE_SECONDS)",
    )
    serve.add_argument(
        "--sync-cache",
        metavar="DIR",
        help="directory for git's disposable fetch cache (default: a temporary directory; OPENPROTON_SYNC_CACHE)",
    )
    serve.add_argument(
        "--bundle-s3-endpoint",
        metavar="aws|URL",
        help="fetch template bundles from this S3 API with the server's own AWS credentials: `aws` for AWS's "
        "regional endpoints, else a URL (default: bundles are not fetched; OPENPROTON_BUNDLE_S3_ENDPOINT)",
    )
    serve.add_argument(
        "--bundle-dir",
        metavar="DIR",
        help="read template bundles from DIR/<bucket>/<key> instead of S3 (OPENPROTON_BUNDLE_DIR)",
    )
    serve.add_argument(
        "--bundle-buckets",
        metavar="FILE",
        help='JSON file of the buckets each account may name: {"<account>": ["bucket", "prefix-*"], "*": [...]} '
        "(default: every bucket; none in strict mode; OPENPROTON_BUNDLE_BUCKETS)",
    )
    serve.add_argument(
        "--provisioners",
        type=parse_provisioners,
        metavar="NAME[,NAME]",
        help="provisioners to run: cloudformation, codebuild, self-managed (default none: deployments end by the "
        "settle policy; OPENPROTON_PROVISIONERS). codebuild runs bundles' commands on this host",
    )
    serve.add_argument(
        "--provisioning-worker",
        choices=("process", "thread"),
        help="run the provisioning worker as a child process of each server process, at a lower priority, or as a "
        "thread inside it (default process; an in-memory database keeps the thread; OPENPROTON_PROVISIONING_WORKER)",
    )
    serve.add_argument(
        "--provisioning-concurrency",
        type=int,
        metavar="N",
        help="how many provisioning jobs each worker runs at once, 1 to 64 (default 8; "
        "OPENPROTON_PROVISIONING_CONCURRENCY)",
    )
    serve.add_argument(
        "--cloudformation-endpoint",
        metavar="aws|URL",
        help="where the cloudformation provisioner calls CloudFormation and STS: `aws` for AWS's regional endpoints, "
        "else a URL (default aws; OPENPROTON_CLOUDFORMATION_ENDPOINT)",
    )
    serve.add_argument(
        "--cloudformation-role-mode",
        choices=("assume", "pass"),
        help="assume the resource's role with STS (stacks land in its account) or pass it as RoleARN with the "
        "server's own credentials (default assume; OPENPROTON_CLOUDFORMATION_ROLE_MODE)",
    )
    serve.add_argument(
        "--codebuild-timeout",
        type=float,
        metavar="SECONDS",
        help="the longest a codebuild run's commands may take (default 3600; OPENPROTON_CODEBUILD_TIMEOUT)",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL provisioning commands call this server back on (default http://<host>:<port>; "
        "OPENPROTON_PUBLIC_URL)",
    )
    serve.add_argument(
        "--render-timeout",
        type=float,
        metavar="SECONDS",
        help="the longest one deployment's render may take (default 5; OPENPROTON_RENDER_TIMEOUT)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help=f"worker processes sharing the database, at most {MAX_WORKERS} (default 1)",
    )
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema, then exit")
    migrate.add_argument("--database", help="as for serve")
    migrate.set_defaults(run=cmd_migrate)

    export = commands.add_parser("export", help="write every resource, tag, event and client token as JSON")
    export.add_argument("--database", help="as for serve")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(run=cmd_export)

    load = commands.add_parser("import", help="load an export into an empty database")
    load.add_argument("file", help="the export file, or - for standard input")
    load.add_argument("--database", help="as for serve")
    load.set_defaults(run=cmd_import)

    audit = commands.add_parser("audit", help="print the audit log of mutating calls, oldest first")
    audit.add_argument("--database", help="as for serve")
    audit.add_argument("--after", type=int, default=0, help="only entries after this sequence number")
    audit.add_argument("--limit", type=int, default=1000, help="at most this many entries (default 1000)")
    audit.add_argument("--json", action="store_true", help="print JSON instead of a table")
    audit.set_defaults(run=cmd_audit)

    add_render_command(commands)

    coverage = commands.add_parser("coverage", help="list the model's operations and which are implemented")
    coverage.add_argument("--markdown", action="store_true", help="print the Markdown table (COVERAGE.md)")
    coverage.set_defaults(run=cmd_coverage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from openproton.server import DatabaseUnavailable

    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (SettingsError, DatabaseUnavailable, CommandError) as error:
        print(f"openproton: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
