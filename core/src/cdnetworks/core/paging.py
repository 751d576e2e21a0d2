"""Walking every page of an action, written once and free of I/O, for every declared `Paging`.

`Walk` decides which page to ask for next and what to hand out from each answer; the product
clients' ``iter_*`` methods only send the requests it asks for (sync or async). A server that
repeats a marker (or a page) would make a walk loop forever: that raises `PaginationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import msgspec

from .action import Action
from .encoding import build_request_model
from .errors import CdnetworksError, ValidationError
from .operations import Operation

ItemT = TypeVar("ItemT")


class PaginationError(CdnetworksError):
    """The server's pages cannot be walked safely (it repeated a marker, or sent no id)."""


def attribute_path(value: Any, dotted: str) -> Any:
    """``value.a.b`` for ``"a.b"``; ``None`` where a step is missing."""
    for part in dotted.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


class Walk(Generic[ItemT]):
    """The paging state machine of ``action``: ask `next_request`, send it, `feed` the answer.

    ``filters`` are the action's keyword arguments other than the page size (and, for page
    numbers, the page); a marker given starts the walk after that item. ``page_size`` is the
    size of each request, ``limit`` caps the items handed out in total. Filters are validated
    here, so a bad one fails before the first request.
    """

    def __init__(
        self,
        action: Action[Any, Any],
        filters: Mapping[str, Any],
        *,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> None:
        paging = action.paging
        if paging is None:
            raise ValidationError(f"{action.name} does not page", action=action.name)
        self.action = action
        self.paging = paging
        if paging.page_size in filters:
            raise ValidationError(
                "the page size of a walk is page_size; limit caps the items in total",
                field=paging.page_size,
                action=action.name,
            )
        if page_size is None:
            page_size = paging.default_page_size
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValidationError(
                "must be a positive integer", field="page_size", action=action.name
            )
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValidationError(
                "must be a non-negative integer", field="limit", action=action.name
            )
        self._base = build_request_model(
            action.request,
            None,
            action.convenient({**filters, paging.page_size: page_size}),
            action.name,
        )
        self.page_size = page_size
        self.limit = limit
        self.pages = 0
        self.yielded = 0
        self._seen_total = 0
        if paging.style == "marker":
            assert paging.marker is not None
            self._cursor: Any = getattr(self._base, paging.marker)
        else:
            assert paging.page is not None
            start = getattr(self._base, paging.page)
            self._cursor = paging.first_page if start is None else start
        self._seen: set[Any] = set() if self._cursor is None else {self._cursor}
        self._done = limit == 0

    def next_request(self) -> Any:
        """The request of the next page, or ``None`` when the walk is over."""
        if self._done:
            return None
        field = self.paging.marker if self.paging.style == "marker" else self.paging.page
        assert field is not None
        return msgspec.structs.replace(self._base, **{field: self._cursor})

    def feed(self, page: Any) -> list[ItemT]:
        """Take one page; returns the items to hand out and prepares the next request."""
        self.pages += 1
        every: list[ItemT] = list(attribute_path(page, self.paging.items) or ())
        self._seen_total += len(every)
        items = every
        if self.limit is not None:
            items = items[: self.limit - self.yielded]
        self.yielded += len(items)
        total = attribute_path(page, self.paging.total) if self.paging.total else None
        if (
            len(every) < self.page_size
            or (self.limit is not None and self.yielded >= self.limit)
            or (isinstance(total, int) and self._seen_total >= total)
        ):
            self._done = True
            return items
        cursor = self._next_cursor(every)
        if cursor in self._seen:
            raise PaginationError(
                f"the server repeated {self._what()} {cursor!r} on page {self.pages}; stopping "
                "rather than looping forever",
                action=self.action.name,
            )
        self._seen.add(cursor)
        self._cursor = cursor
        return items

    def _next_cursor(self, items: list[ItemT]) -> Any:
        if self.paging.style == "page":
            return self._cursor + 1
        assert self.paging.marker_from is not None
        marker = attribute_path(items[-1], self.paging.marker_from)
        if marker is None:
            raise PaginationError(
                f"page {self.pages} ended with an item without {self.paging.marker_from}; "
                "there is no marker to ask for the next page",
                action=self.action.name,
            )
        return marker

    def _what(self) -> str:
        return "marker" if self.paging.style == "marker" else "page"


def walk_operation(core: Any, walk: Walk[Any]) -> Operation:
    """The `Operation` of a walk (kind ``"walk"``, named for its ``iter_*`` method)."""
    attributes: dict[str, Any] = {
        "cdnetworks.walk.action": walk.action.name,
        "cdnetworks.walk.page_size": walk.page_size,
    }
    if walk.limit is not None:
        attributes["cdnetworks.walk.limit"] = walk.limit
    operation: Operation = core.operation(
        "walk", walk.paging.method, product=walk.action.product, attributes=attributes
    )
    return operation


def walk_finished(operation: Operation, walk: Walk[Any]) -> None:
    operation.attributes["cdnetworks.walk.pages"] = walk.pages
    operation.attributes["cdnetworks.walk.items"] = walk.yielded
