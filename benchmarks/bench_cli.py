"""Start-up of the ``cdnetworks`` command: ``--help``, ``--version`` and a completion script,
side by side with a bare interpreter and ``python -c "import httpx"`` (the floor once the
transport is imported). Each case is a fresh process, so this is wall time as a shell sees it.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

from harness import Case, Row, compare

PYTHON = sys.executable
CLI = str(pathlib.Path(PYTHON).with_name("cdnetworks"))


def _run(*argv: str) -> Case:
    def fn() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)  # noqa: S603

    return Case(" ".join(pathlib.Path(a).name for a in argv), fn)


def run(quick: bool) -> list[Row]:
    return compare(
        "cli start-up",
        _run(PYTHON, "-c", "pass"),
        [
            _run(PYTHON, "-c", "import httpx"),
            _run(CLI, "--help"),
            _run(CLI, "--version"),
            _run(CLI, "imagemanage", "--help"),
            _run(CLI, "completion", "bash"),
        ],
        number=1 if quick else 3,
        repeat=3 if quick else 7,
    )
