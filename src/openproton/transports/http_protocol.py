"""uvicorn's httptools protocol with the limits a public server needs ([decided] W-15, W-16).

uvicorn leaves three gaps that a hostile or careless client can use, and this subclass closes each where the
bytes arrive, before the application sees anything:
- request heads of any size are buffered (a 64 MiB header took seconds and memory): heads past a limit are
  refused with 431;
- a connection that never completes its request is kept forever (idle sockets exhaust the open-file limit):
  every request must arrive in full within a timeout, counted from the connection's start or the previous
  response;
- garbage after a complete request closed the connection at once, dropping the answer to the request that had
  already been read (and committed): complete requests are now answered first.
Past a cap on open connections, requests get a JSON 503 (uvicorn's own cap answers plain text).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from openproton.decided import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEAD_BYTES, DEFAULT_REQUEST_TIMEOUT_SECONDS
from openproton.protocol.errors import (
    AwsError,
    RequestTimeoutException,
    SerializationException,
    ServiceUnavailableException,
)
from openproton.protocol.serializer import error_body


def error_parts(namespace: str, error: AwsError) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of an error answered below the pipeline, in the pipeline's own shape, closing the
    connection."""
    body = error_body(namespace, error)
    headers = [
        (b"content-type", b"application/x-amz-json-1.0"),
        (b"x-amzn-errortype", error.code.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return headers, body


def error_response(namespace: str, error: AwsError) -> bytes:
    """The whole HTTP/1.1 response for `error`, written straight to the transport."""
    headers, body = error_parts(namespace, error)
    return (
        STATUS_LINE[error.status] + b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body
    )


# Seconds an over-the-cap connection stays open after its 503, for the client to read it and close: it holds
# a file descriptor meanwhile, so it gets far less time than a served one.
OVER_CAP_TIMEOUT_SECONDS = 1.0
# File descriptors kept free beside the connections: the database, log files, the listening socket.
SPARE_FILES = 64


@functools.cache
def fitted_cap(max_connections: int) -> int:
    """The connection cap this process can hold open: the open-file limit is raised towards its hard limit as
    far as the cap needs, and a cap the limit still cannot hold is lowered to fit (with a warning), so that past
    the cap clients get 503 instead of failing to connect."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = max_connections * 2 + SPARE_FILES  # over-cap connections wait briefly for their 503
        if soft != resource.RLIM_INFINITY and soft < wanted:
            raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    except (ValueError, OSError):
        return max_connections
    if soft == resource.RLIM_INFINITY:
        return max_connections
    fits = max(1, (soft - SPARE_FILES) // 2)
    if fits < max_connections:
        logging.getLogger("openproton.server").warning(
            "the open-file limit (%d) holds %d connections, not the %d of --max-connections",
            soft,
            fits,
            max_connections,
        )
        return fits
    return max_connections


@dataclass(frozen=True, slots=True)
class Limits:
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    error_namespace: str = "com.amazonaws.proton.v20200720"  # the model's, until the service says


def _limits(app: Any) -> Limits:
    """The limits of the application's settings (each worker process builds its own application)."""
    seen = 0
    while app is not None and seen < 8:  # uvicorn may wrap the app in middleware
        service = getattr(app, "service", None)
        if service is not None:
            settings = service.settings
            return Limits(
                settings.max_head_bytes,
                settings.request_timeout_seconds,
                fitted_cap(settings.max_connections),
                service.index.error_namespace,
            )
        app, seen = getattr(app, "app", None), seen + 1
    return Limits(max_connections=fitted_cap(DEFAULT_MAX_CONNECTIONS))


TOO_MANY_CONNECTIONS = "The server has too many open connections; retry later."


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = _limits(self.app)
        self.max_head_bytes, self.request_timeout = limits.max_head_bytes, limits.request_timeout
        self.max_connections = limits.max_connections
        self.error_namespace = limits.error_namespace
        self._over_cap = False
        self._head_bytes = 0
        self._in_head = True  # until the current request's headers are complete
        self._completed = 0  # requests read in full on this connection
        self._receiving = False  # a request's head or body is still arriving
        self._request_timer: asyncio.TimerHandle | None = None
        self._refused: bytes | None = None  # an answer to send once the requests already read are answered

    # -- the request timer ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._turn_away()
            return
        self._arm_request_timer()

    def _turn_away(self) -> None:
        """[decided] W-16: past the cap, answer 503 at once and close the sending side, then read and drop
        what the client sends until it closes or a second passes. Closing with its request unread would reset
        the connection before the client read the answer; holding the socket longer would spend the file
        descriptors the cap protects."""
        self._over_cap = True
        self.transport.write(error_response(self.error_namespace, ServiceUnavailableException(TOO_MANY_CONNECTIONS)))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._arm_request_timer(OVER_CAP_TIMEOUT_SECONDS)

    def eof_received(self) -> None:
        if self._over_cap:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_request_timer()
        super().connection_lost(exc)

    def _arm_request_timer(self, seconds: float | None = None) -> None:
        self._disarm_request_timer()
        self._request_timer = self.loop.call_later(seconds or self.request_timeout, self._request_timed_out)

    def _disarm_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if self.transport.is_closing():
            return
        if self._over_cap:
            self.transport.close()
            return
        if self._receiving or self._head_bytes:
            # Part of a request arrived and the rest never did.
            self.transport.write(
                error_response(self.error_namespace, RequestTimeoutException("The request did not arrive in time."))
            )
        self.transport.close()

    # -- reading ---------------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._over_cap:
            return  # already answered 503
        if self._refused is not None:
            return  # the connection is closing once the requests before the bad bytes are answered
        if self._in_head:
            room = self.max_head_bytes - self._head_bytes
            if len(data) > room:
                # Feed only what fits: a head that completes within the limit goes on; one that does not is
                # refused before the rest of its bytes are buffered.
                completed = self._completed
                self._feed(data[:room])
                if self._in_head and self._completed == completed:
                    message = f"The request head is larger than {self.max_head_bytes} bytes."
                    self._refuse(error_response(self.error_namespace, SerializationException(message, status=431)))
                    return
                data = data[room:]
            else:
                # Counted before the parser sees it; a request that completes within `data` starts the next
                # head's count at zero (so a head may pass the limit by at most one read, 256 KiB).
                self._head_bytes += len(data)
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        if self._refused is not None or not data:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self._refuse(error_response(self.error_namespace, SerializationException("Invalid HTTP request received.")))
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()

    def _refuse(self, response: bytes) -> None:
        """Answer `response` and close, after every request already read has been answered."""
        self._refused = response
        self.flow.pause_reading()
        if self._answering():
            return  # on_response_complete sends it
        self._send_refusal()

    def _answering(self) -> bool:
        return bool(self.pipeline) or (self.cycle is not None and not self.cycle.response_complete)

    def _send_refusal(self) -> None:
        if not self.transport.is_closing() and self._refused is not None:
            self.transport.write(self._refused)
            self.transport.close()

    # -- parser callbacks ----------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._receiving = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        if len(self.tasks) >= self.max_connections:
            # As many requests are being answered as connections may be open (pipelining): 503 this one.
            app, self.app = self.app, self._unavailable
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()

    async def _unavailable(self, scope: Any, receive: Any, send: Any) -> None:
        """The ASGI answer when as many requests are under way as connections may be open: 503."""
        headers, body = error_parts(self.error_namespace, ServiceUnavailableException(TOO_MANY_CONNECTIONS))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def on_message_complete(self) -> None:
        self._receiving = False
        self._in_head = True
        self._head_bytes = 0
        self._completed += 1
        self._disarm_request_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refused is not None:
            if not self._answering():
                self._send_refusal()
            return
        if not self.transport.is_closing() and not self.pipeline and not self._receiving:
            # The keep-alive timer (uvicorn's) closes an idle connection; this one bounds a request begun
            # within it and never finished.
            self._arm_request_timer()
