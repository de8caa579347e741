"""Who uses the console, and the protections of its forms.

Default mode is for local use: the visitor picks the account (and region) to act as, as local tools let one
choose a profile. Strict mode signs in with an access key and secret from the credentials file; the session is a
signed cookie naming the key, so any replica that shares the credentials file accepts it. Every form carries a
token signed over a random browser-id cookie and the session (signed with a key derived from the credentials
file, so only in strict mode is it a secret); cookies are SameSite=Strict and HttpOnly; and a POST that the
browser says comes from another site (Sec-Fetch-Site, Origin, including `null`) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from openproton.protocol.pipeline import REGION_NAME
from openproton.protocol.sigv4 import StrictIdentity
from openproton.service import OpenProton

from .api import Caller

ACCOUNT_COOKIE = "op_account"
REGION_COOKIE = "op_region"
SESSION_COOKIE = "op_session"
CSRF_COOKIE = "op_csrf"
SESSION_SECONDS = 12 * 3600
DEFAULT_REGION = "us-east-1"
_SESSION = re.compile(r"([A-Za-z0-9]{1,128})\.([0-9]{1,12})\.([0-9a-f]{64})", re.ASCII)
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{32,64}", re.ASCII)


def cookies(headers: Mapping[str, str]) -> dict[str, str]:
    """The Cookie header, read leniently: one malformed cookie (another app's, on the same host) spoils nothing."""
    jar: dict[str, str] = {}
    for piece in headers.get("cookie", "").split(";"):
        name, eq, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if eq and name and name not in jar:
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            jar[name] = value
    return jar


def set_cookie(name: str, value: str, *, max_age: int | None = None) -> tuple[str, str]:
    parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return ("set-cookie", "; ".join(parts))


def is_account(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def is_region(text: str) -> bool:
    return REGION_NAME.fullmatch(text) is not None


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
        region = jar.get(REGION_COOKIE, "")
        region = region if is_region(region) else DEFAULT_REGION
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
        match = _SESSION.fullmatch(value)
        if match is None:
            return None
        access_key, expires, signature = match.groups()
        if not hmac.compare_digest(signature.encode(), self._sign(f"{access_key}.{expires}").encode()):
            return None
        return access_key if int(expires) > time.time() else None

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    # -- forms -------------------------------------------------------------------------------------------

    def csrf_token(self, jar: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
        """The form token for this browser (and session), and the cookie to set when the browser has none.

        The cookie is a random browser id; the token is its signature, bound to the session too, so a cookie
        planted from a neighbouring site cannot be paired with a token of the attacker's making.
        """
        browser = jar.get(CSRF_COOKIE, "")
        fresh: list[tuple[str, str]] = []
        if not _BROWSER_ID.fullmatch(browser):
            browser = secrets.token_urlsafe(32)
            fresh = [set_cookie(CSRF_COOKIE, browser)]
        return self._sign(f"form|{browser}|{jar.get(SESSION_COOKIE, '')}"), fresh

    @staticmethod
    def new_browser_id() -> tuple[str, str]:
        """A new browser id cookie: set at sign-in, so tokens from before it stop working."""
        return set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32))

    def form_is_genuine(self, jar: Mapping[str, str], form: Mapping[str, str], headers: Mapping[str, str]) -> bool:
        browser, given = jar.get(CSRF_COOKIE, ""), form.get("csrf", "")
        if not (_BROWSER_ID.fullmatch(browser) and given):
            return False
        expected = self._sign(f"form|{browser}|{jar.get(SESSION_COOKIE, '')}")
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            return False
        # Browsers say where a request comes from: only this origin (or a typed-in navigation) may post.
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True
        if origin == "null":
            return False  # a sandboxed frame or a redirect chain: never this console's own page
        # Behind a proxy that rewrites Host, the original host is in X-Forwarded-Host.
        hosts = {headers.get("host", ""), *headers.get("x-forwarded-host", "").split(",")}
        return urlsplit(origin).netloc in {host.strip() for host in hosts if host.strip()}
