"""Walking every page of ``VMPQueryImage``, written once and free of I/O.

`ImageWalk` decides which page to ask for next and what to hand out from each answer;
``ImageManageClient.iter_images`` and ``AsyncImageManageClient.iter_images`` only send the
requests it asks for. Paging is by marker: the next page starts after the last id of the
current one, and a page shorter than the page size is the last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from cdnetworks.core import CdnetworksError, ValidationError
from cdnetworks.core.encoding import build_request_model

from .actions import VMP_QUERY_IMAGE
from .models import Image, VMPQueryImageRequest, VMPQueryImageResponse

DEFAULT_PAGE_SIZE = 20


class PaginationError(CdnetworksError):
    """The server's pages cannot be walked safely (it repeated a marker, or sent no id)."""


class ImageWalk:
    """The paging state machine: ask `next_request`, send it, give the answer to `feed`.

    ``filters`` are `VMPQueryImageRequest` keyword arguments other than ``limit``
    (``marker`` starts the walk after that id). ``limit`` caps the images handed out in total.
    A server that answers a marker already seen would loop forever: that raises
    `PaginationError` instead.
    """

    def __init__(
        self,
        filters: Mapping[str, Any],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        limit: int | None = None,
    ) -> None:
        action = VMP_QUERY_IMAGE.name
        if "limit" in filters:
            raise ValidationError(
                "the page size of a walk is page_size; limit caps the images in total",
                field="limit",
                action=action,
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValidationError("must be a positive integer", field="page_size", action=action)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValidationError("must be a non-negative integer", field="limit", action=action)
        # Validate the filters now, so a bad one fails before the first page, not at iteration.
        self._base = build_request_model(
            VMPQueryImageRequest, None, {**filters, "limit": page_size}, action
        )
        self.page_size = page_size
        self.limit = limit
        self.pages = 0
        self.yielded = 0
        self._marker = self._base.marker
        self._seen: set[str] = set() if self._marker is None else {self._marker}
        self._done = limit == 0

    def next_request(self) -> VMPQueryImageRequest | None:
        """The request of the next page, or ``None`` when the walk is over."""
        if self._done:
            return None
        return msgspec.structs.replace(self._base, marker=self._marker)

    def feed(self, page: VMPQueryImageResponse) -> list[Image]:
        """Take one page; returns the images to hand out and prepares the next request."""
        self.pages += 1
        images = page.images
        if self.limit is not None:
            images = images[: self.limit - self.yielded]
        self.yielded += len(images)
        if len(page.images) < self.page_size or (
            self.limit is not None and self.yielded >= self.limit
        ):
            self._done = True
            return images
        marker = page.images[-1].id
        if marker in self._seen:
            raise PaginationError(
                f"the server repeated marker {marker!r} on page {self.pages}; stopping rather "
                "than looping forever",
                action=VMP_QUERY_IMAGE.name,
            )
        self._seen.add(marker)
        self._marker = marker
        return images
