"""What the console tests share: reading pages as one account in every mode of `world` (in-process through
Console.handle, or from the server), picking parts of a page, and headless Chromium against the session's
servers, with screenshots in artifacts/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from openproton.console.pages import Console
from support import MGMT_ACCOUNT, InProcessWorld, ServerProcess, ServerWorld, World

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
HOST = "console.test"


class Reader:
    """GETs console pages as one account (default mode: the account cookie), in-process or from the server."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.console = Console(world.mock.service) if isinstance(world, InProcessWorld) else None

    def get(self, path: str, account: str = MGMT_ACCOUNT) -> tuple[int, str]:
        headers = {"host": HOST, "cookie": f"op_account={account}"}
        if self.console is not None:
            answer = self.console.handle("GET", path, "", headers, b"")
            return answer.status, answer.body.decode()
        assert isinstance(self.world, ServerWorld)
        del headers["host"]  # http.client sends the server's own
        raw = self.world.server.request("GET", quote(path, safe="/"), headers, b"")  # as a browser sends it
        return raw.status, raw.body.decode()


@pytest.fixture
def reader(world: World) -> Reader:
    return Reader(world)


def main_of(html: str) -> str:
    return html[html.index("<main") :]


def section(html: str, heading: str) -> str:
    """The part of the page's main content from `<h2>heading</h2>` to the next heading."""
    return main_of(html).split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def deployment_ids(html: str) -> list[str]:
    return re.findall(r'class="mono"[^>]*>([0-9a-f-]{36})</', section(html, "Deployments"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the console tests drive Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest) -> ServerWorld:
    """The session's server on SQLite or PostgreSQL (conftest.py), emptied for this test."""
    server: ServerProcess = request.getfixturevalue("server" if request.param == "sqlite" else "postgres_server")
    assert server.request("POST", "/_openproton/reset", {}, b"").status == 200
    return ServerWorld(server)


@pytest.fixture
def page(browser: Browser, served: ServerWorld) -> Iterator[Page]:
    context = browser.new_context(base_url=served.server.endpoint, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
