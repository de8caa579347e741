"""Administrative endpoints under /_openproton/: health, reset and the event log.

They are not part of the AWS API, so they answer plain JSON and never go through the pipeline.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson

from openproton._version import __version__
from openproton.proton.events import read_events
from openproton.service import OpenProton

PREFIX = "/_openproton/"


def _json(status: int, body: dict[str, Any]) -> tuple[int, bytes]:
    return status, orjson.dumps(body)


def handle(service: OpenProton, method: str, path: str, query: str) -> tuple[int, bytes]:
    route = path[len(PREFIX) :].rstrip("/")
    if route == "health" and method in ("GET", "HEAD"):
        return _json(200, {"status": "ok", "service": "openproton", "version": __version__})
    if route == "reset":
        if method != "POST":
            return _json(405, {"message": "Use POST /_openproton/reset."})
        if not service.settings.reset_enabled:
            return _json(403, {"message": "Reset is disabled on this server (OPENPROTON_RESET_ENABLED=false)."})
        service.database.reset()
        return _json(200, {"reset": True})
    if route == "events" and method == "GET":
        args = parse_qs(query)
        try:
            after = int(args.get("after", ["0"])[0])
            limit = min(int(args.get("limit", ["1000"])[0]), 10_000)
        except ValueError:
            return _json(400, {"message": "after and limit must be whole numbers."})
        return _json(200, {"events": read_events(service.database, after_seq=after, limit=limit)})
    return _json(404, {"message": f"No admin endpoint {method} {path}."})
