"""Hand-written checks of the image-management models, beyond what the spec declares.

The generated models (``models.py``) call these from ``__post_init__`` (named in
``spec/overrides.json``): cross-field rules, blank text, and the loose shapes some answers take.
Each raises `cdnetworks.core.ValidationError` naming the field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cdnetworks.core import ValidationError

if TYPE_CHECKING:
    from .models import (
        DeployVmpImagePreheatingRequest,
        DeployVmpImagePreheatingResponse,
        QueryVmpImagePreheatingStateResponse,
        VMPCreateImageRequest,
        VMPQueryImageRequest,
    )

_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


def _not_blank(field: str, value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be empty or blank", field=field)


def query_image(request: VMPQueryImageRequest) -> None:
    if request.sort_key is not None and len(set(request.sort_key)) != len(request.sort_key):
        raise ValidationError("names a key twice", field="sort_key")
    if request.sort_dir is not None and request.sort_key is None:
        raise ValidationError("must come with sort_key", field="sort_dir")
    for image_id in request.ids or ():
        _not_blank("ids", image_id)


def create_image(request: VMPCreateImageRequest) -> None:
    """Exactly one source: a VM (``instance_uuid``) or an image file (``image_src_url``)."""
    _not_blank("name", request.name)
    if request.instance_uuid is not None:
        _not_blank("instance_uuid", request.instance_uuid)
    if (request.instance_uuid is None) == (request.image_src_url is None):
        raise ValidationError(
            "give exactly one of instance_uuid (a VM to snapshot) and image_src_url "
            "(an image file)",
            field="instance_uuid" if request.instance_uuid is not None else "image_src_url",
        )
    if request.image_src_url is not None:
        url = urlsplit(request.image_src_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValidationError(
                f"{request.image_src_url!r} is not an http(s) URL", field="image_src_url"
            )
        if request.ostype is None:
            raise ValidationError(
                "is required with image_src_url (windows or linux)", field="ostype"
            )
    if request.md5 is not None:
        if request.image_src_url is None:
            raise ValidationError("goes only with image_src_url", field="md5")
        if not _MD5.match(request.md5):
            raise ValidationError("must be 32 hexadecimal digits", field="md5")


def deploy_preheating(request: DeployVmpImagePreheatingRequest) -> None:
    """No blank names; a node named twice is pre-warmed once, in the order first given."""
    _not_blank("image_id", request.image_id)
    for node in request.node_names:
        _not_blank("node_names", node)
    request.node_names = list(dict.fromkeys(request.node_names))


def code_as_text(
    response: DeployVmpImagePreheatingResponse | QueryVmpImagePreheatingStateResponse,
) -> None:
    """The envelope's ``code`` is text, whichever way the service sent it."""
    if isinstance(response.code, int):
        response.code = str(response.code)
