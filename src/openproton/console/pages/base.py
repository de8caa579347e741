"""What every family of console pages shares: the visit, the layout of a page, redirects and plain answers.

A family of pages (connections, environments, ...) is a `Pages` subclass in a module of its own that names its
routes; the router (router.py) collects them. So a new family, such as services, is a new module and one line in
the router.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from openproton.protocol.pipeline import HttpResponse
from openproton.proton.admin import Admin
from openproton.service import OpenProton

from ..api import ApiError, Caller, ConsoleApi
from ..html import REGIONS, button, e, page, url
from ..session import DEFAULT_REGION, Sessions

LOCAL_MODE_NOTICE = (
    "<strong>Local mode.</strong> There is no sign-in: you act as the account you choose above, as local tools "
    "do. For a shared deployment, run <code>openproton serve --auth strict</code>."
)
_HEADERS = [
    ("content-type", "text/html; charset=utf-8"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
]
# The confirmations a redirect may ask a page to show: fixed wording around a checked connection id.
DONE = {
    "requested": "Requested",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "deleted": "Deleted",
    "updated": "Updated",
}
_CONNECTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


@dataclass
class Visit:
    """One request to the console, as the pages need it."""

    method: str
    parts: list[str]  # the path below /console, split at "/"
    query: dict[str, str]
    form: dict[str, str]
    headers: Mapping[str, str]
    jar: dict[str, str]
    caller: Caller | None
    csrf: str
    set_cookies: list[tuple[str, str]] = dataclass_field(default_factory=list)


# (first path segment, number of segments, method): the page that answers it.
Route = tuple[str, int, str]
Handler = Callable[[Visit], HttpResponse]


def redirect(location: str, extra: list[tuple[str, str]] | None = None) -> HttpResponse:
    return HttpResponse(303, [("location", location), ("cache-control", "no-store"), *(extra or [])], b"")


def plain(code: int, message: str) -> HttpResponse:
    """A page with only a message, for a request no page can answer."""
    body = page("Console", "", section="", who="", error=e(message))
    return HttpResponse(code, list(_HEADERS), body)


class Pages:
    """One family of pages, with the plumbing they share: the service, the mode, the API client and the layout.

    What a page shows beyond the API (an event history, the audit log) it reads through `self.admin`, the admin
    facade, never from a family or the database directly.
    """

    def __init__(self, service: OpenProton, sessions: Sessions) -> None:
        self.service = service
        self.admin: Admin = service.admin
        self.sessions = sessions
        self.strict = sessions.strict

    def routes(self) -> dict[Route, Handler]:
        """The pages of this family, by route, in the order a 405 lists their methods."""
        raise NotImplementedError

    def api(self, visit: Visit) -> ConsoleApi:
        assert visit.caller is not None
        return ConsoleApi(self.service, visit.caller)

    def who(self, visit: Visit) -> str:
        caller = visit.caller
        current = caller.region if caller else DEFAULT_REGION
        # The usual regions, and the one in use if it is another (any region name works).
        choices = REGIONS if current in REGIONS else (*REGIONS, current)
        regions = "".join(
            f"<option{' selected' if region == current else ''}>{e(region)}</option>" for region in choices
        )
        region_field = (
            '<span class="who-field"><label for="who-region">Region</label>'
            f'<select id="who-region" name="region">{regions}</select></span>'
        )
        here = url(*visit.parts)
        token = (
            f'<input type="hidden" name="csrf" value="{e(visit.csrf)}">'
            f'<input type="hidden" name="next" value="{e(here)}">'
        )
        if caller is None:
            return ""
        if not self.strict:
            return (
                f'<form method="post" action="{url("identity")}">{token}'
                '<span class="who-field"><label for="who-account">Account</label>'
                f'<input id="who-account" name="account" value="{e(caller.account_id)}" inputmode="numeric" '
                f'pattern="[0-9]{{12}}" title="12 digits"></span>{region_field}'
                '<button type="submit" class="secondary">Act as</button></form>'
            )
        return (
            f"<span>Signed in as <code>{e(caller.access_key_id)}</code> (account {e(caller.account_id)})</span>"
            f'<form method="post" action="{url("identity")}">{token}{region_field}'
            '<button type="submit" class="secondary">Use region</button></form>'
            + button(url("logout"), "Sign out", visit.csrf, style="secondary")
        )

    def render(
        self,
        visit: Visit,
        title: str,
        content: str,
        *,
        section: str,
        error: ApiError | str | None = None,
        code: int = 200,
    ) -> HttpResponse:
        if isinstance(error, ApiError):
            shown = f"<strong>{e(error.code)}</strong>: {e(error.message)}"
            code = error.status
        else:
            shown = e(error) if error else ""
        body = page(
            title,
            content,
            section=section,
            who=self.who(visit),
            notice="" if self.strict else LOCAL_MODE_NOTICE,
            error=shown,
            done=_done(visit.query),
        )
        return HttpResponse(code, list(_HEADERS), body)

    def unreadable(self, visit: Visit, title: str, content: str, *, section: str, error: ApiError) -> HttpResponse:
        """A resource's page when the API would not give the resource: with the API's message, and 404 when it
        does not exist (the API answers that 400, as Proton does, but for a page it is Not Found)."""
        answer = self.render(visit, title, content, section=section, error=error)
        if error.code == "ResourceNotFoundException":
            answer.status = 404
        return answer


def _done(query: Mapping[str, str]) -> str:
    """The confirmation a redirect asked for, in fixed wording: a link cannot put its own text on the page."""
    verb, ident = DONE.get(query.get("done", "")), query.get("id", "")
    if verb is None or not _CONNECTION_ID.fullmatch(ident):
        return ""
    return f"{verb} connection {ident}."
