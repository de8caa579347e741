"""Who is calling, and where: account and region from the SigV4 Authorization header (wire.md, Identity).

Default mode checks no signature. The account is the access key itself when it is 12 digits, else the key's
entry in a configured map, else a default account. The region is the credential scope's region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    region: str
    access_key: str | None


@dataclass(frozen=True, slots=True)
class CredentialScope:
    access_key: str
    date: str
    region: str
    service: str


def credential_scope(authorization: str | None) -> CredentialScope | None:
    """Read `Credential=AKID/DATE/REGION/SERVICE/aws4_request` out of an Authorization header."""
    if not authorization:
        return None
    start = authorization.find("Credential=")
    if start < 0:
        return None
    value = authorization[start + len("Credential=") :]
    value = value.split(",", 1)[0].strip()
    parts = value.split("/")
    if len(parts) != 5 or not parts[0]:
        return None
    return CredentialScope(access_key=parts[0], date=parts[1], region=parts[2], service=parts[3])


class DefaultIdentity:
    """Identity without signature checks, for tests and local use."""

    def __init__(self, default_account: str, key_accounts: Mapping[str, str] | None = None) -> None:
        self.default_account = default_account
        self.key_accounts = dict(key_accounts or {})
        self._callers: dict[str, Caller] = {}

    def identify(self, request: Any) -> Caller:
        """`request` is anything with lower-case `headers` (an HttpRequest)."""
        authorization = request.headers.get("authorization")
        # The credential part (key, date, region) repeats across a client's requests; only the signature
        # changes. Remember the last few callers by it rather than parsing every header.
        credential = authorization.split(",", 1)[0] if authorization else ""
        caller = self._callers.get(credential)
        if caller is None:
            caller = self._identify(authorization)
            if len(self._callers) >= 1024:
                self._callers.clear()
            self._callers[credential] = caller
        return caller

    def _identify(self, authorization: str | None) -> Caller:
        scope = credential_scope(authorization)
        if scope is None:
            return Caller(self.default_account, DEFAULT_REGION, None)
        key = scope.access_key
        if len(key) == 12 and key.isascii() and key.isdigit():
            account = key
        else:
            account = self.key_accounts.get(key, self.default_account)
        return Caller(account, scope.region or DEFAULT_REGION, key)
