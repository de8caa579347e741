"""Whom the console acts as: choosing an account and region (default mode), signing in (strict mode)."""

from __future__ import annotations

import re

from openproton.protocol.pipeline import HttpResponse

from ..api import ApiError, Caller, ConsoleApi
from ..html import e, field, url
from ..session import ACCOUNT_COOKIE, DEFAULT_REGION, REGION_COOKIE, SESSION_COOKIE, is_account, is_region, set_cookie
from .base import Handler, Pages, Route, Visit, plain, redirect

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


class IdentityPages(Pages):
    def routes(self) -> dict[Route, Handler]:
        # The sign-in page answers before anyone is signed in, so the router calls `login` itself.
        return {("identity", 1, "POST"): self.choose_identity}

    def choose_identity(self, visit: Visit) -> HttpResponse:
        chosen = []
        region = visit.form.get("region", "")
        if is_region(region):
            chosen.append(set_cookie(REGION_COOKIE, region))
        account = visit.form.get("account", "").strip()
        if not self.strict and account:
            if not is_account(account):
                return plain(400, f"An account ID is 12 digits; {account!r} is not one.")
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
            return self.render(visit, "Sign in", form, section="")
        access_key = visit.form.get("accessKeyId", "").strip()
        secret = visit.form.get("secretAccessKey", "")
        account = self.sessions.account_of(access_key)
        if account is None or not secret:
            return self.render(visit, "Sign in", form, section="", error=BAD_SIGN_IN, code=401)
        credential = self.sessions.credentials[access_key]
        region = visit.jar.get(REGION_COOKIE, "")
        region = region if is_region(region) else DEFAULT_REGION
        trial = Caller(account, region, access_key, secret, credential.session_token)
        try:
            # The secret is proven the way every client proves it: a signed call the pipeline verifies.
            ConsoleApi(self.service, trial).call("ListEnvironmentTemplates", {"maxResults": 1})
        except ApiError as failure:
            if failure.code in SIGNATURE_ERRORS:
                return self.render(visit, "Sign in", form, section="", error=BAD_SIGN_IN, code=401)
            return self.render(visit, "Sign in", form, section="", error=failure)  # not the key: say what it was
        session = set_cookie(SESSION_COOKIE, self.sessions.new_session(access_key))
        return redirect(url("connections"), [session, self.sessions.new_browser_id()])
