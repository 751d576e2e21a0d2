"""The products a plugin host knows, each loaded on first use.

A product plugin registers either a built `Product` or a `DeferredProduct`: its name, its summary
and where its `Product` lives. Every installed product is registered when a client starts (so a
plugin that fails to register is reported there), but a deferred product's actions, models and
clients are imported only when something asks for that product. With every product installed, a
client, ``cdnetworks <product> ...`` and ``cdnetworks.core.products()`` pay for the products they
use, not for the whole catalogue.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .action import Product
from .errors import ConfigurationError

__all__ = ["DeferredProduct", "ProductRegistry"]


@dataclass(frozen=True)
class DeferredProduct:
    """A product named now and imported on first use.

    ``target`` is ``"module:ATTRIBUTE"``, the `Product` to import (for instance
    ``"cdnetworks.imagemanage.product:IMAGEMANAGE"``); its name must be ``name``.
    """

    name: str
    target: str
    summary: str = ""

    def __post_init__(self) -> None:
        module, sep, attribute = self.target.partition(":")
        if not (module and sep and attribute.isidentifier()):
            raise ConfigurationError(
                f"deferred product {self.name!r}: target must be 'module:ATTRIBUTE', "
                f"not {self.target!r}"
            )

    def load(self) -> Product:
        """Import the product: a `ConfigurationError` if it is missing or not the one named."""
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
            product = getattr(module, attribute)
        except (ImportError, AttributeError) as exc:
            raise ConfigurationError(
                f"product {self.name!r} cannot be loaded from {self.target!r}: "
                f"{type(exc).__name__}: {exc} (is the package fully installed?)"
            ) from exc
        if not isinstance(product, Product) or product.name != self.name:
            raise ConfigurationError(
                f"{self.target!r} should be the Product named {self.name!r}, "
                f"found {type(product).__name__} {getattr(product, 'name', '?')!r}"
            )
        return product


class ProductRegistry(Mapping[str, Product]):
    """Registered products by name. Names, length and summaries never import a product;
    looking a product up (``registry[name]``, ``.values()``, ``.items()``) imports it once."""

    def __init__(self, entries: Mapping[str, Product | DeferredProduct]) -> None:
        self._entries = dict(entries)
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Product:
        entry = self._entries[name]
        if isinstance(entry, Product):
            return entry
        with self._lock:  # two threads asking at once import and check it once
            entry = self._entries[name]
            if isinstance(entry, DeferredProduct):
                entry = self._entries[name] = entry.load()
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def summary(self, name: str) -> str:
        """The product's one-line summary, without importing it."""
        return self._entries[name].summary

    def loaded(self, name: str) -> bool:
        """Whether the product's modules have been imported (through this registry)."""
        return isinstance(self._entries[name], Product)

    def __repr__(self) -> str:
        return f"ProductRegistry({sorted(self._entries)!r})"
