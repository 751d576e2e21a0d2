"""Find installed products without building a client (for the CLI and other tools)."""

from __future__ import annotations

from collections.abc import Mapping

from .action import Product
from .plugins.manager import PluginHost


def products(
    *, load_entry_points: bool = True, plugins: tuple[object, ...] = ()
) -> Mapping[str, Product]:
    """Every product registered through ``cdnetworks.products`` entry points (and ``plugins``)."""
    return PluginHost(plugins, load_entry_points=load_entry_points).products
