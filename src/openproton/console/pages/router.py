"""The console's router: one request in, the family page that answers it, and the plumbing every page shares
(the stylesheet, form tokens, cookies, the sign-in gate, 404 and 405)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs

from openproton.protocol.pipeline import HttpResponse
from openproton.service import OpenProton

from .. import PREFIX
from ..html import url
from ..session import SESSION_COOKIE, Sessions, cookies, set_cookie
from .audit import AuditPages
from .base import Handler, Pages, Route, Visit, plain, redirect
from .components import ComponentPages
from .connections import ConnectionPages
from .deployments import DeploymentPages
from .environments import EnvironmentPages
from .identity import IdentityPages
from .repositories import RepositoryPages
from .services import ServicePages
from .templates import TemplatePages

STYLESHEET = (Path(__file__).parent.parent / "console.css").read_bytes()


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: items[0] for key, items in values.items()}


class Console:
    def __init__(self, service: OpenProton) -> None:
        self.service = service
        self.sessions = Sessions(service)
        self.strict = self.sessions.strict
        self.identity = IdentityPages(service, self.sessions)
        # A new family of pages is one more entry here; their order is the order a 405 lists methods in.
        families: tuple[Pages, ...] = (
            self.identity,
            ConnectionPages(service, self.sessions),
            EnvironmentPages(service, self.sessions),
            DeploymentPages(service, self.sessions),
            ServicePages(service, self.sessions),
            ComponentPages(service, self.sessions),
            TemplatePages(service, self.sessions),
            RepositoryPages(service, self.sessions),
            AuditPages(service, self.sessions),
        )
        self.routes: dict[Route, Handler] = {}
        for family in families:
            self.routes.update(family.routes())

    # -- dispatch --------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpResponse:
        if method == "HEAD":
            answer = self.handle("GET", path, query, headers, b"")
            return HttpResponse(answer.status, answer.headers, b"")
        parts = [part for part in path[len(PREFIX) :].split("/") if part]
        if parts == ["static", "console.css"]:
            return HttpResponse(200, [("content-type", "text/css"), ("cache-control", "max-age=3600")], STYLESHEET)
        if not parts:
            return redirect(url("connections"))
        jar = cookies(headers)
        csrf, new_cookie = self.sessions.csrf_token(jar)
        form: dict[str, str] = {}
        if method == "POST":
            form = _first(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
            if not self.sessions.form_is_genuine(jar, form, headers):
                return plain(
                    403,
                    "This form could not be verified (its token is missing or stale). Go back, "
                    "reload the page and try again.",
                )
        visit = Visit(method, parts, _first(parse_qs(query)), form, headers, jar, self.sessions.caller(jar), csrf)
        visit.set_cookies.extend(new_cookie)
        response = self._route(visit)
        response.headers.extend(visit.set_cookies)
        if headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https":
            # Behind a TLS-terminating proxy: the browser must send these cookies over HTTPS only.
            response.headers = [
                (name, f"{value}; Secure" if name == "set-cookie" else value) for name, value in response.headers
            ]
        return response

    def _route(self, visit: Visit) -> HttpResponse:
        head, method = visit.parts[0], visit.method
        if head == "login":
            return self.identity.login(visit)
        if head == "logout" and method == "POST":
            return redirect(
                url("login") if self.strict else url("connections"), [set_cookie(SESSION_COOKIE, "", max_age=0)]
            )
        if visit.caller is None:
            return redirect(url("login"))
        handler = self.routes.get((head, len(visit.parts), method))
        allowed = [m for (h, n, m) in self.routes if (h, n) == (head, len(visit.parts))]
        if handler is None and allowed:
            answer = plain(405, f"Use {' or '.join(allowed)} on this console page.")
            answer.headers.append(("allow", ", ".join(allowed)))
            return answer
        if handler is None:
            return plain(404, f"There is no console page at {PREFIX}/{'/'.join(visit.parts)}.")
        return handler(visit)
