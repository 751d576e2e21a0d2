"""Fixtures shared by the whole suite.

``mode`` runs a test once with the sync client and once with the async client: write the
scenario once with ``mode.client(...)`` and ``mode.run(client.method, ...)``. Async calls run on
one event loop in a background thread (an anyio blocking portal), so connection pools survive
between calls exactly as they would in an async program.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import hypothesis
import pytest
import respx

from cdnetworks.core import DEFAULT_ENDPOINT, AsyncClient, Client, RetryPolicy, RetryQuota
from cdnetworks.core.emulator import Emulator

# CI replays the same examples every run (a red build must mean a regression, not a new draw);
# local runs keep exploring. Set HYPOTHESIS_PROFILE=explore in CI to search anew.
hypothesis.settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis.settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "explore")
)

DATA = pathlib.Path(__file__).parent / "data"
CANARY_SECRET = "sk-CANARY-7f3a9c-never-print-me"
ACCESS_KEY = "AKTEST0001"


def load_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((DATA / "aksk-vectors.json").read_text())["vectors"]
    return vectors


class Mode:
    """Drive the same scenario through ``Client`` or ``AsyncClient``."""

    def __init__(self, kind: str, portal: Any) -> None:
        self.kind = kind
        self._portal = portal
        self._clients: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.kind == "async"

    def client(self, **kwargs: Any) -> Any:
        """A client with test keys, no entry points and fast, quota-free retries unless given."""
        kwargs.setdefault("access_key", ACCESS_KEY)
        kwargs.setdefault("secret_key", CANARY_SECRET)
        kwargs.setdefault("load_entry_points", False)
        kwargs.setdefault("retry", RetryPolicy(base_delay=0.0, max_delay=0.0, quota=RetryQuota()))
        cls = AsyncClient if self.is_async else Client
        client = cls(**kwargs)
        self._clients.append(client)
        return client

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a client method (or any function returning an awaitable in async mode)."""
        if not self.is_async:
            return fn(*args, **kwargs)

        async def call() -> Any:
            return await fn(*args, **kwargs)

        return self._portal.call(call)

    def close(self) -> None:
        for client in self._clients:
            if isinstance(client, AsyncClient):
                self._portal.call(client.aclose)
            else:
                client.close()


@pytest.fixture(scope="session")
def portal() -> Iterator[Any]:
    with anyio.from_thread.start_blocking_portal() as p:
        yield p


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest, portal: Any) -> Iterator[Mode]:
    m = Mode(request.param, portal)
    yield m
    m.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def _canary_never_logged() -> Iterator[list[str]]:
    """Suite-wide: with the ``cdnetworks`` logger at DEBUG, no line may contain the secret."""
    logger = logging.getLogger("cdnetworks")
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    leaked = [line for line in handler.lines if CANARY_SECRET in line]
    assert not leaked, f"the secret key leaked into log lines: {leaked[:3]}"


@pytest.fixture
def log_lines(_canary_never_logged: list[str]) -> list[str]:
    """The ``cdnetworks`` log lines emitted so far in this test (formatted)."""
    return _canary_never_logged


# --- product tests: a router in front of the API, an emulator whose clock stands still ---------


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Every request to the default endpoint goes to this router; nothing leaves the process."""
    with respx.mock(base_url=DEFAULT_ENDPOINT, assert_all_called=False) as router:
        yield router


def frozen_emulator(*services: Any) -> Emulator:
    """An emulator of ``services`` whose clock moves only with ``emu.advance()``: waits on its
    tasks need no sleeping."""
    frozen = time.time()
    return Emulator(services=list(services), clock=lambda: frozen)


def on_emulator(mode: Mode, emu: Emulator, product: tuple[type, type]) -> Any:
    """The ``(sync, async)`` product client class for ``mode``, over ``emu`` in-process."""
    transport = emu.async_transport() if mode.is_async else emu.transport()
    core = mode.client(**emu.client_kwargs(), transport=transport)
    return product[mode.is_async](client=core)


# --- the distribution checks run only when asked for -------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the ``distribution`` tests (they build and install wheels, about a minute)
    unless the ``-m`` expression names them: ``pytest``, ``pytest -m "not slow"`` and
    ``pytest tests/x`` skip them, ``pytest -m distribution`` (in ``.ci/run``) runs them. An
    ``-m`` in ``addopts`` would not do: a second ``-m`` on the command line replaces it."""
    if "distribution" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("distribution") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
