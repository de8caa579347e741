"""Repositories: the caller's repository links, and one link with its sync definitions and its latest sync
attempts (each with its events and the resource attempts of the run).

The links and definitions come through the API (ListRepositories, GetRepository, ListRepositorySyncDefinitions);
the attempts of every unit of a link are beyond the API (it answers only the newest of one unit), so they come
from the admin facade, for the caller's own account and region only.
"""

from __future__ import annotations

from typing import Any

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError
from ..html import arn, details, e, status, table, url, when
from .base import Handler, Pages, Route, Visit

ATTEMPTS_SHOWN = 10


def _events(events: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<li>{when(item['time'])} <code>{e(item['type'])}</code> {e(item['event'])}</li>" for item in events
    )
    return f'<ul class="events">{items}</ul>' if items else ""


def _resources(attempts: list[dict[str, Any]]) -> str:
    return table(
        ["Target", "Status", "Directory", "Commit", "Events"],
        (
            [
                e(item["target"]),
                status(item["status"]),
                e(item["targetRevision"]["directory"]),
                f"<code>{e(item['targetRevision']['sha'][:12])}</code>",
                _events(item["events"]),
            ]
            for item in attempts
        ),
        empty="Nothing changed in this run.",
        caption="Targets changed by the run",
    )


class RepositoryPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        # A link's name is owner/repo: the page is /console/repositories/<PROVIDER>/<owner>/<repo>.
        return {("repositories", 1, "GET"): self.repositories, ("repositories", 4, "GET"): self.repository}

    def repositories(self, visit: Visit) -> HttpResponse:
        error = None
        try:
            items = self.api(visit).pages("ListRepositories", {}, "repositories")
        except ApiError as failure:
            items, error = [], failure
        rows = (
            [
                f'<a href="{url("repositories", item["provider"], *item["name"].split("/", 1))}">'
                f"{e(item['provider'])}:{e(item['name'])}</a>",
                arn(item["arn"]),
            ]
            for item in items
        )
        content = table(
            ["Repository", "ARN"], rows, empty="No repository links in this account and region.", caption="Links"
        )
        return self.render(visit, "Repositories", content, section="repositories", error=error)

    def repository(self, visit: Visit) -> HttpResponse:
        provider, name = visit.parts[1], "/".join(visit.parts[2:])
        api = self.api(visit)
        try:
            link = api.call("GetRepository", {"provider": provider, "name": name})["repository"]
            definitions = api.call(
                "ListRepositorySyncDefinitions",
                {"repositoryProvider": provider, "repositoryName": name, "syncType": "TEMPLATE_SYNC"},
            )["syncDefinitions"]
        except ApiError as failure:
            back = f'<p><a href="{url("repositories")}">All repositories</a></p>'
            return self.unreadable(visit, "Repository", back, section="repositories", error=failure)
        assert visit.caller is not None
        attempts = self.service.admin.sync_attempts(
            visit.caller.account_id, visit.caller.region, provider, name, limit=ATTEMPTS_SHOWN
        )
        facts = details(
            [
                ("Provider", e(link["provider"])),
                ("Name", e(link["name"])),
                ("Connection", arn(link["connectionArn"])),
                ("ARN", arn(link["arn"])),
            ]
        )
        synced = table(
            ["Template", "Branch", "Directory"],
            ([e(item["target"]), e(item["branch"]), e(item["directory"])] for item in definitions),
            empty="No template syncs from this repository.",
            caption="Template sync definitions",
        )
        runs = (
            "".join(
                f'<section class="card"><h3>{when(item["startedAt"])} · {e(item["syncType"])} of '
                f"<code>{e(item['branch'])}</code> · {status(item['status'])}</h3>"
                f"{_events(item['events'])}{_resources(item['resourceAttempts'])}</section>"
                for item in attempts
            )
            or "<p>No sync attempts yet (a repository that is not mapped to a git remote is never fetched).</p>"
        )
        content = (
            f'<p><a href="{url("repositories")}">All repositories</a></p><div class="card">{facts}</div>'
            f"<h2>Template sync</h2>{synced}<h2>Latest sync attempts</h2>{runs}"
        )
        return self.render(visit, f"Repository {provider}:{name}", content, section="repositories")
