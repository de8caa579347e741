"""Who uses the console, and the protections of its forms.

Default mode is for local use: the visitor picks the account (and region) to act as, as local tools let one
choose a profile. Strict mode signs in with an access key and secret from the credentials file; the session is a
signed cookie naming the key, so any replica that shares the credentials file accepts it. Every form carries a
token equal to a cookie of its own (double submit), cookies are SameSite=Strict, and a cross-origin POST is
refused: a page elsewhere cannot make a signed-in browser act.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

from openproton.protocol.sigv4 import StrictIdentity
from openproton.service import OpenProton

from .api import Caller

ACCOUNT_COOKIE = "op_account"
REGION_COOKIE = "op_region"
SESSION_COOKIE = "op_session"
CSRF_COOKIE = "op_csrf"
SESSION_SECONDS = 12 * 3600
DEFAULT_REGION = "us-east-1"


def cookies(headers: Mapping[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is a visitor without cookies, not an error page
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def set_cookie(name: str, value: str, *, max_age: int | None = None) -> tuple[str, str]:
    parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return ("set-cookie", "; ".join(parts))


def is_account(text: str) -> bool:
    return len(text) == 12 and text.isdigit()


class Sessions:
    def __init__(self, service: OpenProton) -> None:
        self.service = service
        self.strict = service.settings.auth == "strict"
        identity = service.pipeline.identity
        self.credentials = identity.credentials if isinstance(identity, StrictIdentity) else {}
        self._key = self._signing_key()

    def _signing_key(self) -> bytes:
        """Derived from what every replica of a strict deployment shares: its credentials file and admin token."""
        settings = self.service.settings
        material = b"openproton-console"
        if self.strict and settings.credentials_file:
            material += Path(settings.credentials_file).read_bytes() + (settings.admin_token or "").encode()
        return hashlib.sha256(material).digest()

    # -- who is asking -----------------------------------------------------------------------------------

    def caller(self, jar: Mapping[str, str]) -> Caller | None:
        region = jar.get(REGION_COOKIE) or DEFAULT_REGION
        if not self.strict:
            account = jar.get(ACCOUNT_COOKIE, "")
            return Caller(account if is_account(account) else self.service.settings.default_account, region)
        access_key = self._session_key(jar.get(SESSION_COOKIE, ""))
        credential = self.credentials.get(access_key) if access_key else None
        if credential is None:
            return None
        return Caller(credential.account_id, region, access_key, credential.secret_access_key, credential.session_token)

    def account_of(self, access_key: str) -> str | None:
        credential = self.credentials.get(access_key)
        return credential.account_id if credential else None

    def new_session(self, access_key: str) -> str:
        expires = int(time.time()) + SESSION_SECONDS
        payload = f"{access_key}.{expires}"
        return f"{payload}.{self._sign(payload)}"

    def _session_key(self, value: str) -> str | None:
        access_key, _, rest = value.partition(".")
        expires, _, signature = rest.partition(".")
        if not (access_key and expires.isdigit() and signature):
            return None
        if not hmac.compare_digest(signature, self._sign(f"{access_key}.{expires}")):
            return None
        return access_key if int(expires) > time.time() else None

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    # -- forms -------------------------------------------------------------------------------------------

    @staticmethod
    def csrf_token(jar: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
        """The visitor's form token, and the cookie to set when it is new."""
        token = jar.get(CSRF_COOKIE, "")
        if len(token) >= 32:
            return token, []
        token = secrets.token_urlsafe(32)
        return token, [set_cookie(CSRF_COOKIE, token)]

    @staticmethod
    def form_is_genuine(jar: Mapping[str, str], form: Mapping[str, str], headers: Mapping[str, str]) -> bool:
        cookie, given = jar.get(CSRF_COOKIE, ""), form.get("csrf", "")
        if not (cookie and given and hmac.compare_digest(cookie.encode(), given.encode())):
            return False
        origin = headers.get("origin")
        if origin and origin != "null":
            return urlsplit(origin).netloc == headers.get("host", "")
        return True
