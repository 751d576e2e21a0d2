"""The version of the ``cdnetworks-cli`` distribution (its single source)."""

__version__ = "0.1.0"
