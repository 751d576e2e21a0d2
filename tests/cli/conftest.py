"""Shared by the CLI tests: the installed console script and an emulator served over HTTP."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator

import pytest

CLI = str(pathlib.Path(sys.executable).with_name("cdnetworks"))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any CDNETWORKS_ setting, plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CDNETWORKS_")}
    return {**base, **extra}


def cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else clean_env(),
        input=input,
        check=False,
    )


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    """An emulator served on loopback, as the environment a shell user would export."""
    from cdnetworks.core.emulator import Emulator

    with Emulator().serve() as server:
        kwargs = server.client_kwargs()
        yield {
            "CDNETWORKS_ENDPOINT": kwargs["endpoint"],
            "CDNETWORKS_ACCESS_KEY": kwargs["access_key"],
            "CDNETWORKS_SECRET_KEY": kwargs["secret_key"],
        }
