"""The `openproton` command: serve, migrate, coverage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from openproton._version import __version__
from openproton.settings import DEFAULT_PORT, Settings, SettingsError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        database_url=getattr(args, "database", None),
        log_level=getattr(args, "log_level", None),
    )


def _describe_database(url: str) -> str:
    from openproton.store.database import sqlite_path

    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is None:
            return "SQLite in memory (state is lost when the server stops)"
        return f"SQLite file {Path(path).resolve()}"
    return url.split("@")[-1] if "@" in url else url


def _banner(settings: Settings) -> str:
    endpoint = f"http://{settings.host}:{settings.port}"
    return f"""\
OpenProton {__version__}
  database: {_describe_database(settings.resolved_database_url())}
  endpoint: {endpoint}   (health: {endpoint}/_openproton/health)

  AWS CLI:
    AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=x \\
      aws proton list-environment-account-connections --requested-by ENVIRONMENT_ACCOUNT \\
      --endpoint-url {endpoint} --region us-east-1

  boto3:
    boto3.client("proton", endpoint_url="{endpoint}", region_name="us-east-1",
                 aws_access_key_id="111111111111", aws_secret_access_key="x")

  A 12-digit access key ID is the caller's account; any other key acts as {settings.default_account}.
"""


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from openproton.server import create_app

    settings = _settings(args)
    app = create_app(settings)  # migrates before the port opens, so the first health check finds it ready
    print(_banner(settings), flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=args.access_log,
        # The pipeline writes its own Date header (in-process mode needs one too).
        date_header=False,
        server_header=False,
        lifespan="on",
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from openproton.server import open_database

    settings = _settings(args)
    database = open_database(settings)
    database.migrate()
    print(f"Migrated {_describe_database(settings.resolved_database_url())} to the newest schema.")
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
    serve.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema, then exit")
    migrate.add_argument("--database", help="as for serve")
    migrate.set_defaults(run=cmd_migrate)

    coverage = commands.add_parser("coverage", help="list the model's operations and which are implemented")
    coverage.add_argument("--markdown", action="store_true", help="print the Markdown table (COVERAGE.md)")
    coverage.set_defaults(run=cmd_coverage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SettingsError as error:
        print(f"openproton: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
