"""Administrative endpoints under /_openproton/: health, reset, events, audit log, fault rules and deployments.

They are not part of the AWS API, so they answer plain JSON and never go through the pipeline. Health is this
transport's own; everything else is `service.admin` (proton/admin.py, shared with the mock handle and the
console), and this module only checks who may ask and translates to and from JSON and status codes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import orjson

from openproton._version import __version__
from openproton.protocol.faults import FaultRuleError
from openproton.proton.deployments import SettlePolicy, SettlePolicyError
from openproton.proton.repository_map import RepositoryMapError
from openproton.proton.sync_runs import SyncRefused
from openproton.service import OpenProton

from .browser_guard import cross_site_reason

PREFIX = "/_openproton/"


class Text(bytes):
    """A body the transport sends as `text/plain; charset=utf-8` rather than JSON."""


def _json(status: int, body: dict[str, Any]) -> tuple[int, bytes]:
    return status, orjson.dumps(body)


def _authorized(service: OpenProton, headers: Mapping[str, str]) -> bool:
    """Default mode: open, as a local tool. Strict mode: only the admin token, never an account's keys."""
    if service.settings.auth != "strict":
        return True
    expected = service.settings.admin_token
    if not expected:
        return False
    given = headers.get("x-openproton-admin-token") or ""
    authorization = headers.get("authorization") or ""
    if authorization.startswith("Bearer "):
        given = given or authorization[len("Bearer ") :]
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _int_args(query: str, **defaults: int) -> dict[str, int] | None:
    args = parse_qs(query)
    try:
        return {name: int(args.get(name, [str(default)])[0]) for name, default in defaults.items()}
    except ValueError:
        return None


def handle(
    service: OpenProton, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, bytes]:
    route = path[len(PREFIX) :].rstrip("/")
    if route == "health" and method in ("GET", "HEAD"):
        return _json(200, {"status": "ok", "service": "openproton", "version": __version__})
    refused = cross_site_reason(method, headers, body)
    if refused is not None:
        # [decided] W-17: a web page must not reset the server or install fault rules through the browser.
        return _json(
            403, {"message": f"Admin endpoints refuse requests sent by a browser for another site ({refused})."}
        )
    if not _authorized(service, headers):
        return _json(403, {"message": "The admin endpoints need the admin token (X-OpenProton-Admin-Token)."})
    if route == "reset":
        if method != "POST":
            return _json(405, {"message": "Use POST /_openproton/reset."})
        # The facade resets unconditionally; refusing a reset from the network is this endpoint's choice.
        if not service.settings.reset_enabled:
            return _json(403, {"message": "Reset is disabled on this server (OPENPROTON_RESET_ENABLED=false)."})
        service.admin.reset()
        return _json(200, {"reset": True})
    if route in ("events", "audit") and method == "GET":
        args = _int_args(query, after=0, limit=1000)
        if args is None:
            return _json(400, {"message": "after and limit must be whole numbers."})
        limit = min(args["limit"], 10_000)
        if route == "events":
            return _json(200, {"events": service.admin.events(after_seq=args["after"], limit=limit)})
        return _json(200, {"entries": service.admin.audit_entries(after_seq=args["after"], limit=limit)})
    if route == "faults":
        return _faults(service, method, body)
    if route == "settle-policy":
        return _settle_policy(service, method, body)
    if route == "deployments" and method == "GET":
        return _json(200, {"deployments": service.admin.deployments_under_way()})
    if route.startswith("deployments/") and route.endswith(("/rendered", "/log")) and method == "GET":
        deployment_id, _, what = route[len("deployments/") :].rpartition("/")
        return _rendered(service, deployment_id, what, query)
    if route.startswith("deployments/") and route.endswith("/settle"):
        if method != "POST":
            return _json(405, {"message": "Use POST /_openproton/deployments/ID/settle."})
        return _settle(service, route[len("deployments/") : -len("/settle")], body)
    if route == "repository-map" or route.startswith("repository-map/"):
        return _repository_map(service, method, route[len("repository-map/") :], body)
    if route.startswith("repositories/") and route.endswith("/sync"):
        if method != "POST":
            return _json(405, {"message": "Use POST /_openproton/repositories/PROVIDER/NAME/sync."})
        return _sync(service, route[len("repositories/") : -len("/sync")], body)
    if route.startswith("faults/") and method == "DELETE":
        removed = service.admin.remove_fault(route[len("faults/") :])
        return _json(200 if removed else 404, {"removed": removed})
    return _json(404, {"message": f"No admin endpoint {method} {path}."})


def _rendered(service: OpenProton, deployment_id: str, what: str, query: str) -> tuple[int, bytes]:
    """[decided] P-6: a deployment's rendered files (`?path=P`: one, as text) or its provisioner's log."""
    if what == "log":
        log = service.admin.log(deployment_id)
        if log is None:
            return _json(404, {"message": f"Deployment {deployment_id} has no provisioner log."})
        return 200, Text(log.encode("utf-8"))
    rendered = service.admin.rendered(deployment_id)
    if rendered is None:
        return _json(404, {"message": f"Deployment {deployment_id} rendered no files."})
    path = parse_qs(query).get("path")
    if path is None:
        return _json(200, rendered)
    for file in rendered["files"]:
        if file["path"] == path[0]:
            return 200, Text(file["content"].encode("utf-8"))
    return _json(404, {"message": f"Deployment {deployment_id} rendered no file {path[0]}."})


def _faults(service: OpenProton, method: str, body: bytes) -> tuple[int, bytes]:
    admin = service.admin
    if method == "GET":
        return _json(200, {"rules": [rule.to_dict() for rule in admin.fault_rules()]})
    if method == "DELETE":
        admin.clear_faults()
        return _json(200, {"rules": []})
    if method == "POST":
        try:
            data = orjson.loads(body or b"null")
        except orjson.JSONDecodeError:
            return _json(400, {"message": "The body must be a JSON fault rule, or a list of them."})
        try:
            added = [admin.add_fault(item) for item in (data if isinstance(data, list) else [data])]
        except FaultRuleError as error:
            return _json(400, {"message": str(error)})
        return _json(200, {"rules": [rule.to_dict() for rule in added]})
    return _json(405, {"message": "Use GET, POST or DELETE on /_openproton/faults."})


def _body(body: bytes) -> Any:
    try:
        return orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        return None


def _settle_policy(service: OpenProton, method: str, body: bytes) -> tuple[int, bytes]:
    admin = service.admin
    if method == "GET":
        current = admin.settle_policy()
        return _json(200, {**current.to_dict(), "startedWith": admin.settle_policy_started_with().to_dict()})
    if method == "DELETE":
        return _json(200, admin.clear_settle_policy().to_dict())
    if method in ("PUT", "POST"):
        try:
            policy = SettlePolicy.from_dict(_body(body))
        except SettlePolicyError as error:
            return _json(400, {"message": str(error)})
        return _json(200, admin.set_settle_policy(policy).to_dict())
    return _json(405, {"message": "Use GET, PUT or DELETE on /_openproton/settle-policy."})


def _settle(service: OpenProton, deployment_id: str, body: bytes) -> tuple[int, bytes]:
    data = _body(body)
    if not isinstance(data, dict):
        return _json(400, {"message": 'The body must be a JSON object such as {"status": "SUCCEEDED"}.'})
    unknown = sorted(set(data) - {"status", "statusMessage", "outputs", "provisionedResources"})
    if unknown:
        return _json(400, {"message": f"Unknown fields: {', '.join(unknown)}."})
    try:
        settled = service.admin.settle(
            deployment_id,
            status=data.get("status", "SUCCEEDED"),
            message=data.get("statusMessage"),
            outputs=data.get("outputs"),
            provisioned_resources=data.get("provisionedResources"),
        )
    except LookupError as error:
        return _json(404, {"message": str(error.args[0])})
    except SettlePolicyError as error:
        status = 409 if "cannot be settled" in str(error) else 400
        return _json(status, {"message": str(error)})
    return _json(200, {"deployment": settled})


def _repository_key(rest: str) -> tuple[str, str] | None:
    """`PROVIDER/owner/repo` into its provider and name (names hold a `/`)."""
    provider, sep, name = rest.partition("/")
    return (provider, name) if sep and provider and name else None


def _repository_map(service: OpenProton, method: str, rest: str, body: bytes) -> tuple[int, bytes]:
    """[decided] Y-6: GET the map; PUT or DELETE one entry at run time (kept in the database)."""
    admin = service.admin
    if not rest:
        if method != "GET":
            return _json(405, {"message": "Use GET /_openproton/repository-map, or PUT/DELETE on an entry."})
        return _json(200, {"entries": [entry.to_dict() for entry in admin.repository_map()]})
    key = _repository_key(rest)
    if key is None:
        return _json(404, {"message": "Name an entry as /_openproton/repository-map/PROVIDER/owner/repo."})
    try:
        if method in ("PUT", "POST"):
            data = _body(body)
            if not isinstance(data, dict):
                return _json(400, {"message": 'The body must be a JSON object such as {"url": "/srv/git/x.git"}.'})
            unknown = sorted(set(data) - {"url", "mode", "accounts"})
            if unknown:
                return _json(400, {"message": f"Unknown fields: {', '.join(unknown)}."})
            entry = admin.map_repository(
                *key, data.get("url"), mode=data.get("mode", "branch"), accounts=data.get("accounts")
            )
            return _json(200, {"entry": entry.to_dict()})
        if method == "DELETE":
            removed = admin.unmap_repository(*key)
            return _json(200 if removed else 404, {"removed": removed})
    except RepositoryMapError as error:
        return _json(400, {"message": str(error)})
    return _json(405, {"message": "Use PUT or DELETE on /_openproton/repository-map/PROVIDER/NAME."})


def _sync(service: OpenProton, rest: str, body: bytes) -> tuple[int, bytes]:
    """[decided] Y-8: run the matching units to their end; one attempt per unit run."""
    key = _repository_key(rest)
    if key is None:
        return _json(404, {"message": "Name a repository as /_openproton/repositories/PROVIDER/owner/repo/sync."})
    data = _body(body) if body else {}
    if not isinstance(data, dict):
        return _json(400, {"message": 'The body must be a JSON object such as {"accountId": "111111111111"}.'})
    unknown = sorted(set(data) - {"accountId", "region", "branch"})
    if unknown:
        return _json(400, {"message": f"Unknown fields: {', '.join(unknown)}."})
    if not all(isinstance(value, str) for value in data.values()):
        return _json(400, {"message": "accountId, region and branch must be strings."})
    try:
        attempts = service.admin.sync_repository(
            *key, account_id=data.get("accountId"), region=data.get("region"), branch=data.get("branch")
        )
    except RepositoryMapError as error:
        return _json(400, {"message": str(error)})
    except SyncRefused as refused:
        return _json(refused.status, {"message": str(refused)})
    return _json(200, {"attempts": attempts})
