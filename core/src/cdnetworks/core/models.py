"""Base classes for request and response models (msgspec Structs).

Attributes are snake_case, the wire is camelCase; unset (``None``) fields are not sent;
unknown response fields are ignored, so new API fields never break old clients.
"""

from __future__ import annotations

import msgspec


class RequestModel(
    msgspec.Struct, rename="camel", omit_defaults=True, forbid_unknown_fields=True, kw_only=True
):
    """Base of request models. Subclasses may check cross-field rules in ``__post_init__``
    by raising `cdnetworks.core.ValidationError` with ``field=``."""


class ResponseModel(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of response models. ``request_id`` is filled from the ``x-cnc-request-id`` header."""

    request_id: str | None = None


class ItemModel(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of objects nested in responses (and requests): camelCase wire, unknown fields
    ignored."""
