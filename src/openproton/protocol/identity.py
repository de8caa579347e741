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


def credential_value(authorization: str | None) -> str | None:
    """The text of `Credential=...` in an Authorization header, wherever it stands among the parts."""
    if not authorization:
        return None
    start = authorization.find("Credential=")
    if start < 0:
        return None
    return authorization[start + len("Credential=") :].split(",", 1)[0].strip()


def scope_of(value: str | None) -> CredentialScope | None:
    if value is None:
        return None
    parts = value.split("/")
    if len(parts) != 5 or not parts[0]:
        return None
    return CredentialScope(access_key=parts[0], date=parts[1], region=parts[2], service=parts[3])


class DefaultIdentity:
    """Identity without signature checks, for tests and local use."""

    def __init__(self, default_account: str, key_accounts: Mapping[str, str] | None = None) -> None:
        self.default_account = default_account
        self.key_accounts = dict(key_accounts or {})
        self._callers: dict[str | None, Caller] = {}

    def identify(self, request: Any) -> Caller:
        """`request` is anything with lower-case `headers` (an HttpRequest)."""
        # The Credential value (key, date, region) repeats across a client's requests; only the signature
        # changes. Remember the last few callers by that value, which alone decides who calls: any other part
        # of the header (or its order) says nothing of identity.
        credential = credential_value(request.headers.get("authorization"))
        caller = self._callers.get(credential)
        if caller is None:
            caller = self._identify(scope_of(credential))
            if len(self._callers) >= 1024:
                self._callers.clear()
            self._callers[credential] = caller
        return caller

    def _identify(self, scope: CredentialScope | None) -> Caller:
        if scope is None:
            return Caller(self.default_account, DEFAULT_REGION, None)
        key = scope.access_key
        if len(key) == 12 and key.isascii() and key.isdigit():
            account = key
        else:
            account = self.key_accounts.get(key, self.default_account)
        return Caller(account, scope.region or DEFAULT_REGION, key)
