"""The README's Python examples run as written (against a test server where they name the default port)."""

from __future__ import annotations

import re
from pathlib import Path

from openproton import mock_proton
from support import ServerWorld

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.+?)```", README, re.S)


def test_the_readme_has_the_server_and_in_process_examples() -> None:
    assert len(BLOCKS) == 5


def test_the_boto3_server_example_runs(server, capsys) -> None:  # type: ignore[no-untyped-def]
    ServerWorld(server).raw("POST", "/_openproton/reset")
    code = BLOCKS[0].replace("http://127.0.0.1:4575", server.endpoint)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == "CONNECTED\n"


def test_the_in_process_example_runs() -> None:
    namespace: dict = {}
    exec(compile(BLOCKS[1], "README.md", "exec"), namespace)
    namespace["test_request_is_pending"]()


def test_the_faults_example_runs() -> None:
    exec(compile(BLOCKS[3], "README.md", "exec"), {})


def test_the_fixture_example_runs() -> None:
    namespace: dict = {}
    exec(compile(BLOCKS[2], "README.md", "exec"), namespace)
    with mock_proton() as proton_mock:
        namespace["test_request_is_an_event"](proton_mock)


def test_the_aws_cli_quickstart_runs(server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    ServerWorld(server).raw("POST", "/_openproton/reset")
    script = re.findall(r"```sh\n(.+?)```", README, re.S)[2]
    assert "aws proton create-environment-account-connection" in script
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:4575", server.endpoint)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"managementAccountId": "222222222222"' in result.stdout
    assert result.stdout.count('"status": "PENDING"') == 2  # the create, then the list
