"""Make the example plugins importable from their source folders, as if installed."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def example_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    for src in sorted(EXAMPLES.glob("*/src")):
        monkeypatch.syspath_prepend(str(src))
