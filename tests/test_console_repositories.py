"""The console's repository pages (/console/repositories and a link's page with its sync definitions and latest
attempts): a real repository is synced, then the pages are read as a browser would, in every mode (in-process,
SQLite and PostgreSQL servers) and clicked through in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from console_support import Reader, main_of, section, shot
from repositories.git_support import GitRepo
from repositories.test_links import link
from repositories.test_template_sync import LINK, SCHEMA, VPC
from services.service_helpers import proton
from support import MGMT_ACCOUNT, OTHER_ACCOUNT, ServerWorld, World


def synced(world: World, root: Path) -> str:
    """vpc synced from a fresh repository: 1.0 registered; the commit's sha."""
    repo = GitRepo(root / "remote")
    proton(world).create_environment_template(name="vpc")
    link(world)
    world.map_repository("GITHUB", "acme/templates", repo.url)
    proton(world).create_template_sync_config(**VPC, **LINK, branch="main", subdirectory="templates")
    world.sync("GITHUB", "acme/templates")  # the config's run: no branch yet
    sha = repo.commit({"templates/vpc/v1/schema/schema.yaml": SCHEMA})
    world.sync("GITHUB", "acme/templates")
    return sha


def test_the_list_links_to_each_repository(world: World, reader: Reader, tmp_path: Path) -> None:
    synced(world, tmp_path)
    code, html = reader.get("/console/repositories")
    assert code == 200
    assert 'href="/console/repositories/GITHUB/acme/templates"' in main_of(html)
    assert reader.get("/console/repositories", account=OTHER_ACCOUNT)[1].count("No repository links") == 1


def test_a_repository_page_shows_its_definitions_and_latest_attempts(
    world: World, reader: Reader, tmp_path: Path
) -> None:
    sha = synced(world, tmp_path)
    code, html = reader.get("/console/repositories/GITHUB/acme/templates")
    assert code == 200
    assert "<h1>Repository GITHUB:acme/templates</h1>" in html
    assert "ENVIRONMENT/vpc" in section(html, "Template sync")
    attempts = section(html, "Latest sync attempts")
    # Newest first: the run after the commit, then the runs before it (the config's own, and in-process the
    # first trigger's; a server's first trigger may run the config's queued attempt itself).
    newest, *earlier = attempts.split('<section class="card">')[1:]
    assert f"Starting syncs for commit {sha}" in newest
    assert "Created template version 1.0" in newest and "templates/vpc/v1" in newest
    assert earlier and all("Clone failed: branch main not found" in run for run in earlier)


def test_another_account_cannot_read_the_page(world: World, reader: Reader, tmp_path: Path) -> None:
    synced(world, tmp_path)
    code, html = reader.get("/console/repositories/GITHUB/acme/templates", account=OTHER_ACCOUNT)
    assert "The requested repository does not exist" in html
    assert "Created template version" not in html and code != 200


def test_a_user_opens_a_repository_and_reads_its_runs(page: Page, served: ServerWorld, tmp_path: Path) -> None:
    synced(served, tmp_path)
    page.goto("/console")
    page.get_by_label("Account", exact=True).fill(MGMT_ACCOUNT)
    page.get_by_role("button", name="Act as").click()
    page.get_by_role("link", name="Repositories").click()
    page.get_by_role("link", name="GITHUB:acme/templates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Repository GITHUB:acme/templates")
    expect(page.get_by_role("table", name="Template sync definitions")).to_contain_text("ENVIRONMENT/vpc")
    expect(page.get_by_role("table", name="Targets changed by the run").first).to_contain_text("SUCCEEDED")
    shot(page, "17-repository")
