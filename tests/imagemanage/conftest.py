"""Fixtures for the imagemanage tests: a respx router in front of the API and product clients.

``images`` is an ``ImageManageClient`` or an ``AsyncImageManageClient`` (per ``mode``) wrapping
the core test client; drive its methods with ``mode.run(images.method, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient
from tests.conftest import Mode


@pytest.fixture
def make_images(mode: Mode) -> Callable[..., Any]:
    """Build a product client (sync or async per ``mode``) over a core test client."""

    def make(**core_settings: Any) -> Any:
        core = mode.client(**core_settings)
        cls = AsyncImageManageClient if mode.is_async else ImageManageClient
        return cls(client=core)

    return make


@pytest.fixture
def images(make_images: Callable[..., Any]) -> Any:
    return make_images()
