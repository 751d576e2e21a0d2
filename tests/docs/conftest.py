"""A live API for the documentation samples to talk to, over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cdnetworks.core.emulator import Emulator, load_services


@dataclass(frozen=True)
class LiveApi:
    endpoint: str
    access_key: str
    secret_key: str


#: Emulated services made quicker than their realistic defaults: pages wait for images to build
#: and nodes to pre-warm, purges and prefetches to finish, and a docs run should not sleep
#: through minutes of simulated work.
QUICK_SERVICES: dict[str, dict[str, float]] = {
    "imagemanage": {"build_seconds": 0.2, "preheat_step_seconds": 0.1},
    "cacherefresh": {"task_seconds": 0.2},
    "fileprefetch": {"task_seconds": 0.2},
}


@pytest.fixture(scope="session")
def live_api() -> Iterator[LiveApi]:
    """The emulator served over loopback HTTP, with every installed product's service."""
    services = [
        type(service)(**QUICK_SERVICES[service.name]) if service.name in QUICK_SERVICES else service
        for service in load_services()
    ]
    with Emulator(services=services).serve() as server:
        kwargs = server.client_kwargs()
        yield LiveApi(kwargs["endpoint"], kwargs["access_key"], kwargs["secret_key"])
