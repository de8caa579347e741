"""The console's answers to requests a browser would not send, or an attacker would: in-process, through
Console.handle on a real service and in-memory database (the browser tests are in test_console.py)."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from openproton.console.api import ApiError, Caller, ConsoleApi
from openproton.console.pages import Console
from openproton.protocol.pipeline import HttpResponse
from openproton.service import OpenProton
from openproton.settings import Settings
from openproton.transports.mock import fresh_database
from strict_support import KEYS, MGMT_KEY, write_credentials
from support import ENV_ACCOUNT, MGMT_ACCOUNT, ROLE

HOST = "console.test"


class Browser:
    """A cookie jar and the form token of the last page, over one Console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.jar: dict[str, str] = {}
        self.token = ""

    def _cookies(self, response: HttpResponse) -> None:
        for name, value in response.headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.jar[key] = rest.split(";", 1)[0]

    def request(self, method: str, path: str, body: str = "", query: str = "", **headers: str) -> HttpResponse:
        sent = {"host": HOST, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if self.jar:
            sent.setdefault("cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))
        response = self.console.handle(method, path, query, sent, body.encode())
        self._cookies(response)
        found = re.search(rb'name="csrf" value="([^"]+)"', response.body)
        if found:
            self.token = found.group(1).decode()
        return response

    def post(self, path: str, fields: dict[str, str], **headers: str) -> HttpResponse:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode({"csrf": self.token, **fields}), **headers)


def location(response: HttpResponse) -> str:
    return dict(response.headers)["location"]


@pytest.fixture
def service() -> OpenProton:
    return OpenProton(Settings(database_url="sqlite://"), fresh_database())


@pytest.fixture
def browser(service: OpenProton) -> Browser:
    visitor = Browser(Console(service))
    visitor.request("GET", "/console/connections")
    return visitor


def connections_of(service: OpenProton, account: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    api = ConsoleApi(service, Caller(account, region))
    return api.call("ListEnvironmentAccountConnections", {"requestedBy": "ENVIRONMENT_ACCOUNT"})[
        "environmentAccountConnections"
    ]


def request_form(name: str) -> dict[str, str]:
    return {"managementAccountId": MGMT_ACCOUNT, "environmentName": name, "roleArn": ROLE}


def test_a_region_cookie_that_is_not_a_region_name_falls_back_to_the_default_region(
    browser: Browser, service: OpenProton
) -> None:
    browser.jar.update(op_account=ENV_ACCOUNT, op_region="a/b")
    page = browser.request("GET", "/console/connections")
    assert b"<option selected>us-east-1</option>" in page.body
    assert browser.post("/console/connections", request_form("dev")).status == 303
    # Created as the chosen account, in the default region: the garbage never reached the signature.
    assert [item["environmentName"] for item in connections_of(service, ENV_ACCOUNT)] == ["dev"]


def test_another_apps_malformed_cookie_spoils_nothing(browser: Browser, service: OpenProton) -> None:
    browser.jar.update(op_account=ENV_ACCOUNT)
    cookie = "; ".join([*(f"{k}={v}" for k, v in browser.jar.items()), "theme=dark mode", "flag"])
    answer = browser.post("/console/connections", request_form("dev"), cookie=cookie)
    assert answer.status == 303
    assert [item["environmentName"] for item in connections_of(service, ENV_ACCOUNT)] == ["dev"]


@pytest.mark.parametrize(
    "target",
    [
        "/console/x\r\nSet-Cookie: a=b",
        "/console/../_openproton/reset",
        "//evil.example/console",
        "/console/%E2%82%AC/\u20ac",
    ],
)
def test_act_as_returns_only_to_a_plain_console_path(browser: Browser, target: str) -> None:
    answer = browser.post("/console/identity", {"account": ENV_ACCOUNT, "next": target})
    assert answer.status == 303
    assert location(answer) == "/console/connections"


def test_act_as_returns_to_the_page_it_was_on(browser: Browser) -> None:
    answer = browser.post("/console/identity", {"account": ENV_ACCOUNT, "next": "/console/templates"})
    assert location(answer) == "/console/templates"
    assert browser.jar["op_account"] == ENV_ACCOUNT


def test_an_account_id_of_non_ascii_digits_is_refused(browser: Browser) -> None:
    answer = browser.post("/console/identity", {"account": "\uff11" * 12})  # FULLWIDTH DIGIT ONE
    assert answer.status == 400
    assert "An account ID is 12 digits" in answer.body.decode()
    assert "op_account" not in browser.jar


@pytest.mark.parametrize(
    "headers",
    [{"origin": "null"}, {"sec_fetch_site": "cross-site"}, {"sec_fetch_site": "same-site"}, {"origin": "http://evil"}],
)
def test_a_post_the_browser_says_comes_from_elsewhere_is_refused(
    browser: Browser, service: OpenProton, headers: dict[str, str]
) -> None:
    answer = browser.post("/console/connections", request_form("dev"), **headers)
    assert answer.status == 403
    assert connections_of(service, "123456789012") == []


def test_a_token_for_another_browser_id_is_refused(browser: Browser, service: OpenProton) -> None:
    browser.jar["op_csrf"] = "planted-by-a-neighbour-site-0123456789abcdef"
    assert browser.post("/console/connections", request_form("dev")).status == 403
    assert connections_of(service, "123456789012") == []


def test_a_post_through_a_proxy_that_rewrites_host_is_accepted(browser: Browser, service: OpenProton) -> None:
    answer = browser.post(
        "/console/connections",
        request_form("dev"),
        host="127.0.0.1:4575",
        origin="https://console.example.com",
        x_forwarded_host="console.example.com",
        sec_fetch_site="same-origin",
    )
    assert answer.status == 303
    assert len(connections_of(service, "123456789012")) == 1


def test_a_confirmation_shows_only_fixed_wording(browser: Browser) -> None:
    spoof = browser.request("GET", "/console/connections", query="done=Session+expired%2C+sign+in+at+evil.example")
    assert b"Session expired" not in spoof.body
    ident = "3909db49-5c46-46e0-a9e9-55d6416b742b"
    shown = browser.request("GET", "/console/connections", query=f"done=accepted&id={ident}")
    assert f'role="status">Accepted connection {ident}.</div>'.encode() in shown.body


def test_head_answers_like_get_and_a_wrong_method_is_405(browser: Browser) -> None:
    head = browser.request("HEAD", "/console/connections")
    assert (head.status, head.body) == (200, b"")
    wrong = browser.request("GET", "/console/identity")
    assert wrong.status == 405
    assert ("allow", "POST") in wrong.headers


def test_clearing_a_role_in_the_update_form_shows_the_apis_answer(browser: Browser, service: OpenProton) -> None:
    browser.jar.update(op_account=ENV_ACCOUNT)
    created = browser.post("/console/connections", request_form("dev"))
    ident = location(created).split("/")[3].split("?")[0]
    browser.request("GET", f"/console/connections/{ident}")
    unchanged = browser.post(
        f"/console/connections/{ident}/update",
        {"was_roleArn": ROLE, "roleArn": ROLE, "was_codebuildRoleArn": "", "codebuildRoleArn": ""},
    )
    assert unchanged.status == 303  # nothing changed, nothing sent that the API would refuse
    cleared = browser.post(
        f"/console/connections/{ident}/update", {"was_roleArn": ROLE, "roleArn": "", "codebuildRoleArn": ""}
    )
    assert cleared.status == 400
    assert (
        "ValidationException</strong>: 2 validation errors detected: Value &#x27;&#x27; at &#x27;roleArn&#x27; "
        "failed to satisfy constraint: Member must have length greater than or equal to 1"
    ) in cleared.body.decode()
    assert connections_of(service, ENV_ACCOUNT)[0]["roleArn"] == ROLE


def test_the_console_caller_never_shows_its_secret() -> None:
    caller = Caller("111111111111", "us-east-1", "AKIAEXAMPLE", "very-secret", "token")
    assert "very-secret" not in repr(caller)
    assert "token" not in repr(caller).replace("session_token", "")


@pytest.fixture
def strict_console(tmp_path: Path) -> tuple[OpenProton, Browser]:
    credentials = write_credentials(tmp_path)
    settings = Settings(database_url="sqlite://", auth="strict", credentials_file=str(credentials), admin_token="t")
    strict = OpenProton(settings, fresh_database())
    visitor = Browser(Console(strict))
    visitor.request("GET", "/console/login")
    return strict, visitor


def test_a_session_cookie_that_is_not_one_leads_to_sign_in(strict_console: tuple[OpenProton, Browser]) -> None:
    _, visitor = strict_console
    for forged in ('"AK.1.\\351"', "AKIAMANAGEMENT000001.99999999999." + "0" * 64, "x" * 5000):
        visitor.jar["op_session"] = forged
        answer = visitor.request("GET", "/console/connections")
        assert (answer.status, location(answer)) == (303, "/console/login")


def test_sign_in_says_what_went_wrong_when_it_is_not_the_key(strict_console: tuple[OpenProton, Browser]) -> None:
    strict, visitor = strict_console
    strict.faults.add({"action": "throttle", "operation": "ListEnvironmentTemplates", "count": 1})
    answer = visitor.post("/console/login", {"accessKeyId": MGMT_KEY, "secretAccessKey": KEYS[MGMT_KEY][0]})
    assert answer.status == 400
    assert "ThrottlingException</strong>: Rate exceeded" in answer.body.decode()
    assert "op_session" not in visitor.jar
    signed_in = visitor.post("/console/login", {"accessKeyId": MGMT_KEY, "secretAccessKey": KEYS[MGMT_KEY][0]})
    assert (signed_in.status, location(signed_in)) == (303, "/console/connections")
    # A new browser id at sign-in: a token from before it no longer works.
    assert visitor.post("/console/identity", {"region": "eu-west-1"}).status == 403


def test_reject_asks_first_and_acts_only_when_confirmed(browser: Browser, service: OpenProton) -> None:
    ident = ConsoleApi(service, Caller(ENV_ACCOUNT, "us-east-1")).call(
        "CreateEnvironmentAccountConnection", request_form("dev")
    )["environmentAccountConnection"]["id"]
    browser.jar.update(op_account=MGMT_ACCOUNT)
    browser.request("GET", f"/console/connections/{ident}")
    asked = browser.post(f"/console/connections/{ident}/reject", {})
    assert asked.status == 200
    assert b"<h1>Reject connection?</h1>" in asked.body
    assert connections_of(service, ENV_ACCOUNT)[0]["status"] == "PENDING"
    confirmed = browser.post(f"/console/connections/{ident}/reject", {"confirm": "yes"})
    assert confirmed.status == 303
    assert connections_of(service, ENV_ACCOUNT)[0]["status"] == "REJECTED"


def test_cookies_are_secure_behind_a_tls_proxy(service: OpenProton) -> None:
    console = Console(service)
    plain = console.handle("GET", "/console/connections", "", {"host": HOST}, b"")
    behind_tls = console.handle("GET", "/console/connections", "", {"host": HOST, "x-forwarded-proto": "https"}, b"")
    assert [v for k, v in plain.headers if k == "set-cookie" and v.endswith("; Secure")] == []
    cookies = [v for k, v in behind_tls.headers if k == "set-cookie"]
    assert cookies and all(v.endswith("; Secure") for v in cookies)


class Labels(HTMLParser):
    """The <label for=...> elements of a page (their text and classes) and the ids of its form controls."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, tuple[str, str]] = {}
        self.controls: set[str] = set()
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self._open = (found["for"] or "", found.get("class") or "")
            self.labels[self._open[0]] = ("", self._open[1])
        elif tag in ("input", "select") and found.get("id"):
            self.controls.add(found["id"] or "")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            ident, classes = self._open
            self.labels[ident] = (self.labels[ident][0] + data, classes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._open = None


def test_the_account_and_region_fields_have_visible_labels(browser: Browser) -> None:
    parsed = Labels()
    parsed.feed(browser.request("GET", "/console/connections").body.decode())
    assert {ident: parsed.labels[ident] for ident in ("who-account", "who-region")} == {
        "who-account": ("Account", ""),  # no class="skip": on the page, not only for screen readers
        "who-region": ("Region", ""),
    }
    assert {"who-account", "who-region"} <= parsed.controls


@pytest.mark.parametrize(
    ("path", "operation", "params"),
    [
        ("/console/environments/no-such-env", "GetEnvironment", {"name": "no-such-env"}),
        ("/console/templates/no-such-template", "GetEnvironmentTemplate", {"name": "no-such-template"}),
        (
            "/console/connections/3909db49-5c46-46e0-a9e9-55d6416b742b",
            "GetEnvironmentAccountConnection",
            {"id": "3909db49-5c46-46e0-a9e9-55d6416b742b"},
        ),
    ],
)
def test_the_page_of_a_missing_resource_is_404_with_the_apis_message(
    browser: Browser, service: OpenProton, path: str, operation: str, params: dict[str, str]
) -> None:
    browser.jar.update(op_account=MGMT_ACCOUNT)
    with pytest.raises(ApiError) as refused:
        ConsoleApi(service, Caller(MGMT_ACCOUNT, "us-east-1")).call(operation, params)
    assert (refused.value.code, refused.value.status) == ("ResourceNotFoundException", 400)  # the API's answer
    answer = browser.request("GET", path)
    assert answer.status == 404
    assert f"ResourceNotFoundException</strong>: {escape(refused.value.message)}" in answer.body.decode()
