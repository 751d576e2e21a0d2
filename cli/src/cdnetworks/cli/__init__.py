"""The ``cdnetworks`` command line, generated from the installed products."""

from ._version import __version__
from .main import main

__all__ = ["__version__", "main"]
