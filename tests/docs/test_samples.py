"""Every ``python`` sample in the docs and READMEs runs, page by page, against a live API.

The samples of one page share a namespace and run in order, the way a reader follows the page.
The environment points ``Client()`` at the live API (``CDNETWORKS_ENDPOINT`` and the key pair),
``HOME`` and the working directory are a fresh temporary folder, so a sample may write files.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docs.conftest import LiveApi
from tests.docs.samples import ROOT, Sample, extract, pages

# Slow: every sample of every page, each in its own interpreter.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

PAGES = [p.relative_to(ROOT).as_posix() for p in pages()]
#: Pages whose samples talk to a real redis-server, given to them as ``REDIS_URL``.
NEEDS_REDIS = frozenset({"docs/fleets.md"})


@pytest.fixture
def sample_env(
    live_api: LiveApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveApi]:
    for name in ("CDNETWORKS_PROFILE", "CDNETWORKS_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CDNETWORKS_ENDPOINT", live_api.endpoint)
    monkeypatch.setenv("CDNETWORKS_ACCESS_KEY", live_api.access_key)
    monkeypatch.setenv("CDNETWORKS_SECRET_KEY", live_api.secret_key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("cdnetworks")
    level, handlers, propagate = logger.level, list(logger.handlers), logger.propagate
    yield live_api
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = propagate
    _forget_opentelemetry_providers()


def _forget_opentelemetry_providers() -> None:
    """A page may set OpenTelemetry's global providers, which a process may set only once: shut
    them down and unset them, so later pages (and tests) start without any. (The SDK's own test
    utilities reset the same globals.)"""
    for module, name in (
        ("opentelemetry.trace", "TRACER"),
        ("opentelemetry.metrics._internal", "METER"),
    ):
        api = sys.modules.get(module)
        if api is None:
            continue
        provider = getattr(api, f"_{name}_PROVIDER", None)
        shutdown = getattr(provider, "shutdown", None)
        if callable(shutdown):
            shutdown()
        setattr(api, f"_{name}_PROVIDER", None)
        setattr(
            api,
            f"_{name}_PROVIDER_SET_ONCE",
            importlib.import_module("opentelemetry.util._once").Once(),
        )


def test_pages_have_samples() -> None:
    """The runner really finds samples (a broken extractor would pass every page vacuously)."""
    counted = {page: len(extract(ROOT / page)) for page in PAGES}
    assert counted["docs/getting-started.md"] >= 3
    assert any(s.lang == "console" for s in extract(ROOT / "docs/cli.md"))
    assert sum(counted.values()) >= 30


@pytest.mark.parametrize("page", PAGES)
def test_page_samples_run(
    page: str,
    sample_env: LiveApi,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if page.startswith("examples/"):
        # An example's README imports the example as if installed; its source folder stands in.
        monkeypatch.syspath_prepend(str(ROOT / Path(page).parent / "src"))
    samples = extract(ROOT / page)
    # Console transcripts run on the site's pages; the READMEs' show install steps too.
    runnable = [
        s
        for s in samples
        if s.skip_reason is None and (s.lang == "python" or page.startswith("docs/"))
    ]
    if not runnable:
        pytest.skip(f"{page}: no runnable samples")
    if page in NEEDS_REDIS:
        from tests.fleet.redis_server import RedisServer

        # Skips with the reason when redis-server is missing, and fails instead under CI.
        redis = RedisServer(Path(os.environ["HOME"])).start()
        request.addfinalizer(redis.stop)
        monkeypatch.setenv("REDIS_URL", redis.url)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for sample in runnable:
        if sample.lang == "console":
            _run_console(sample)
            continue
        # Compiled under the page's name and line numbers: a failure's traceback points at
        # the line of the page that broke.
        exec(sample.compiled(), namespace)  # noqa: S102 - running the docs is the point


def _run_console(sample: Sample) -> None:
    """Run a transcript's commands in bash, with this environment's ``cdnetworks`` first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(  # noqa: S603 - the docs' own commands
        ["bash", "-c", "set -euo pipefail\n" + sample.code],  # noqa: S607 - bash from PATH
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    where = f"{sample.page}:{sample.line}"
    assert done.returncode == 0, f"{where}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{where}: the commands printed nothing"
