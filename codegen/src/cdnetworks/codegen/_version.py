"""The version of the ``cdnetworks-codegen`` distribution."""

__version__ = "0.1.0"
