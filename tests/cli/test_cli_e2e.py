"""The installed ``cdnetworks`` command, end to end in subprocesses, with the real product."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import CANARY_SECRET

# Slow: the console script in child processes, against a served emulator.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

CLI = str(pathlib.Path(sys.executable).with_name("cdnetworks"))


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CDNETWORKS_")}
    return subprocess.run(  # noqa: S603 - our own console script
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
        check=False,
    )


def test_console_script_is_installed() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("cdnetworks 0.1.0 (core 0.1.0)")


def test_in_process_emulator_json_and_table() -> None:
    result = cli("--emulator", "imagemanage", "vmp-query-image", "--limit", "2", "--type", "COMMON")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["images"]) == 2
    assert {i["type"] for i in data["images"]} == {"COMMON"}
    assert data["requestId"]
    table = cli("--emulator", "--output", "table", "imagemanage", "vmp-query-image", "--limit", "2")
    lines = table.stdout.splitlines()
    assert lines[0] == "images (2)"
    assert lines[1].split() == ["id", "name", "type", "createdAt", "size", "state"]


def test_errors_are_one_line_with_exit_codes() -> None:
    missing = cli("--emulator", "imagemanage", "vmp-remove-image", "--image-id", "img-nope")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr.startswith(
        "cdnetworks: error: VMPRemoveImage: HTTP 404, code ImageNotFound: "
    )
    assert "(request id " in missing.stderr
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    invalid = cli("--emulator", "imagemanage", "vmp-create-image", "--name", "x")
    assert invalid.returncode == 2
    assert "instance_uuid" in invalid.stderr and invalid.stderr.count("\n") == 1
    usage = cli("imagemanage", "vmp-query-image", "--state", "MAYBE")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_bad_credentials_against_the_server_are_a_clean_401(emulator_endpoint: str) -> None:
    env = {
        "CDNETWORKS_ENDPOINT": emulator_endpoint,
        "CDNETWORKS_ACCESS_KEY": "AKEMULATOR",
        "CDNETWORKS_SECRET_KEY": CANARY_SECRET,  # not the key the server accepts
    }
    result = cli("--debug", "imagemanage", "vmp-query-image", env=env)
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stdout + result.stderr
    assert CANARY_SECRET not in result.stdout + result.stderr  # not even with --debug logging


@pytest.fixture(scope="module")
def emulator_endpoint() -> Iterator[str]:
    """``cdnetworks emulator --port 0`` as a real server process; yields its endpoint."""
    with subprocess.Popen(  # noqa: S603 - our own console script
        [CLI, "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("cdnetworks emulator listening on http://127.0.0.1:"), first
            assert process.stdout.readline().strip() == "access key: AKEMULATOR"
            assert process.stdout.readline().strip().startswith("secret key: sk-emulator")
            yield first.rsplit(" ", 1)[1].strip()
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_main_job_from_the_shell_against_the_server(emulator_endpoint: str) -> None:
    env = {
        "CDNETWORKS_ENDPOINT": emulator_endpoint,
        "CDNETWORKS_ACCESS_KEY": "AKEMULATOR",
        "CDNETWORKS_SECRET_KEY": "sk-emulator",
    }
    created = cli(
        "imagemanage",
        "vmp-create-image",
        "--name",
        "from-shell",
        "--instance-uuid",
        "vm-1",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    image_id = json.loads(created.stdout)["id"]
    waited = cli("imagemanage", "wait-for-image", image_id, "--poll-interval", "0.3", env=env)
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["state"] == "ACTIVE"
    assert "ACTIVE" in waited.stderr.splitlines()[-1]  # progress lines (not a terminal)
    deployed = cli(
        "imagemanage",
        "deploy-vmp-image-preheating",
        "--image-id",
        image_id,
        "--node-names",
        "node-a",
        "node-b",
        env=env,
    )
    assert deployed.returncode == 0, deployed.stderr
    warm = cli("imagemanage", "wait-for-preheating", image_id, "--poll-interval", "0.3", env=env)
    assert warm.returncode == 0, warm.stderr
    assert json.loads(warm.stdout) == {"node-a": "SUCCESS", "node-b": "SUCCESS"}
    listed = cli("imagemanage", "vmp-query-image", "--ids", image_id, "--paginate", env=env)
    assert [i["id"] for i in json.loads(listed.stdout)["images"]] == [image_id]


def test_output_may_follow_the_command_and_bad_ports_are_usage_errors() -> None:
    late = cli("--emulator", "imagemanage", "vmp-query-image", "--limit", "1", "--output", "table")
    assert late.returncode == 0, late.stderr
    assert late.stdout.splitlines()[0] == "images (1)"
    port = cli("emulator", "--port", "99999")
    assert port.returncode == 2
    assert "99999 is not a port" in port.stderr and "Traceback" not in port.stderr
