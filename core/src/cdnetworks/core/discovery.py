"""Find installed products without building a client (for the CLI and other tools)."""

from __future__ import annotations

from .plugins.manager import PluginHost
from .registry import ProductRegistry


def products(
    *, load_entry_points: bool = True, plugins: tuple[object, ...] = ()
) -> ProductRegistry:
    """Every product registered through ``cdnetworks.products`` entry points (and ``plugins``):
    names and summaries are known at once, a product is imported when it is looked up."""
    return PluginHost(plugins, load_entry_points=load_entry_points).products
