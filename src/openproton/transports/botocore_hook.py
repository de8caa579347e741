"""In-process mode: a botocore `before-send` handler that answers Proton requests through the pipeline.

Importing this module appends the handler to botocore's built-in handlers, so every botocore session created
afterwards carries it, and clients created before `mock_proton()` starts are served too (as moto does).
The handler answers only while a mock is active, and only Proton requests; everything else goes on to the
network untouched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
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


class _RequestHeaders(Mapping[str, str]):
    """botocore's headers as the pipeline reads them (lower-case names, str values), looked up on demand:
    copying every header through email.message's machinery cost more than the rest of the hook."""

    __slots__ = ("_headers", "host")

    def __init__(self, headers: Any) -> None:
        self._headers = headers
        self.host: str | None = None

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self._headers.get(key)
        if value is None and key == "host":
            value = self.host
        if value is None:
            return default
        return value.decode("latin-1") if isinstance(value, bytes) else value

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (key.lower() for key in self._headers)

    def __len__(self) -> int:
        return len(self._headers)


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
        headers = _RequestHeaders(request.headers)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes | bytearray):
            body = body.read()
        parts = urlsplit(request.url)
        # botocore signs `host` from the URL without storing it; a server would receive it as a header.
        headers.host = parts.netloc
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
    """Attach the handler to a botocore session created before this module was imported."""
    session.register("before-send", INTERCEPTOR, unique_id="openproton-interceptor")
