"""pytest fixtures for testing code that calls CDNetworks, registered as a ``pytest11`` plugin.

``cdnetworks_emulator`` gives each test a fresh `Emulator` with
every installed product's service; ``cdnetworks_emulator_server`` also serves it on loopback.
Options go in a marker, as `Emulator` keyword arguments::

    @pytest.mark.cdnetworks_emulator(throttle=True, seed=7)
    def test_backs_off(cdnetworks_emulator): ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .app import Emulator
from .server import EmulatorServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cdnetworks_emulator(**options): Emulator keyword arguments for the "
        "cdnetworks_emulator fixture",
    )


@pytest.fixture
def cdnetworks_emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh emulator (keys ``AKEMULATOR`` / ``sk-emulator`` unless the marker says otherwise)."""
    marker = request.node.get_closest_marker("cdnetworks_emulator")
    options = dict(marker.kwargs) if marker is not None else {}
    return Emulator(**options)


@pytest.fixture
def cdnetworks_emulator_server(cdnetworks_emulator: Emulator) -> Iterator[EmulatorServer]:
    """The test's emulator served on ``127.0.0.1`` (a free port); ``.endpoint`` is its URL."""
    with cdnetworks_emulator.serve() as server:
        yield server
