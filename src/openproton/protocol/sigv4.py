"""Strict identity: every request's AWS Signature Version 4 is verified (wire.md, Identity, strict mode).

The canonical request is rebuilt from the client's own SignedHeaders list and the raw body bytes, so whatever
a client chose to sign (the Java v1 SDK signs user-agent) is what is checked. Signatures are compared with
hmac.compare_digest, and requests more than five minutes from the server's clock are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import parse_qsl, quote

from openproton.decided import MAX_ACCESS_KEY_LENGTH

from .errors import AwsError
from .identity import DEFAULT_REGION, Caller

ALGORITHM = "AWS4-HMAC-SHA256"
SKEW_SECONDS = 5 * 60
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)
UNRECOGNIZED = "The security token included in the request is invalid."


class MissingAuthenticationTokenException(AwsError):
    pass


class IncompleteSignatureException(AwsError):
    pass


class UnrecognizedClientException(AwsError):
    pass


class InvalidSignatureException(AwsError):
    pass


@dataclass(frozen=True, slots=True)
class Credential:
    secret_access_key: str
    account_id: str
    session_token: str | None = None


class SignedRequest(Protocol):
    """What the verifier needs of a request (the pipeline's HttpRequest): the bytes as the client sent them."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def _parse_authorization(value: str) -> tuple[str, dict[str, str]]:
    algorithm, _, rest = value.strip().partition(" ")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, eq, part = item.strip().partition("=")
        if eq:
            parts[name.strip()] = part.strip()
    return algorithm, parts


def _amz_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _basic(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def canonical_request(request: SignedRequest, signed_headers: list[str]) -> str:
    path = quote(request.path or "/", safe="/~")
    pairs = sorted(
        (quote(key, safe="-_.~"), quote(value, safe="-_.~"))
        for key, value in parse_qsl(request.query, keep_blank_values=True)
    )
    query = "&".join(f"{key}={value}" for key, value in pairs)
    headers = "".join(f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed_headers)
    payload = hashlib.sha256(request.body).hexdigest()
    return "\n".join([request.method, path, query, headers, ";".join(signed_headers), payload])


def signature(secret: str, amz_date: str, scope: list[str], canonical: str) -> str:
    date, region, service, terminator = scope
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, "/".join(scope), hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class StrictIdentity:
    """Verifies SigV4 against a credentials map and names the account the key belongs to."""

    def __init__(
        self,
        credentials: Mapping[str, Credential],
        *,
        service: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = dict(credentials)
        self.service = service
        self.now = now

    def identify(self, request: SignedRequest) -> Caller:
        header = request.headers.get("authorization")
        if not header:
            raise MissingAuthenticationTokenException("Request is missing Authentication Token")
        algorithm, parts = _parse_authorization(header)
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm' {algorithm!r}: only {ALGORITHM} is accepted. Authorization={header}"
            )
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "SignedHeaders", "Signature")
            if not parts.get(name)
        ]
        amz_date = request.headers.get("x-amz-date")
        date_header = request.headers.get("date")
        if not amz_date and not date_header:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        if missing:
            raise IncompleteSignatureException(" ".join(missing) + f" Authorization={header}")
        try:
            signed_at = _amz_time(amz_date) if amz_date else parsedate_to_datetime(date_header or "")
        except (ValueError, TypeError):
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date or date_header}'. See "
                "http://en.wikipedia.org/wiki/ISO_8601"
            ) from None
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=UTC)
        stamp = _basic(signed_at)
        scope = parts["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise IncompleteSignatureException(
                f"Credential should be scoped to a valid region, service and aws4_request. Authorization={header}"
            )
        access_key, scope = scope[0], scope[1:]
        credential = self.credentials.get(access_key)
        token = request.headers.get("x-amz-security-token")
        if credential is None or token != credential.session_token:
            raise UnrecognizedClientException(UNRECOGNIZED)
        self._check_clock(signed_at)
        signed_headers = parts["SignedHeaders"].split(";")
        if scope[2] != self.service or "host" not in signed_headers or scope[0] != stamp[:8]:
            raise InvalidSignatureException(MISMATCH)
        expected = signature(credential.secret_access_key, stamp, scope, canonical_request(request, signed_headers))
        if not hmac.compare_digest(expected, parts["Signature"]):
            raise InvalidSignatureException(MISMATCH)
        return Caller(credential.account_id, scope[1] or DEFAULT_REGION, access_key)

    def _check_clock(self, signed_at: datetime) -> None:
        now = datetime.fromtimestamp(self.now(), UTC)
        skew = (now - signed_at).total_seconds()
        if skew > SKEW_SECONDS:
            limit = datetime.fromtimestamp(now.timestamp() - SKEW_SECONDS, UTC)
            raise InvalidSignatureException(
                f"Signature expired: {_basic(signed_at)} is now earlier than {_basic(limit)} ({_basic(now)} - 5 min.)"
            )
        if -skew > SKEW_SECONDS:
            limit = datetime.fromtimestamp(now.timestamp() + SKEW_SECONDS, UTC)
            raise InvalidSignatureException(
                f"Signature not yet current: {_basic(signed_at)} is still later than {_basic(limit)} "
                f"({_basic(now)} + 5 min.)"
            )


def load_credentials(text: str, *, source: str) -> dict[str, Credential]:
    """Read a credentials file: {"credentials": [{"accessKeyId", "secretAccessKey", "accountId",
    "sessionToken"?}, ...]}. Raises ValueError naming the file and the entry at fault."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source} is not valid JSON: {error}") from None
    entries = data.get("credentials") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f'{source} must hold {{"credentials": [...]}} with at least one entry')
    found: dict[str, Credential] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: credentials entry {number} is not an object")
        key, secret, account = entry.get("accessKeyId"), entry.get("secretAccessKey"), entry.get("accountId")
        token = entry.get("sessionToken")
        if not (isinstance(key, str) and key and isinstance(secret, str) and secret):
            raise ValueError(f"{source}: credentials entry {number} needs accessKeyId and secretAccessKey")
        if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
            raise ValueError(f"{source}: credentials entry {number} needs a 12-digit accountId")
        if token is not None and not isinstance(token, str):
            raise ValueError(f"{source}: credentials entry {number} has a sessionToken that is not a string")
        if len(key) > MAX_ACCESS_KEY_LENGTH:  # [decided] W-14: no request could name it
            raise ValueError(
                f"{source}: credentials entry {number} has an accessKeyId longer than {MAX_ACCESS_KEY_LENGTH} "
                "characters"
            )
        if key in found:
            raise ValueError(f"{source}: access key {key} appears twice")
        found[key] = Credential(secret, account, token)
    return found
