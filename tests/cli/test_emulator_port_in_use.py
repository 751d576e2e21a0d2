"""Issue 19, defect 10: ``cdnetworks emulator`` on a port in use says so in one line, exit 2."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cdnetworks.cli.main import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


def test_in_process_one_line_and_exit_2(busy_port: int) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["emulator", "--port", str(busy_port)], stdout=out, stderr=err)
    assert code == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, err.getvalue()
    assert str(busy_port) in lines[0]
    assert "Traceback" not in err.getvalue()
    assert "listening" not in out.getvalue()


def test_console_script_one_line_and_exit_2(busy_port: int) -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-m", "cdnetworks.cli", "emulator", "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
