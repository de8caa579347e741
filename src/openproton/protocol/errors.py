"""Typed errors and the one table that maps them to HTTP statuses (wire.md, "Errors")."""

from __future__ import annotations

from typing import ClassVar

# wire.md's status table, in one place. Every modelled client error is 400 (the one live capture of a Proton
# error said 400, whatever the Smithy traits claim); clients choose the exception class from the name.
WIRE_STATUS: dict[str, int] = {
    "ValidationException": 400,
    "AccessDeniedException": 400,
    "ResourceNotFoundException": 400,
    "ConflictException": 400,
    # [decided] ServiceQuotaExceededException is 400, following the other client errors (decided.py W-1).
    "ServiceQuotaExceededException": 400,
    "ThrottlingException": 400,
    "InternalServerException": 500,
    "UnknownOperationException": 400,
    "SerializationException": 400,
    # [decided] An operation of the model that is not implemented yet answers 501, which no SDK retries
    # (botocore, JS v3 and Go retry 500, 502, 503 and 504 only), so a client fails at once (decided.py W-2).
    "NotImplementedException": 501,
    # Strict-mode authentication failures (wire.md, Identity): all 400.
    "MissingAuthenticationTokenException": 400,
    "IncompleteSignatureException": 400,
    "UnrecognizedClientException": 400,
    "InvalidSignatureException": 400,
    # Answered by the server below the pipeline (transports/): the connection, not the call, is at fault.
    "RequestTimeoutException": 408,
    "MisdirectedRequestException": 421,
    "ServiceUnavailableException": 503,
}


class AwsError(Exception):
    """An error answered on the wire as `{"__type": ..., "message": ...}` with `X-Amzn-ErrorType`.

    `code` is the error shape's name; it defaults to the class name, so one class per error shape suffices.
    """

    code: ClassVar[str] = "AwsError"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self._status = status

    @property
    def status(self) -> int:
        if self._status is not None:
            return self._status
        return WIRE_STATUS.get(self.code, 400)


# Errors every AWS JSON service shares; the service's own error shapes subclass AwsError the same way.
class ValidationException(AwsError):
    pass


class InternalServerException(AwsError):
    pass


class AccessDeniedException(AwsError):
    pass


class ThrottlingException(AwsError):
    pass


# Protocol-level failures, named as AWS's JSON front end names them.
class UnknownOperationException(AwsError):
    pass


class SerializationException(AwsError):
    pass


class NotImplementedException(AwsError):
    pass


# Failures of the connection rather than the call, answered by the HTTP server (transports/).
class RequestTimeoutException(AwsError):
    pass


class MisdirectedRequestException(AwsError):
    pass


class ServiceUnavailableException(AwsError):
    pass
