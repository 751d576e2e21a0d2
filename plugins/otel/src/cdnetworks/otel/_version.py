"""The version of the ``cdnetworks-otel`` distribution (its single source)."""

__version__ = "0.1.0"
