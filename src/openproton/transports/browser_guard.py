"""What keeps a web page in a developer's browser away from a local server ([decided] W-17).

A page on any site can make the browser send simple requests (no preflight) to 127.0.0.1, and a DNS name that
rebinds to 127.0.0.1 makes them same-origin. Two checks close that: a server listening on loopback answers only
requests whose Host is a loopback name or address (or a configured name), and the admin endpoints refuse
requests a browser marks as sent for another site, or bodies that are not JSON. SDKs send neither Origin nor
Sec-Fetch-Site, and a Host of the endpoint they were given, so the API works for them as before.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

_JSON_TYPES = frozenset({"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1"})


def _host_name(host: str) -> str:
    """The name of a Host header without its port, lower-case; brackets kept off IPv6 addresses."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostGuard:
    """Host checks for a server listening on `listen_host`: only when that is a loopback address."""

    def __init__(self, listen_host: str, allowed: Iterable[str] = ()) -> None:
        self.active = is_loopback_name(_host_name(listen_host))
        self._allowed = {name.lower() for name in allowed}
        self._seen: dict[str, bool] = {}

    def allows(self, host: str | None) -> bool:
        if not self.active or host is None:
            return True  # a client without Host is no browser
        verdict = self._seen.get(host)
        if verdict is None:
            name = _host_name(host)
            verdict = is_loopback_name(name) or name in self._allowed
            if len(self._seen) < 256:
                self._seen[host] = verdict
        return verdict


def cross_site_reason(method: str, headers: Mapping[str, str], body: bytes) -> str | None:
    """Why an admin request looks sent by a browser for another site, or None."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is not None:
        # The server's own pages would send their own origin: the scheme and the Host the browser used.
        host = (headers.get("host") or "").lower()
        parts = urlsplit(origin)
        if not host or parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return f"Origin {origin}"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        # Browsers label every body they send, and a page may send only form and text types without asking
        # first; an unlabelled body is from a tool, and the endpoint's own JSON check answers it (400).
        content_type = headers.get("content-type")
        if content_type is not None:
            media_type = content_type.split(";", 1)[0].strip().lower()
            if media_type not in _JSON_TYPES:
                return f"Content-Type {media_type or '(empty)'}"
    return None
