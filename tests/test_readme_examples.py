"""The README's snippets run as written, one after another in README order, against one fresh `openproton serve`.

Snippets that name the default endpoint (http://127.0.0.1:4575) talk to that server, with the test server's
endpoint put in place of the literal text; the AWS CLI snippet runs in bash with the venv's `aws` first on PATH;
the in-process snippets (mock_proton, the pytest fixture) run in this process as a reader would run them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openproton import mock_proton
from support import ServerProcess

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
DEFAULT_ENDPOINT = "http://127.0.0.1:4575"

# The two commands at the top of the README are not run here: one builds a venv and starts a server that runs
# until stopped, the other builds a venv and runs this whole suite. tests/test_cli_server.py checks them (and
# that .ci/run runs the second verbatim). They are skipped by their content, so no other snippet is skipped.
INSTALL_COMMANDS = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/openproton serve",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test,bench]' && npm ci --prefix tests/js"
    " && .venv/bin/python -m pytest -n 2",
)


@dataclass(frozen=True)
class Snippet:
    language: str
    code: str
    line: int  # the README line of the snippet's first line of code

    @property
    def uses_the_server(self) -> bool:
        return DEFAULT_ENDPOINT in self.code

    def compiled(self, endpoint: str | None = None) -> Any:
        code = self.code if endpoint is None else self.code.replace(DEFAULT_ENDPOINT, endpoint)
        # Padded so that a traceback names the README's own line numbers.
        return compile("\n" * (self.line - 1) + code, "README.md", "exec")


def _snippets() -> list[Snippet]:
    found = []
    for match in re.finditer(r"^```(\w+)\n(.*?)^```$", README, re.S | re.M):
        line = README.count("\n", 0, match.start(2)) + 1
        found.append(Snippet(match.group(1), match.group(2), line))
    return found


SNIPPETS = _snippets()


def test_the_readme_has_the_server_and_in_process_examples() -> None:
    python = [snippet for snippet in SNIPPETS if snippet.language == "python"]
    assert len(python) == 8
    assert [snippet.uses_the_server for snippet in python] == [True, False, False, False, False, False, False, False]
    shell = [snippet.code.strip() for snippet in SNIPPETS if snippet.language == "sh"]
    assert tuple(shell[:2]) == INSTALL_COMMANDS, "the README opens with the two install commands"
    assert not set(shell[2:]) & set(INSTALL_COMMANDS)


def _without_aws_settings() -> dict[str, str]:
    """This process's environment less every AWS_* variable: the snippets set what they need themselves."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


def _run_shell(snippet: Snippet, endpoint: str, home: Path) -> str:
    env = {
        **_without_aws_settings(),
        # The venv's bin first, so `aws` is the test extra's pinned AWS CLI.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "HOME": str(home),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet.code.replace(DEFAULT_ENDPOINT, endpoint)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"README.md line {snippet.line}:\n{result.stderr}"
    return result.stdout


def _call_test_functions(namespace: dict[str, Any]) -> None:
    """A snippet that is a pytest test: call each test it defines, handing the fixture a fresh mock."""
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and callable(function)):
            continue
        if "proton_mock" in function.__code__.co_varnames[: function.__code__.co_argcount]:
            with mock_proton() as proton_mock:
                function(proton_mock)
        else:
            function()


def _check_boto3_quickstart(stdout: str) -> None:
    assert stdout == "CONNECTED\n"


def _check_cli_quickstart(stdout: str) -> None:
    assert '"managementAccountId": "222222222222"' in stdout
    assert stdout.count('"status": "PENDING"') == 2  # the create, then the list
    # The list shows boto3's connection too: one server, snippets in order, and no ConflictException.
    assert stdout.count('"status": "CONNECTED"') == 1
    assert stdout.count('"environmentName": "dev"') == 1
    assert stdout.count('"environmentName": "staging"') == 2


def _check_render(stdout: str) -> None:
    assert stdout.startswith("==> environment/cloudformation.yaml <==\n")
    assert "for the environment dev." in stdout
    assert "CidrBlock: '10.1.0.0/16'" in stdout and "CidrBlock: '10.0.1.0/24'" in stdout  # given, default


# What a snippet must print, found by what it contains.
def _check_provisioned(stdout: str) -> None:
    lines = stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ArtifactsBucket", "WorkQueueUrl"]
    assert lines[1].split()[1].startswith("https://sqs.us-east-1.amazonaws.com/123456789012/AWSProton-dev-")


OUTPUT_CHECKS: dict[str, Callable[[str], None]] = {
    "openproton render": _check_render,
    "ThreadedMotoServer": _check_provisioned,
    "mgmt.accept_environment_account_connection": _check_boto3_quickstart,
    "aws proton create-environment-account-connection": _check_cli_quickstart,
}


def test_every_snippet_runs_in_readme_order_against_one_fresh_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    checked: list[str] = []
    ran: list[int] = []
    server = ServerProcess()
    try:
        for snippet in SNIPPETS:
            if snippet.language == "sh" and snippet.code.strip() in INSTALL_COMMANDS:
                continue  # the install commands at the top: see INSTALL_COMMANDS
            capsys.readouterr()
            if snippet.language == "python":
                namespace: dict[str, Any] = {"__name__": "readme"}
                exec(snippet.compiled(server.endpoint if snippet.uses_the_server else None), namespace)
                _call_test_functions(namespace)
                stdout = capsys.readouterr().out
            elif snippet.language == "sh":
                stdout = _run_shell(snippet, server.endpoint, tmp_path)
            elif snippet.language == "json":
                json.loads(snippet.code)  # a file's contents (the strict mode credentials), not a command
                stdout = ""
            else:
                pytest.fail(f"README.md line {snippet.line}: no way to run a ```{snippet.language} snippet")
            for marker, check in OUTPUT_CHECKS.items():
                if marker in snippet.code:
                    check(stdout)
                    checked.append(marker)
            ran.append(snippet.line)
        assert "Traceback" not in server.output(), server.output()
    finally:
        server.stop()
    assert sorted(checked) == sorted(OUTPUT_CHECKS), "each checked snippet ran once"
    assert len(ran) == len(SNIPPETS) - len(INSTALL_COMMANDS)
