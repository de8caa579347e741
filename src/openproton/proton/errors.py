"""Proton's error shapes, one class each (a test checks them against the model's error shapes)."""

from openproton.protocol.errors import (
    AwsError,
    InternalServerException,
    ThrottlingException,
    ValidationException,
)


class AccessDeniedException(AwsError):
    pass


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
