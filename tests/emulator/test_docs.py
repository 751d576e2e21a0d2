"""Every Python sample in docs/emulator.md runs as written."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

from cdnetworks.core.emulator import Emulator

DOC = pathlib.Path(__file__).parents[2] / "docs" / "emulator.md"
SAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_page_has_samples() -> None:
    assert len(SAMPLES) >= 6


@pytest.mark.slow
@pytest.mark.parametrize("source", SAMPLES, ids=[f"sample{n}" for n in range(len(SAMPLES))])
def test_sample_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_sample"}
    exec(compile(source, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    # pytest-style samples define tests: run them with the emulator their marker asks for.
    for name, fn in list(namespace.items()):
        if name.startswith("test_") and callable(fn):
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "cdnetworks_emulator"]
            fn(Emulator(**(marks[0].kwargs if marks else {})))
    capsys.readouterr()
