"""A proxy in front of a real server that breaks its answers in one chosen way.

The client scenarios must be able to fail: run against this proxy, each one has to notice a wrong error name,
status, timestamp type or page, or its passing proves nothing.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import orjson

Mutation = Callable[[int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def rename_errors(status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Every error comes back under another name."""
    if "x-amzn-errortype" in headers:
        headers["x-amzn-errortype"] += "Renamed"
        body = re.sub(rb'("__type":"[^"]+)"', rb'\1Renamed"', body)
    return status, headers, body


def forbid_errors(status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Client errors come back as 403 instead of wire.md's 400."""
    return (403 if status == 400 else status), headers, body


def _iso(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return value


def _stringify(node: object) -> object:
    if isinstance(node, dict):
        return {k: (_iso(v) if k.endswith("At") else _stringify(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify(item) for item in node]
    return node


def timestamps_as_strings(status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Timestamps go out as ISO strings instead of epoch numbers."""
    if status == 200 and body.startswith(b"{"):
        body = orjson.dumps(_stringify(orjson.loads(body)))
    return status, headers, body


def lose_an_item_per_page(status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Every page after the first silently drops its first connection."""
    if status == 200 and b'"environmentAccountConnections"' in body:
        data = orjson.loads(body)
        if data.get("nextToken") and data["environmentAccountConnections"]:
            data["environmentAccountConnections"] = data["environmentAccountConnections"][1:]
            body = orjson.dumps(data)
    return status, headers, body


MUTATIONS: dict[str, Mutation] = {
    "error-name": rename_errors,
    "error-status": forbid_errors,
    "timestamp-type": timestamps_as_strings,
    "lost-page-item": lose_an_item_per_page,
}


@contextmanager
def breaking_proxy(upstream_port: int, mutation: Mutation) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
            upstream.request(
                self.command,
                self.path,
                body=body,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
            )
            response = upstream.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders() if k.lower() != "content-length"}
            status, headers, payload = mutation(response.status, headers, response.read())
            upstream.close()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_PUT = _forward

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
