"""The console's pages and actions. Each reads and acts through ConsoleApi, so the API's rules apply unchanged."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from openproton.protocol.pipeline import HttpResponse
from openproton.proton.events import connection_history
from openproton.service import OpenProton

from . import PREFIX
from .api import ApiError, Caller, ConsoleApi
from .html import REGIONS, arn, button, details, e, field, nowrap, page, status, table, url, when, words
from .session import (
    ACCOUNT_COOKIE,
    DEFAULT_REGION,
    REGION_COOKIE,
    SESSION_COOKIE,
    Sessions,
    cookies,
    is_account,
    is_region,
    set_cookie,
)

STYLESHEET = (Path(__file__).with_name("console.css")).read_bytes()
PAGE_SIZE = 25
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
# Sign-in failures say the same whatever was wrong, so a guess learns nothing.
BAD_SIGN_IN = "The access key ID or secret access key is not valid."
# The answers that mean the key or secret is wrong (wire.md, strict mode); any other is shown as it is.
SIGNATURE_ERRORS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
    }
)
# Where "Act as" may return to: a console page, by a path of plain segments.
_CONSOLE_PATH = re.compile(r"/console(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~%-]+)*", re.ASCII)
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


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: items[0] for key, items in values.items()}


def redirect(location: str, extra: list[tuple[str, str]] | None = None) -> HttpResponse:
    return HttpResponse(303, [("location", location), ("cache-control", "no-store"), *(extra or [])], b"")


class Console:
    def __init__(self, service: OpenProton) -> None:
        self.service = service
        self.sessions = Sessions(service)
        self.strict = self.sessions.strict

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
                return self._plain(
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
            return self.login(visit)
        if head == "logout" and method == "POST":
            return redirect(
                url("login") if self.strict else url("connections"), [set_cookie(SESSION_COOKIE, "", max_age=0)]
            )
        if visit.caller is None:
            return redirect(url("login"))
        routes: dict[tuple[str, int, str], Callable[[Visit], HttpResponse]] = {
            ("identity", 1, "POST"): self.choose_identity,
            ("connections", 1, "GET"): self.connections,
            ("connections", 1, "POST"): self.create_connection,
            ("connections", 2, "GET"): self.connection,
            ("connections", 3, "POST"): self.act_on_connection,
            ("environments", 1, "GET"): self.environments,
            ("environments", 2, "GET"): self.environment,
            ("templates", 1, "GET"): self.templates,
            ("templates", 2, "GET"): self.template,
            ("audit", 1, "GET"): self.audit,
        }
        handler = routes.get((head, len(visit.parts), method))
        allowed = [m for (h, n, m) in routes if (h, n) == (head, len(visit.parts))]
        if handler is None and allowed:
            answer = self._plain(405, f"Use {' or '.join(allowed)} on this console page.")
            answer.headers.append(("allow", ", ".join(allowed)))
            return answer
        if handler is None:
            return self._plain(404, f"There is no console page at {PREFIX}/{'/'.join(visit.parts)}.")
        return handler(visit)

    # -- rendering -------------------------------------------------------------------------------------

    def _api(self, visit: Visit) -> ConsoleApi:
        assert visit.caller is not None
        return ConsoleApi(self.service, visit.caller)

    def _who(self, visit: Visit) -> str:
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

    def _page(
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
            who=self._who(visit),
            notice="" if self.strict else LOCAL_MODE_NOTICE,
            error=shown,
            done=_done(visit.query),
        )
        return HttpResponse(code, list(_HEADERS), body)

    def _unreadable(self, visit: Visit, title: str, content: str, *, section: str, error: ApiError) -> HttpResponse:
        """A resource's page when the API would not give the resource: with the API's message, and 404 when it
        does not exist (the API answers that 400, as Proton does, but for a page it is Not Found)."""
        answer = self._page(visit, title, content, section=section, error=error)
        if error.code == "ResourceNotFoundException":
            answer.status = 404
        return answer

    def _plain(self, code: int, message: str) -> HttpResponse:
        body = page("Console", "", section="", who="", error=e(message))
        return HttpResponse(code, list(_HEADERS), body)

    # -- identity --------------------------------------------------------------------------------------

    def choose_identity(self, visit: Visit) -> HttpResponse:
        chosen = []
        region = visit.form.get("region", "")
        if is_region(region):
            chosen.append(set_cookie(REGION_COOKIE, region))
        account = visit.form.get("account", "").strip()
        if not self.strict and account:
            if not is_account(account):
                return self._plain(400, f"An account ID is 12 digits; {account!r} is not one.")
            chosen.append(set_cookie(ACCOUNT_COOKIE, account))
        # Back to the page the form was on: a console path only, never a redirect elsewhere.
        back = visit.form.get("next", "")
        return redirect(back if _CONSOLE_PATH.fullmatch(back) else url("connections"), chosen)

    def login(self, visit: Visit) -> HttpResponse:
        if not self.strict:
            return redirect(url("connections"))
        form = (
            f'<form method="post" action="{url("login")}" class="card"><input type="hidden" name="csrf" '
            f'value="{e(visit.csrf)}">'
            + field("accessKeyId", "Access key ID", required=True, value=visit.form.get("accessKeyId", ""))
            + '<label for="f-secret">Secret access key</label>'
            '<input id="f-secret" name="secretAccessKey" type="password" required autocomplete="current-password">'
            '<p><button type="submit">Sign in</button></p></form>'
            "<p>Sign in with an access key from this server's credentials file. You act only as its account.</p>"
        )
        if visit.method != "POST":
            return self._page(visit, "Sign in", form, section="")
        access_key = visit.form.get("accessKeyId", "").strip()
        secret = visit.form.get("secretAccessKey", "")
        account = self.sessions.account_of(access_key)
        if account is None or not secret:
            return self._page(visit, "Sign in", form, section="", error=BAD_SIGN_IN, code=401)
        credential = self.sessions.credentials[access_key]
        region = visit.jar.get(REGION_COOKIE, "")
        region = region if is_region(region) else DEFAULT_REGION
        trial = Caller(account, region, access_key, secret, credential.session_token)
        try:
            # The secret is proven the way every client proves it: a signed call the pipeline verifies.
            ConsoleApi(self.service, trial).call("ListEnvironmentTemplates", {"maxResults": 1})
        except ApiError as failure:
            if failure.code in SIGNATURE_ERRORS:
                return self._page(visit, "Sign in", form, section="", error=BAD_SIGN_IN, code=401)
            return self._page(visit, "Sign in", form, section="", error=failure)  # not the key: say what it was
        session = set_cookie(SESSION_COOKIE, self.sessions.new_session(access_key))
        return redirect(url("connections"), [session, self.sessions.new_browser_id()])

    # -- connections -----------------------------------------------------------------------------------

    def connections(self, visit: Visit, error: ApiError | None = None) -> HttpResponse:
        side = "management" if visit.query.get("side") == "management" else "environment"
        wanted = visit.query.get("status", "")
        params: dict[str, Any] = {
            "requestedBy": "MANAGEMENT_ACCOUNT" if side == "management" else "ENVIRONMENT_ACCOUNT",
            "statuses": [wanted] if wanted in ("PENDING", "CONNECTED", "REJECTED") else None,
            "maxResults": PAGE_SIZE,
            "nextToken": visit.query.get("page"),
        }
        try:
            answer = self._api(visit).call("ListEnvironmentAccountConnections", params)
        except ApiError as failure:
            answer, error = {"environmentAccountConnections": []}, error or failure
        rows = []
        for item in answer["environmentAccountConnections"]:
            ident = item["id"]
            other = item["environmentAccountId"] if side == "management" else item["managementAccountId"]
            rows.append(
                [
                    f'<a href="{url("connections", ident)}" class="mono">{e(ident)}</a>',
                    e(item["environmentName"]),
                    e(other),
                    status(item["status"]),
                    when(item.get("requestedAt")),
                    self._connection_actions(visit, item, side, back=side),
                ]
            )
        other_label = "Environment account" if side == "management" else "Management account"
        tabs = "".join(
            f'<a href="{url("connections", side=key)}"{" aria-current=page" if key == side else ""}>{label}</a> '
            for key, label in (
                ("environment", "Sent requests (environment account)"),
                ("management", "Incoming requests (management account)"),
            )
        )
        statuses = "".join(
            f'<option value="{value}"{" selected" if value == wanted else ""}>{label}</option>'
            for value, label in (
                ("", "Any status"),
                ("PENDING", "PENDING"),
                ("CONNECTED", "CONNECTED"),
                ("REJECTED", "REJECTED"),
            )
        )
        filters = (
            f'<form method="get" action="{url("connections")}" class="filters"><input type="hidden" name="side" '
            f'value="{side}"><div><label for="f-status">Status</label><select id="f-status" name="status">'
            f'{statuses}</select></div><button type="submit" class="secondary">Filter</button></form>'
        )
        more = answer.get("nextToken")
        pager = (
            f'<p><a href="{url("connections", side=side, status=wanted, page=more)}">Next page</a></p>' if more else ""
        )
        listing = table(
            ["Connection", "Environment", other_label, "Status", "Requested", "Actions"],
            rows,
            empty="No connections match.",
            caption="Environment account connections",
        )
        content = f'<p class="tabs">{tabs}</p>{filters}{listing}{pager}'
        if side == "environment":
            content += self._request_form(visit)
        return self._page(visit, "Environment account connections", content, section="connections", error=error)

    def _request_form(self, visit: Visit) -> str:
        form = visit.form
        return (
            f'<h2 id="request">Request a connection</h2><form method="post" action="{url("connections")}" class="card">'
            f'<input type="hidden" name="csrf" value="{e(visit.csrf)}">'
            + field(
                "managementAccountId", "Management account ID", required=True, value=form.get("managementAccountId", "")
            )
            + field(
                "environmentName",
                "Environment name",
                required=True,
                value=form.get("environmentName", ""),
                hint="The environment in the management account this connection serves.",
            )
            + field(
                "roleArn",
                "Role ARN",
                value=form.get("roleArn", ""),
                hint="An IAM role in this account; give it or the CodeBuild role.",
            )
            + field("codebuildRoleArn", "CodeBuild role ARN", value=form.get("codebuildRoleArn", ""))
            + field("componentRoleArn", "Component role ARN", value=form.get("componentRoleArn", ""))
            + "<p><button type=submit>Request connection</button></p></form>"
        )

    def _connection_actions(self, visit: Visit, item: dict[str, Any], side: str, *, back: str) -> str:
        ident, state = item["id"], item["status"]
        act = lambda verb: url("connections", ident, verb)  # noqa: E731
        fields = {"back": back}
        about = f"connection for {item['environmentName']}"
        buttons = []
        if side == "management":
            if state != "CONNECTED":
                buttons.append(button(act("accept"), "Accept", visit.csrf, fields=fields, describe=about))
            if state != "REJECTED":
                buttons.append(
                    button(act("reject"), "Reject", visit.csrf, style="danger", fields=fields, describe=about)
                )
        else:
            buttons.append(button(act("delete"), "Delete", visit.csrf, style="danger", fields=fields, describe=about))
        return f'<div class="actions">{"".join(buttons)}</div>'

    def create_connection(self, visit: Visit) -> HttpResponse:
        form = visit.form
        names = ("managementAccountId", "environmentName", "roleArn", "codebuildRoleArn", "componentRoleArn")
        # An empty optional field is a member left out, as a CLI user would leave it out.
        params = {name: form.get(name, "").strip() or None for name in names}
        try:
            created = self._api(visit).call("CreateEnvironmentAccountConnection", params)
        except ApiError as failure:
            visit.query = {"side": "environment"}
            return self.connections(visit, error=failure)
        ident = created["environmentAccountConnection"]["id"]
        return redirect(url("connections", ident, done="requested", id=ident))

    def connection(self, visit: Visit, error: ApiError | None = None) -> HttpResponse:
        ident = visit.parts[1]
        try:
            item = self._api(visit).call("GetEnvironmentAccountConnection", {"id": ident})[
                "environmentAccountConnection"
            ]
        except ApiError as failure:
            return self._unreadable(
                visit,
                "Connection",
                f'<p><a href="{url("connections")}">All connections</a></p>',
                section="connections",
                error=failure,
            )
        caller = visit.caller
        assert caller is not None
        side = "management" if item["managementAccountId"] == caller.account_id else "environment"
        facts = details(
            [
                ("ID", f'<span class="mono">{e(item["id"])}</span>'),
                ("Status", status(item["status"])),
                ("Environment name", e(item["environmentName"])),
                ("Environment account", e(item["environmentAccountId"])),
                ("Management account", e(item["managementAccountId"])),
                ("Role ARN", e(item.get("roleArn"))),
                ("CodeBuild role ARN", e(item.get("codebuildRoleArn"))),
                ("Component role ARN", e(item.get("componentRoleArn"))),
                ("Requested", when(item.get("requestedAt"))),
                ("Last modified", when(item.get("lastModifiedAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        history = table(
            ["When", "Status", "Previous status"],
            (
                [when(event["time"]), status(event["status"]), status(event["previousStatus"])]
                for event in connection_history(self.service.database, item["id"])
            ),
            empty="No events.",
            caption="Event history",
        )
        actions = self._connection_actions(visit, item, side, back="detail")
        update = ""
        if side == "environment":
            update = (
                f'<h2>Update roles</h2><form method="post" action="{url("connections", item["id"], "update")}" '
                f'class="card"><input type="hidden" name="csrf" value="{e(visit.csrf)}">'
                + "".join(
                    f'<input type="hidden" name="was_{name}" value="{e(item.get(name) or "")}">'
                    for name in ("roleArn", "codebuildRoleArn", "componentRoleArn")
                )
                + field("roleArn", "Role ARN", value=item.get("roleArn") or "")
                + field("codebuildRoleArn", "CodeBuild role ARN", value=item.get("codebuildRoleArn") or "")
                + field("componentRoleArn", "Component role ARN", value=item.get("componentRoleArn") or "")
                + "<p><button type=submit>Update connection</button></p></form>"
            )
        content = (
            f'<p><a href="{url("connections", side=side)}">All connections</a></p><div class="card">{facts}</div>'
            f"<h2>Actions</h2>{actions}{update}<h2>Event history</h2>{history}"
        )
        return self._page(
            visit, f"Connection for {item['environmentName']}", content, section="connections", error=error
        )

    def act_on_connection(self, visit: Visit) -> HttpResponse:
        ident, verb = visit.parts[1], visit.parts[2]
        operations = {
            "accept": "AcceptEnvironmentAccountConnection",
            "reject": "RejectEnvironmentAccountConnection",
            "delete": "DeleteEnvironmentAccountConnection",
            "update": "UpdateEnvironmentAccountConnection",
        }
        operation = operations.get(verb)
        if operation is None:
            return self._plain(404, f"There is no connection action {verb!r}.")
        if verb in ("reject", "delete") and visit.form.get("confirm") != "yes":
            return self._confirm(visit, ident, verb)
        params: dict[str, Any] = {"id": ident}
        if verb == "update":
            # The roles the user changed; a cleared one is sent empty, and the API says what it makes of that.
            for name in ("roleArn", "codebuildRoleArn", "componentRoleArn"):
                value = visit.form.get(name, "").strip()
                if value != visit.form.get(f"was_{name}", ""):
                    params[name] = value
        try:
            self._api(visit).call(operation, params)
        except ApiError as failure:
            # The page the action came from, with the API's own error on it.
            if visit.form.get("back") in ("environment", "management"):
                visit.query = {"side": visit.form["back"]}
                return self.connections(visit, error=failure)
            visit.parts = ["connections", ident]
            return self.connection(visit, error=failure)
        done = {"accept": "accepted", "reject": "rejected", "delete": "deleted", "update": "updated"}[verb]
        if verb == "delete":
            return redirect(url("connections", done=done, id=ident))
        if visit.form.get("back") in ("environment", "management"):
            return redirect(url("connections", side=visit.form["back"], done=done, id=ident))
        return redirect(url("connections", ident, done=done, id=ident))

    def _confirm(self, visit: Visit, ident: str, verb: str) -> HttpResponse:
        """Rejecting and deleting cannot be undone: a page asks first (no JavaScript dialog)."""
        consequence = {
            "reject": "A rejected connection can never be accepted; the environment account must request a new one.",
            "delete": "The connection is deleted for both accounts; environments that use it cannot be deployed "
            "until they move to another connection.",
        }[verb]
        back = visit.form.get("back", "")
        cancel = url("connections", side=back) if back in ("environment", "management") else url("connections", ident)
        label = f"{verb.capitalize()} connection"
        content = (
            f'<div class="card"><p>{e(label)} <span class="mono">{e(ident)}</span>?</p><p>{e(consequence)}</p>'
            '<div class="actions">'
            + button(
                url("connections", ident, verb),
                label,
                visit.csrf,
                style="danger",
                fields={"confirm": "yes", "back": back},
            )
            + f'<a class="button secondary" href="{e(cancel)}">Cancel</a></div></div>'
        )
        return self._page(visit, f"{label}?", content, section="connections")

    # -- environments and templates --------------------------------------------------------------------

    def environments(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self._api(visit).pages("ListEnvironments", {}, "environments")
        except ApiError as failure:
            items, error = [], failure
        rows = [
            [
                f'<a href="{url("environments", item["name"])}">{e(item["name"])}</a>',
                e(f"{item['templateName']} {item['templateMajorVersion']}.{item['templateMinorVersion']}"),
                status(item["deploymentStatus"]),
                e(item.get("environmentAccountId")),
                when(item.get("lastDeploymentAttemptedAt")),
            ]
            for item in items
        ]
        content = table(
            ["Environment", "Template version", "Deployment", "Environment account", "Last attempted"],
            rows,
            empty="No environments in this account and region.",
            caption="Environments",
        )
        return self._page(visit, "Environments", content, section="environments", error=error)

    def environment(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self._api(visit)
        try:
            item = api.call("GetEnvironment", {"name": name})["environment"]
            history = api.pages("ListDeployments", {"environmentName": name}, "deployments", limit=100)
            outputs = api.call("ListEnvironmentOutputs", {"environmentName": name})["outputs"]
        except ApiError as failure:
            return self._unreadable(
                visit,
                "Environment",
                f'<p><a href="{url("environments")}">All environments</a></p>',
                section="environments",
                error=failure,
            )
        facts = details(
            [
                ("Deployment status", status(item["deploymentStatus"])),
                ("Status message", e(item.get("deploymentStatusMessage"))),
                (
                    "Template",
                    e(f"{item['templateName']} {item['templateMajorVersion']}.{item['templateMinorVersion']}"),
                ),
                ("Connection", e(item.get("environmentAccountConnectionId"))),
                ("Environment account", e(item.get("environmentAccountId"))),
                ("Created", when(item.get("createdAt"))),
                ("Last attempted", when(item.get("lastDeploymentAttemptedAt"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        deployments = table(
            ["Deployment", "Status", "Created", "Completed"],
            (
                [
                    f'<span class="mono">{e(d["id"])}</span>',
                    status(d["deploymentStatus"]),
                    when(d.get("createdAt")),
                    when(d.get("completedAt")),
                ]
                for d in history
            ),
            empty="No deployments.",
            caption="Deployments",
        )
        produced = table(
            ["Key", "Value"],
            ([e(o.get("key")), e(o.get("valueString"))] for o in outputs),
            empty="No outputs.",
            caption="Outputs",
        )
        content = (
            f'<p><a href="{url("environments")}">All environments</a></p><div class="card">{facts}</div>'
            f"<h2>Deployments</h2>{deployments}<h2>Outputs</h2>{produced}"
        )
        return self._page(visit, f"Environment {name}", content, section="environments")

    def templates(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self._api(visit).pages("ListEnvironmentTemplates", {}, "templates")
        except ApiError as failure:
            items, error = [], failure
        rows = [
            [
                f'<a href="{url("templates", item["name"])}">{e(item["name"])}</a>',
                e(item.get("displayName")),
                e(item.get("recommendedVersion")),
                e(item.get("provisioning")),
                when(item.get("createdAt")),
            ]
            for item in items
        ]
        content = table(
            ["Template", "Display name", "Recommended version", "Provisioning", "Created"],
            rows,
            empty="No environment templates in this account and region.",
            caption="Environment templates",
        )
        return self._page(visit, "Environment templates", content, section="templates", error=error)

    def template(self, visit: Visit) -> HttpResponse:
        name = visit.parts[1]
        api = self._api(visit)
        try:
            item = api.call("GetEnvironmentTemplate", {"name": name})["environmentTemplate"]
            versions = api.pages("ListEnvironmentTemplateVersions", {"templateName": name}, "templateVersions")
        except ApiError as failure:
            return self._unreadable(
                visit,
                "Template",
                f'<p><a href="{url("templates")}">All templates</a></p>',
                section="templates",
                error=failure,
            )
        facts = details(
            [
                ("Display name", e(item.get("displayName"))),
                ("Description", e(item.get("description"))),
                ("Recommended version", e(item.get("recommendedVersion"))),
                ("ARN", arn(item["arn"])),
            ]
        )
        rows = table(
            ["Version", "Status", "Recommended minor", "Created"],
            (
                [
                    e(f"{v['majorVersion']}.{v['minorVersion']}"),
                    status(v["status"]),
                    e(v.get("recommendedMinorVersion")),
                    when(v.get("createdAt")),
                ]
                for v in versions
            ),
            empty="No versions.",
            caption="Versions",
        )
        content = (
            f'<p><a href="{url("templates")}">All templates</a></p><div class="card">{facts}</div>'
            f"<h2>Versions</h2>{rows}"
        )
        return self._page(visit, f"Template {name}", content, section="templates")

    # -- the audit log ---------------------------------------------------------------------------------

    def audit(self, visit: Visit) -> HttpResponse:
        caller = visit.caller
        assert caller is not None
        entries = self.service.audit.latest_of_account(caller.account_id, limit=200)
        rows = (
            [
                when(entry["time"]),
                words(entry["operation"]),
                arn(entry["resource"]),
                status(entry["outcome"]),
                nowrap(entry["region"]),
            ]
            for entry in entries
        )
        content = f"<p>The latest changes made by account {e(caller.account_id)}, newest first.</p>" + table(
            ["When", "Operation", "Resource", "Outcome", "Region"],
            rows,
            empty="No changes recorded yet.",
            caption="Audit log",
        )
        return self._page(visit, "Audit log", content, section="audit")


def _done(query: Mapping[str, str]) -> str:
    """The confirmation a redirect asked for, in fixed wording: a link cannot put its own text on the page."""
    verb, ident = DONE.get(query.get("done", "")), query.get("id", "")
    if verb is None or not _CONNECTION_ID.fullmatch(ident):
        return ""
    return f"{verb} connection {ident}."
