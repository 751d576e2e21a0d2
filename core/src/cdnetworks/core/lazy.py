"""Package attributes imported on first use (PEP 562), for the generated product packages.

A product's ``__init__`` re-exports hundreds of models, actions and its clients. Importing them
all up front would make ``import cdnetworks.<product>`` cost in proportion to the product's size;
instead each name is imported from its module the first time it is read, then kept as an
ordinary attribute. ``from cdnetworks.<product> import *``, ``dir()`` and type checkers (which
read the package's ``TYPE_CHECKING`` imports) see the same names as before.

Names a package no longer exports under that name (a renamed client, a core name it used to
re-export) stay readable for a while: ``deprecated`` maps each to ``"module:name"`` where it
lives now, and reading it warns with a `DeprecationWarning` that says where to import it from.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports", "lazy_module_exports"]


def lazy_exports(
    package: str,
    sources: Mapping[str, str],
    deprecated: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: name -> module (relative to the
    package, or absolute) that defines it; ``deprecated``: old name -> ``"module:name"``."""
    moved = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            if name in moved:
                return _deprecated(package, name, moved[name])
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source, package), name)
        # Kept on the package: later reads are plain attribute lookups.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *sources})

    return __getattr__, __dir__


def lazy_module_exports(
    package: str,
    modules: Mapping[str, Iterable[str]],
    deprecated: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """`lazy_exports` from ``module -> names`` (each name written once), and the package's
    ``__all__`` (those names and ``__version__``)."""
    sources = {name: module for module, names in modules.items() for name in names}
    getattr_, dir_ = lazy_exports(package, sources, deprecated)
    return getattr_, dir_, sorted({"__version__", *sources})


def _deprecated(package: str, name: str, target: str) -> Any:
    module, _, new = target.partition(":")
    where = package if module.startswith(".") else module
    # Not kept on the package: every read warns, so each use is found.
    warnings.warn(
        f"{package}.{name} is deprecated: use {new} from {where} instead",
        DeprecationWarning,
        stacklevel=3,
    )
    return getattr(importlib.import_module(module, package), new)
