"""The five image-management actions, one declarative value each.

The typed client methods (``action.method_name``), the CLI and the docs derive from these values.
The listing's ``extras["paginate"]`` names the client method that walks every page and the
request field (``limit``) that is its page size.
"""

from __future__ import annotations

from typing import Any

from cdnetworks.core import Action

from .models import (
    DeployVmpImagePreheatingRequest,
    DeployVmpImagePreheatingResponse,
    QueryVmpImagePreheatingStateRequest,
    QueryVmpImagePreheatingStateResponse,
    VMPCreateImageRequest,
    VMPCreateImageResponse,
    VMPQueryImageRequest,
    VMPQueryImageResponse,
    VMPRemoveImageRequest,
    VMPRemoveImageResponse,
)

PRODUCT = "imagemanage"

VMP_QUERY_IMAGE: Action[VMPQueryImageRequest, VMPQueryImageResponse] = Action(
    name="VMPQueryImage",
    method="GET",
    path="/vmp/images",
    request=VMPQueryImageRequest,
    response=VMPQueryImageResponse,
    product=PRODUCT,
    summary=(
        "Query the list of images the user can use: the user's own custom and snapshot images "
        "and the public images of the edge computing platform."
    ),
    # The client method that walks every page (by marker; see paging.py).
    extras={"paginate": {"method": "iter_images", "page_size": "limit"}},
)
"""VMPQueryImage: GET /vmp/images, list the images you may use (pages by marker)."""

VMP_CREATE_IMAGE: Action[VMPCreateImageRequest, VMPCreateImageResponse] = Action(
    name="VMPCreateImage",
    method="POST",
    path="/vmp/images",
    request=VMPCreateImageRequest,
    response=VMPCreateImageResponse,
    product=PRODUCT,
    summary=(
        "Create an image from a virtual machine's system disk (listed as SNAPSHOT) or from an "
        "image file URL. Stop the VM or its services while the image is made. The image goes "
        "BUILDING, then ACTIVE (or INACTIVE if it failed)."
    ),
)
"""VMPCreateImage: POST /vmp/images, make an image from a VM or an image URL (not idempotent)."""

VMP_REMOVE_IMAGE: Action[VMPRemoveImageRequest, VMPRemoveImageResponse] = Action(
    name="VMPRemoveImage",
    method="DELETE",
    path="/vmp/images/{imageId}",
    request=VMPRemoveImageRequest,
    response=VMPRemoveImageResponse,
    product=PRODUCT,
    summary=(
        "Delete one of your own custom images. VMs already created from it are unaffected; "
        "public images and other customers' images cannot be deleted."
    ),
)
"""VMPRemoveImage: DELETE /vmp/images/{imageId}, delete one of your own images."""

DEPLOY_VMP_IMAGE_PREHEATING: Action[
    DeployVmpImagePreheatingRequest, DeployVmpImagePreheatingResponse
] = Action(
    name="DeployVmpImagePreheating",
    method="PUT",
    path="/vmp/images/preHeating",
    request=DeployVmpImagePreheatingRequest,
    response=DeployVmpImagePreheatingResponse,
    product=PRODUCT,
    summary=(
        "Start pre-warming a private image onto edge nodes. Asynchronous: poll "
        "QueryVmpImagePreheatingState for the result."
    ),
)
"""DeployVmpImagePreheating: PUT /vmp/images/preHeating, start pre-warming on nodes."""

QUERY_VMP_IMAGE_PREHEATING_STATE: Action[
    QueryVmpImagePreheatingStateRequest, QueryVmpImagePreheatingStateResponse
] = Action(
    name="QueryVmpImagePreheatingState",
    method="GET",
    path="/vmp/images/preHeatingInfo/{id}",
    request=QueryVmpImagePreheatingStateRequest,
    response=QueryVmpImagePreheatingStateResponse,
    product=PRODUCT,
    summary="Query the pre-warming state of an image, node by node.",
)
"""QueryVmpImagePreheatingState: GET /vmp/images/preHeatingInfo/{id}, state per node."""

ACTIONS: tuple[Action[Any, Any], ...] = (
    VMP_QUERY_IMAGE,
    VMP_CREATE_IMAGE,
    VMP_REMOVE_IMAGE,
    DEPLOY_VMP_IMAGE_PREHEATING,
    QUERY_VMP_IMAGE_PREHEATING_STATE,
)
"""The five actions, in the order of the Go SDK's package."""
