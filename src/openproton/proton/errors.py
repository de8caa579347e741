"""Proton's error shapes, one class each (a test checks them against the model's error shapes)."""

from openproton.protocol.errors import (
    AccessDeniedException,
    AwsError,
    InternalServerException,
    ThrottlingException,
    ValidationException,
)


class ConflictException(AwsError):
    pass


class ResourceNotFoundException(AwsError):
    pass


class ServiceQuotaExceededException(AwsError):
    pass


__all__ = [
    "AccessDeniedException",
    "ConflictException",
    "InternalServerException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
]
