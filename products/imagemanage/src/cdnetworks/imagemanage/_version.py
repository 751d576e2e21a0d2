"""The version of the ``cdnetworks-imagemanage`` distribution."""

__version__ = "0.1.0"
