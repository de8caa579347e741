"""Environment account connections: the list of each side, requesting one, its page, and acting on it."""

from __future__ import annotations

from typing import Any

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, button, details, e, field, status, table, url, when
from .base import Handler, Pages, Route, Visit, plain, redirect

PAGE_SIZE = 25


class ConnectionPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {
            ("connections", 1, "GET"): self.connections,
            ("connections", 1, "POST"): self.create_connection,
            ("connections", 2, "GET"): self.connection,
            ("connections", 3, "POST"): self.act_on_connection,
        }

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
            answer = self.api(visit).call("ListEnvironmentAccountConnections", params)
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
        return self.render(visit, "Environment account connections", content, section="connections", error=error)

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
            created = self.api(visit).call("CreateEnvironmentAccountConnection", params)
        except ApiError as failure:
            visit.query = {"side": "environment"}
            return self.connections(visit, error=failure)
        ident = created["environmentAccountConnection"]["id"]
        return redirect(url("connections", ident, done="requested", id=ident))

    def connection(self, visit: Visit, error: ApiError | None = None) -> HttpResponse:
        ident = visit.parts[1]
        try:
            item = self.api(visit).call("GetEnvironmentAccountConnection", {"id": ident})[
                "environmentAccountConnection"
            ]
        except ApiError as failure:
            return self.unreadable(
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
                for event in self.admin.connection_history(item["id"])
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
        return self.render(
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
            return plain(404, f"There is no connection action {verb!r}.")
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
            self.api(visit).call(operation, params)
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
        return self.render(visit, f"{label}?", content, section="connections")
