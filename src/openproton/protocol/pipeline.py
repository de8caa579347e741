"""One request, one road: bytes in, checks in wire.md's order, dispatch by operation name, bytes out.

Both transports (the ASGI server and the in-process botocore hook) call `Pipeline.handle` with the raw
request, so every client test also exercises the parser, the validator and the serializer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from random import getrandbits
from typing import Any, Protocol

from openproton.decided import MAX_ACCESS_KEY_LENGTH

from .errors import (
    AccessDeniedException,
    AwsError,
    InternalServerException,
    SerializationException,
    ThrottlingException,
    UnknownOperationException,
    ValidationException,
)
from .faults import Faults, attempt_number
from .identity import Caller
from .json_body import parse_request_body
from .model import ServiceIndex
from .ratelimit import RateLimiter
from .serializer import OutputSerializer, error_body
from .sigv4 import UNRECOGNIZED, UnrecognizedClientException
from .validator import InputValidator

# [decided] W-11: what a region name in a credential scope may be (stored rows have 32 characters for it).
REGION_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?", re.ASCII)

log = logging.getLogger("openproton.pipeline")
access_log = logging.getLogger("openproton.access")

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
_JSON_MEDIA_TYPES = frozenset({"application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/json"})


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # keys lower-case
    body: bytes
    query: str = ""  # the raw query string, for signature checks


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float = 0.0  # seconds the transport waits before answering (a latency fault)


@dataclass(slots=True)  # not frozen: frozen dataclasses pay for object.__setattr__ on every request
class RequestContext:
    """What an operation knows about its call besides its parameters."""

    operation: str
    account_id: str
    region: str
    access_key: str | None
    request_id: str
    headers: Mapping[str, str] = field(repr=False)


class Identity(Protocol):
    def identify(self, request: HttpRequest) -> Caller: ...


Dispatch = Callable[[RequestContext, dict[str, Any]], dict[str, Any] | None]
# Told of every call that failed once its caller was identified: (context, error code, params or None). A call
# that succeeds is the dispatcher's to record, inside the transaction that made its change.
FailureObserver = Callable[[RequestContext, str, dict[str, Any] | None], None]


# A last check of an identified, validated call: raises an AwsError to refuse it, or returns its parameters.
Admit = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Overrides:
    """What one call through `Pipeline.handle` puts in place of the pipeline's own identity, and a last check."""

    identity: Identity | None = None
    admit: Admit | None = None


_NO_OVERRIDES = _Overrides()


def new_request_id() -> str:
    """A random (version 4) UUID string, as AWS's x-amzn-RequestId; uuid.uuid4() costs several times more."""
    digits = f"{getrandbits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


class _HttpDate:
    """The `Date` header, formatted once a second rather than once a request."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = formatdate(second, usegmt=True)
        return self._text


class Pipeline:
    def __init__(
        self,
        index: ServiceIndex,
        dispatch: Dispatch,
        identity: Identity,
        *,
        max_body_bytes: int,
        validator: InputValidator | None = None,
        serializer: OutputSerializer | None = None,
        faults: Faults | None = None,
        rate_limiter: RateLimiter | None = None,
        on_failure: FailureObserver | None = None,
        access_log: bool = False,
    ) -> None:
        self.index = index
        self.dispatch = dispatch
        self.identity = identity
        self._regions_seen: set[str] = set()
        self.max_body_bytes = max_body_bytes
        self.validator = validator or InputValidator()
        self.serializer = serializer or OutputSerializer()
        self.faults = faults or Faults()
        self.rate_limiter = rate_limiter
        self.on_failure = on_failure
        self.access_log = access_log
        self._date = _HttpDate()

    def _check_region(self, region: str) -> None:
        """[decided] W-11: the credential scope must name a region; its name keys every stored row."""
        if not REGION_NAME.fullmatch(region):
            raise ValidationException(
                f"The credential scope names the region {region[:64]!r}, which is not a region name "
                "(lowercase letters, digits and hyphens, at most 32 characters)."
            )
        if len(self._regions_seen) < 1024:
            self._regions_seen.add(region)

    def handle(
        self, request: HttpRequest, *, identity: Identity | None = None, admit: Admit | None = None
    ) -> HttpResponse:
        """`identity`: who the caller is instead of the configured identity's answer; `admit`: a last check of the
        identified, validated call, which may refuse it (an AwsError) or narrow its parameters."""
        request_id = new_request_id()
        overrides = _Overrides(identity, admit) if identity is not None or admit is not None else _NO_OVERRIDES
        if self.access_log:
            return self._handle_logged(request, request_id, overrides)
        return self._answer(request, request_id, None, overrides)

    def _answer(
        self, request: HttpRequest, request_id: str, seen: list[str] | None, overrides: _Overrides
    ) -> HttpResponse:
        try:
            return self._handle(request, request_id, seen, overrides)
        except AwsError as error:
            return self.error_response(error, request_id)
        except Exception:
            log.exception("internal error in request %s", request_id)
            error = InternalServerException(f"An internal error occurred. Request ID: {request_id}")
            return self.error_response(error, request_id)

    def _handle_logged(self, request: HttpRequest, request_id: str, overrides: _Overrides) -> HttpResponse:
        """One access-log line per call: operation, account, region, status, time taken and request id."""
        seen: list[str] = []
        started = time.perf_counter()
        response = self._answer(request, request_id, seen, overrides)
        operation, account, region = seen or ("-", "-", "-")
        access_log.info(
            "%s account=%s region=%s status=%d %.1fms %s",
            operation,
            account,
            region,
            response.status,
            (time.perf_counter() - started) * 1000,
            request_id,
        )
        return response

    def _handle(
        self, request: HttpRequest, request_id: str, seen: list[str] | None, overrides: _Overrides
    ) -> HttpResponse:
        # wire.md's order: method and content type, JSON parse, target, authentication, types,
        # constraints, business rules.
        self.check_envelope(request.method, request.headers)
        if len(request.body) > self.max_body_bytes:  # [decided] W-4
            raise SerializationException(f"The request body is larger than {self.max_body_bytes} bytes.", status=413)
        body = parse_request_body(request.body)
        target = request.headers.get("x-amz-target")
        operation = self.index.operation_for_target(target)
        if operation is None:
            if not target:
                raise UnknownOperationException("Missing X-Amz-Target header.")
            raise UnknownOperationException(f"Unknown operation {target}.")
        if seen is not None:
            seen[:] = [operation.name, "-", "-"]
        caller = (overrides.identity or self.identity).identify(request)
        if seen is not None:
            seen[1:] = [caller.account_id, caller.region]
        if caller.access_key is not None and len(caller.access_key) > MAX_ACCESS_KEY_LENGTH:
            # [decided] W-14: no such key exists, and refusing it here keeps it out of every stored row.
            raise UnrecognizedClientException(UNRECOGNIZED)
        if caller.region not in self._regions_seen:
            self._check_region(caller.region)
        context = RequestContext(
            operation=operation.name,
            account_id=caller.account_id,
            region=caller.region,
            access_key=caller.access_key,
            request_id=request_id,
            headers=request.headers,
        )
        on_failure = self.on_failure
        params: dict[str, Any] | None = None
        try:
            delay = self._deliberate(context)
            params = self.validator.check(operation.input_shape, body)
            if overrides.admit is not None:
                params = overrides.admit(context, params)
            result = self.dispatch(context, params)
        except AwsError as error:
            if on_failure is not None:
                on_failure(context, error.code, params)
            raise
        except Exception:
            if on_failure is not None:
                on_failure(context, InternalServerException.code, params)
            raise
        payload = self.serializer.to_json(operation.output_shape, result)
        return HttpResponse(200, self._headers(request_id), payload, delay)

    def _deliberate(self, context: RequestContext) -> float:
        """Rate limits and fault rules, after authentication: the seconds of latency to add, or an error."""
        if self.rate_limiter is not None and not self.rate_limiter.allow(context.account_id, context.operation):
            raise ThrottlingException("Rate exceeded")
        if not self.faults.active:
            return 0.0
        rule = self.faults.take(
            context.operation,
            context.account_id,
            context.region,
            attempt_number(context.headers.get("amz-sdk-request")),
        )
        if rule is None:
            return 0.0
        if rule.action == "throttle":
            raise ThrottlingException("Rate exceeded")
        if rule.action == "internal":
            raise InternalServerException(f"An internal error occurred (injected by fault rule {rule.id}).")
        if rule.action == "deny":
            raise AccessDeniedException(
                f"Account {context.account_id} is not authorized to perform {context.operation} "
                f"(injected by fault rule {rule.id})."
            )
        return rule.latency_ms / 1000

    @staticmethod
    def check_envelope(method: str, headers: Mapping[str, str]) -> None:
        """The first of wire.md's checks, which need no body: the method and the content type."""
        if method != "POST":
            raise UnknownOperationException(
                f"Method {method} is not supported; AWS JSON requests are POSTs.", status=404
            )
        content_type = headers.get("content-type")
        # [decided] W-6: a missing Content-Type is read as JSON. The common exact value skips the parsing.
        if content_type is not None and content_type != JSON_CONTENT_TYPE:
            media_type = content_type.split(";", 1)[0].strip().lower()
            if media_type not in _JSON_MEDIA_TYPES:
                raise UnknownOperationException(
                    f"Content type {media_type or '(empty)'} is not supported; send {JSON_CONTENT_TYPE}.",
                    status=404,
                )

    def _headers(self, request_id: str) -> list[tuple[str, str]]:
        return [
            ("content-type", JSON_CONTENT_TYPE),
            ("x-amzn-requestid", request_id),
            ("date", self._date.now()),
        ]

    def error_response(self, error: AwsError, request_id: str | None = None) -> HttpResponse:
        request_id = request_id or new_request_id()
        headers = self._headers(request_id)
        headers.append(("x-amzn-errortype", error.code))
        return HttpResponse(error.status, headers, error_body(self.index.error_namespace, error))
