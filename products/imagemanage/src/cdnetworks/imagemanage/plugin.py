"""The product plugin: the core finds it through the ``cdnetworks.products`` entry point."""

from __future__ import annotations

from collections.abc import Callable

from cdnetworks.core import Product, hookimpl

from ._version import __version__
from .actions import ACTIONS, PRODUCT
from .client import AsyncImageManageClient, ImageManageClient

IMAGEMANAGE = Product(
    name=PRODUCT,
    actions=ACTIONS,
    client=ImageManageClient,
    async_client=AsyncImageManageClient,
    summary="Edge VMP images: list, create and remove images, and pre-warm them on edge nodes.",
    version=__version__,
    # Beyond the actions, the client methods tools (the CLI) expose: the waiters.
    commands=("wait_for_image", "wait_for_preheating"),
)


@hookimpl
def cdnetworks_register_products(register: Callable[[Product], None]) -> None:
    register(IMAGEMANAGE)
