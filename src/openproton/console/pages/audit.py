"""The audit log: the latest changes the caller's account made, read through the admin facade."""

from __future__ import annotations

from openproton.protocol.pipeline import HttpResponse

from ..html import arn, e, nowrap, status, table, when, words
from .base import Handler, Pages, Route, Visit


class AuditPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        return {("audit", 1, "GET"): self.audit}

    def audit(self, visit: Visit) -> HttpResponse:
        caller = visit.caller
        assert caller is not None
        entries = self.admin.audit_of_account(caller.account_id, limit=200)
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
        return self.render(visit, "Audit log", content, section="audit")
