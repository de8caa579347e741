"""Where bundles come from: an S3 API or a directory standing for one (B-1, B-2), and whose buckets (B-14).

A fetch runs outside any database transaction (the provider calls it before the Create's transaction opens)
and with the server's own credentials, never the caller's: hence B-14's map of the buckets each account may name.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from openproton.settings import Settings, SettingsError

from .archive import MAX_ARCHIVE_BYTES, TOO_LARGE
from .model import BundleInvalid

# [decided] B-1: connect and read timeouts of a GetObject.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20


def fetch_failed(bucket: str, key: str, reason: str) -> BundleInvalid:
    """B-6 step 1's message."""
    return BundleInvalid(f"Unable to fetch template bundle from s3://{bucket}/{key}: {reason}")


class BucketPolicy:
    """[decided] B-14: the buckets an account may name; `*` lists those every account may."""

    def __init__(self, allowed: Mapping[str, Sequence[str]] | None) -> None:
        self.allowed = None if allowed is None else {account: tuple(names) for account, names in allowed.items()}

    @classmethod
    def from_file(cls, path: str | None, *, strict: bool) -> BucketPolicy:
        if path is None:
            # Without the setting every bucket is allowed in default mode, none in strict mode (which
            # Settings.check refuses to start without it, so this is the belt to its braces).
            return cls({} if strict else None)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise SettingsError(f"the bundle buckets file {path}: {error.strerror or error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise SettingsError(f"the bundle buckets file {path} is not JSON: {error}") from None
        if not isinstance(data, dict) or not all(
            isinstance(names, list) and all(isinstance(name, str) and name for name in names) for names in data.values()
        ):
            raise SettingsError(
                f'the bundle buckets file {path} must map accounts (or "*") to lists of bucket names or patterns'
            )
        for account in data:
            if account != "*" and not (len(account) == 12 and account.isdigit()):
                raise SettingsError(f"the bundle buckets file {path}: {account!r} is not a 12-digit account or *")
        return cls(data)

    def allows(self, account_id: str, bucket: str) -> bool:
        if self.allowed is None:
            return True
        patterns = (*self.allowed.get(account_id, ()), *self.allowed.get("*", ()))
        # fnmatchcase: `prefix-*` as the setting documents; bucket names hold no glob characters of their own.
        return any(fnmatch.fnmatchcase(bucket, pattern) for pattern in patterns)

    def check(self, account_id: str, bucket: str, key: str) -> None:
        if not self.allows(account_id, bucket):
            raise fetch_failed(bucket, key, f"bucket not allowed for account {account_id}")


class BundleSource(Protocol):
    def fetch(self, account_id: str, region: str, bucket: str, key: str) -> bytes:
        """The archive's bytes, or BundleInvalid with B-6 step 1's message (or step 2's size message)."""
        ...


class DirectorySource:
    """[decided] B-2: `s3://bucket/key` is `DIR/bucket/key`."""

    def __init__(self, root: str, buckets: BucketPolicy) -> None:
        self.root = Path(root).resolve()
        self.buckets = buckets

    def fetch(self, account_id: str, region: str, bucket: str, key: str) -> bytes:
        self.buckets.check(account_id, bucket, key)
        segments = key.split("/")
        if not bucket or bucket in (".", "..") or "/" in bucket or any(s in ("", ".", "..") for s in segments):
            raise fetch_failed(bucket, key, "not found")
        folder = (self.root / bucket).resolve()
        path = (folder / key).resolve()
        # The real path, links followed, must stay inside the bucket's directory.
        if folder.parent != self.root or folder not in path.parents or not path.is_file():
            raise fetch_failed(bucket, key, "not found")
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise BundleInvalid(TOO_LARGE)  # step 2's first check, without reading the file
        try:
            return path.read_bytes()
        except OSError:
            raise fetch_failed(bucket, key, "not found") from None


class S3Source:
    """[decided] B-1: GetObject signed for the call's region with the process's credential chain."""

    def __init__(self, endpoint: str, buckets: BucketPolicy) -> None:
        self.endpoint_url = None if endpoint == "aws" else endpoint
        self.buckets = buckets
        self._clients: dict[str, Any] = {}

    def _client(self, region: str) -> Any:
        client = self._clients.get(region)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": 2, "mode": "standard"},
                # Path-style for a URL: a local S3 API has no per-bucket host names.
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            )
            client = boto3.session.Session().client(
                "s3", region_name=region, endpoint_url=self.endpoint_url, config=config
            )
            self._clients[region] = client
        return client

    def fetch(self, account_id: str, region: str, bucket: str, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        self.buckets.check(account_id, bucket, key)
        try:
            answer = self._client(region).get_object(Bucket=bucket, Key=key)
            if int(answer.get("ContentLength") or 0) > MAX_ARCHIVE_BYTES:
                answer["Body"].close()
                raise BundleInvalid(TOO_LARGE)
            # One byte more than the limit tells an object over it without reading all of it.
            data = answer["Body"].read(MAX_ARCHIVE_BYTES + 1)
            answer["Body"].close()
        except ClientError as error:
            # S3's error code (NoSuchKey, NoSuchBucket, AccessDenied) is the reason, as B-6 step 1 says.
            code = error.response.get("Error", {}).get("Code") or "error"
            raise fetch_failed(bucket, key, "not found" if code == "404" else code) from None
        except NoCredentialsError:
            raise fetch_failed(bucket, key, "OpenProton has no AWS credentials") from None
        except BotoCoreError as error:
            # Connection failures and timeouts: their class names the failure without the endpoint's address.
            raise fetch_failed(bucket, key, type(error).__name__) from None
        if len(data) > MAX_ARCHIVE_BYTES:
            raise BundleInvalid(TOO_LARGE)
        return data


def source_from(settings: Settings) -> BundleSource | None:
    buckets = BucketPolicy.from_file(settings.bundle_buckets_file, strict=settings.auth == "strict")
    if settings.bundle_dir:
        return DirectorySource(settings.bundle_dir, buckets)
    if settings.bundle_s3_endpoint:
        return S3Source(settings.bundle_s3_endpoint, buckets)
    return None  # [decided] B-3: nothing is fetched
