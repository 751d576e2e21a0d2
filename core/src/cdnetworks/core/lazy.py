"""Package attributes imported on first use (PEP 562), for the generated product packages.

A product's ``__init__`` re-exports hundreds of models, actions and its clients. Importing them
all up front would make ``import cdnetworks.<product>`` cost in proportion to the product's size;
instead each name is imported from its module the first time it is read, then kept as an
ordinary attribute. ``from cdnetworks.<product> import *``, ``dir()`` and type checkers (which
read the package's ``TYPE_CHECKING`` imports) see the same names as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, sources: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: name -> module (relative to the
    package, or absolute) that defines it."""

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source, package), name)
        # Kept on the package: later reads are plain attribute lookups.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *sources})

    return __getattr__, __dir__
