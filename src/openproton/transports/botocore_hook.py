"""In-process mode: a botocore `before-send` handler that answers Proton requests through the pipeline.

Importing this module appends the handler to botocore's built-in handlers, so every botocore session created
afterwards carries it, and clients created before `mock_proton()` starts are served too (as moto does).
The handler answers only while a mock is active, and only Proton requests; everything else goes on to the
network untouched.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from openproton.protocol.pipeline import HttpRequest, HttpResponse

EVENT_PREFIX = "before-send.proton."


class Responder(Protocol):
    def handle(self, request: HttpRequest) -> HttpResponse: ...


class _Body:
    """The `raw` object AWSResponse reads its content from."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Any:
        yield self._data


def _request_headers(headers: Any, host: str) -> dict[str, str]:
    """botocore's headers as the pipeline reads them: lower-case names, str values, and the `host` botocore
    signed from the URL without setting it.

    botocore's HeadersDict keeps each name's lower-case form beside it; reading that dictionary directly costs
    a fraction of the Mapping interface, which builds a key object per lookup."""
    raw = getattr(headers, "_dict", None)
    if isinstance(raw, dict):
        pairs = [(getattr(key, "_lower", None) or str(key).lower(), value) for key, value in raw.items()]
    else:
        pairs = [(str(key).lower(), value) for key, value in headers.items()]
    found = {name: value.decode("latin-1") if isinstance(value, bytes) else value for name, value in pairs}
    found.setdefault("host", host)
    return found


class ProtonInterceptor:
    """Routes intercepted requests to the innermost active responder."""

    def __init__(self) -> None:
        self._stack: list[Responder] = []
        self._lock = threading.Lock()

    def push(self, responder: Responder) -> None:
        with self._lock:
            self._stack.append(responder)

    def remove(self, responder: Responder) -> None:
        with self._lock:
            if responder in self._stack:
                self._stack.remove(responder)

    @property
    def active(self) -> bool:
        return bool(self._stack)

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_kwargs: Any) -> AWSResponse | None:
        stack = self._stack
        if not stack or not event_name.startswith(EVENT_PREFIX):
            return None
        responder = stack[-1]

        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes | bytearray):
            body = body.read()
        parts = urlsplit(request.url)
        headers = _request_headers(request.headers, parts.netloc)
        request_line = HttpRequest(request.method, parts.path or "/", headers, bytes(body), parts.query)
        response = responder.handle(request_line)
        if response.delay:
            time.sleep(response.delay)  # a latency fault
        return AWSResponse(request.url, response.status, dict(response.headers), _Body(response.body))


INTERCEPTOR = ProtonInterceptor()
_REGISTRATION = ("before-send", INTERCEPTOR)
if _REGISTRATION not in botocore.handlers.BUILTIN_HANDLERS:
    botocore.handlers.BUILTIN_HANDLERS.append(_REGISTRATION)


def register_on_session(session: Any) -> None:
    """Attach the handler to a botocore session created before this module was imported.

    A session created after the import already has it (a built-in handler); botocore emits `before-send` to
    every handler, so a second registration would answer each request twice. Remove it first, then add it once.
    """
    session.unregister("before-send", INTERCEPTOR)
    session.unregister("before-send", unique_id="openproton-interceptor")
    session.register("before-send", INTERCEPTOR, unique_id="openproton-interceptor")
