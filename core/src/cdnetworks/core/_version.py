"""The version of the ``cdnetworks-core`` distribution (its single source)."""

__version__ = "0.1.0"
