"""Server mode: a plain ASGI application around the pipeline (no framework on the hot path)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from openproton.console import PREFIX as CONSOLE
from openproton.protocol.errors import AwsError, MisdirectedRequestException, SerializationException
from openproton.protocol.pipeline import HttpRequest, HttpResponse
from openproton.service import OpenProton

from . import admin
from .browser_guard import HostGuard

# [decided] P-19: where provisioning runs call back.
RUNS = admin.PREFIX + "runs/"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _TooLarge(Exception):
    pass


_NAMES: dict[str, bytes] = {}


def _encoded_name(name: str) -> bytes:
    """Header names repeat on every response: encode each once."""
    encoded = _NAMES.get(name)
    if encoded is None:
        encoded = _NAMES[name] = name.encode("latin-1")
    return encoded


def _log_access_to_stderr() -> None:
    """Server mode prints the pipeline's access-log lines (uvicorn configures only its own loggers)."""
    logger = logging.getLogger("openproton.access")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


class AsgiApp:
    def __init__(self, service: OpenProton) -> None:
        self.service = service
        self.max_body = service.settings.max_body_bytes
        if service.settings.access_log:
            _log_access_to_stderr()
        self._hosts = HostGuard(service.settings.host, service.settings.allowed_hosts)
        self._console_pages: Any = None  # built on the first /console request: API-only servers start without it
        # SQLite answers in microseconds from a local file: calling the pipeline on the event loop is fastest.
        # A database across a network would stall the loop on every round trip, so those requests run on
        # threads (one per pooled connection) while the loop goes on serving others.
        self._executor = (
            None
            if service.database.dialect == "sqlite"
            else ThreadPoolExecutor(max_workers=service.database.pool_capacity, thread_name_prefix="openproton-db")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        # One decoding of the headers for every road below. ASGI servers hand over names in lower case already.
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        if self._hosts.active and not self._hosts.allows(headers.get("host")):
            # [decided] W-17: a rebinding DNS name must not reach a loopback server.
            misdirected = MisdirectedRequestException(
                "This server answers only requests addressed to a loopback name or address (see --allowed-hosts)."
            )
            await self._send(send, self.service.pipeline.error_response(misdirected))
            return
        if path == CONSOLE or path.startswith(CONSOLE + "/"):
            await self._console(scope, receive, send, headers)
            return
        if path.startswith(RUNS):
            # [decided] P-19: a provisioning run's callback; the token is the only credential it needs.
            token = path[len(RUNS) :].split("/", 1)[0]
            try:
                body = await self._read_body(receive, headers)
            except _TooLarge:
                body = b""
            query = scope.get("query_string", b"")
            request = HttpRequest(scope["method"], "/", headers, body, query.decode("latin-1") if query else "")
            response = await asyncio.get_running_loop().run_in_executor(
                self._executor, self.service.handle_run, token, request
            )
            await self._send(send, response)
            return
        if path.startswith(admin.PREFIX):
            try:
                request_body = await self._read_body(receive, headers)
            except _TooLarge:
                request_body = b""
            # On a thread: a sync run waits for git, which must not stall the loop's other requests.
            status, body = await asyncio.get_running_loop().run_in_executor(
                None,
                admin.handle,
                self.service,
                scope["method"],
                path,
                scope.get("query_string", b"").decode("latin-1"),
                headers,
                request_body,
            )
            kind = "text/plain; charset=utf-8" if isinstance(body, admin.Text) else "application/json"
            await self._send(send, HttpResponse(status, [("content-type", kind)], bytes(body)))
            return
        try:
            body = await self._read_body(receive, headers)
        except _TooLarge:
            # The method and content type are checked before the body in wire.md's order, so an oversized
            # body on a wrong method still gets the wrong-method answer, as in-process.
            pipeline = self.service.pipeline
            try:
                pipeline.check_envelope(scope["method"], headers)
            except AwsError as error:
                await self._send(send, pipeline.error_response(error))
                return
            too_large = SerializationException(f"The request body is larger than {self.max_body} bytes.", status=413)
            await self._send(send, pipeline.error_response(too_large))
            return
        query = scope.get("query_string", b"")
        request = HttpRequest(scope["method"], path, headers, body, query.decode("latin-1") if query else "")
        if self._executor is None:
            response = self.service.handle(request)
        else:
            response = await asyncio.get_running_loop().run_in_executor(self._executor, self.service.handle, request)
        if response.delay:
            await asyncio.sleep(response.delay)  # a latency fault: other requests go on meanwhile
        await self._send(send, response)

    async def _console(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        """The web console: HTML pages whose reads and actions are API calls through the same pipeline."""
        try:
            body = await self._read_body(receive, headers)
        except _TooLarge:
            await self._send(send, HttpResponse(413, [("content-type", "text/plain")], b"The form is too large."))
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if self._console_pages is None:
            from openproton.console.pages import Console

            self._console_pages = Console(self.service)
        call = functools.partial(self._console_pages.handle, scope["method"], scope["path"], query, headers, body)
        if self._executor is None:
            response = call()
        else:
            response = await asyncio.get_running_loop().run_in_executor(self._executor, call)
        await self._send(send, response)

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes:
        message = await receive()
        if not message.get("more_body", False):  # the usual case: the whole body in one message
            body: bytes = message.get("body", b"")
            if len(body) > self.max_body:
                raise _TooLarge
            return body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge  # stop reading: the limit protects memory, not just the parser
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            message = await receive()

    @staticmethod
    async def _send(send: Send, response: HttpResponse) -> None:
        headers = [(_encoded_name(name), value.encode("latin-1")) for name, value in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode("ascii")))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # [decided] Y-8: a server polls the mapped remotes and runs config changes in the background.
                self.service.sync.start_background()
                # [decided] P-10: each server process runs a worker (a thread or a process of its own), which resumes
                # unfinished jobs first.
                self.service.worker.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, self.service.sync.stop)
                await asyncio.get_running_loop().run_in_executor(None, self.service.worker.stop)
                await send({"type": "lifespan.shutdown.complete"})
                return
