"""The `openproton render` command line ([decided] P-7): its flags, and exit codes from offline_render.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_render_command(commands: Any) -> None:
    render = commands.add_parser(
        "render",
        help="render a template bundle and a spec offline, as the server would (exit 3: registration fails, "
        "4: invalid spec, 5: rendering fails)",
    )
    render.add_argument("bundle", help="the bundle: a .tar.gz archive or a directory")
    render.add_argument("--spec", metavar="FILE", help="the spec (YAML; - for standard input)")
    render.add_argument(
        "--target",
        default="all",
        help="environment, instance:<name>, pipeline or all (default all)",
    )
    render.add_argument(
        "--context",
        metavar="FILE",
        help="YAML merged over the generated context: environment, service, components, instances",
    )
    render.add_argument("--customer-managed", action="store_true", help="an environment template provisioned by you")
    render.add_argument("--no-pipeline", action="store_true", help="a service template without a pipeline")
    render.add_argument("--account-id", default="123456789012", help="the account in ARNs (default 123456789012)")
    render.add_argument("--region", default="us-east-1", help="the region in ARNs (default us-east-1)")
    render.add_argument(
        "--out", metavar="DIR", help="write environment/, instances/<name>/, pipeline/ under DIR instead of stdout"
    )
    render.set_defaults(run=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    """[decided] P-7: exit 0 rendered, 2 usage or an unreadable file, 3 registration, 4 spec, 5 rendering."""
    from openproton.cli import CommandError, _os_reason
    from openproton.offline_render import Options, RenderCommandError, read_bundle, render, write
    from openproton.proton.service_specs import YamlProblem, load_yaml

    target = args.target
    if not (target in ("environment", "pipeline", "all") or (target.startswith("instance:") and target[9:])):
        raise CommandError(f"--target must be environment, instance:<name>, pipeline or all, not {target!r}")
    if not (len(args.account_id) == 12 and args.account_id.isdigit()):
        raise CommandError(f"--account-id must be 12 digits, not {args.account_id!r}")
    context: Any = {}
    if args.context:
        text = _read_text(args.context, "--context")
        try:
            context = load_yaml(text) or {}
        except YamlProblem as problem:
            raise CommandError(f"--context {args.context}: {problem.message}") from None
        if not isinstance(context, dict):
            raise CommandError(f"--context {args.context}: must be a YAML mapping")
    spec = _read_text(args.spec, "--spec") if args.spec else None
    options = Options(
        target=target,
        context=context,
        customer_managed=args.customer_managed,
        no_pipeline=args.no_pipeline,
        account_id=args.account_id,
        region=args.region,
    )
    try:
        results = render(read_bundle(Path(args.bundle), options), spec, options)
        out = Path(args.out) if args.out else None
        sys.stdout.write(write(results, out))
    except RenderCommandError as failure:
        # The server's message word for word; a usage mistake reads like every other command's.
        print(f"openproton: {failure.message}" if failure.code == 2 else failure.message, file=sys.stderr)
        return failure.code
    except OSError as error:
        raise CommandError(f"cannot write to {args.out}: {_os_reason(error)}") from None
    return 0


def _read_text(path: str, flag: str) -> str:
    from openproton.cli import CommandError, _os_reason

    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = _os_reason(error) if isinstance(error, OSError) else "not UTF-8 text"
        raise CommandError(f"{flag} {path}: {reason}") from None
