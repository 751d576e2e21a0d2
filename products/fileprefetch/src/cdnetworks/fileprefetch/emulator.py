"""The file-prefetch service as the emulator serves it: prefetch tasks that finish, a quota.

Every action is validated from its declaration (`ProductService`); this module adds state. A
prefetch becomes a task whose URLs go ``wait`` -> ``run`` -> ``success`` ``task_seconds``
after submission (``failure`` for a URL marked with `FilePrefetchService.mark_failing`); each
URL uses one of the day's quota, and a submission over it is refused with HTTP 400.

Registered for discovery as::

    [project.entry-points."cdnetworks.emulators"]
    fileprefetch = "cdnetworks.fileprefetch.emulator:FilePrefetchService"
"""

from __future__ import annotations

from typing import Any

from cdnetworks.core import Action
from cdnetworks.core.emulator import EmulatorRequest
from cdnetworks.core.emulator.spec_service import ProductService, refusal
from cdnetworks.core.emulator.tasks import TaskBoard, page

from .actions import PREFETCH
from .product import FILEPREFETCH

#: Daily prefetch limit of a fresh account, in URLs (the declared fact of Prefetch).
DAILY_URLS = (
    PREFETCH.batch.quota.daily["prefetch_urls"] if PREFETCH.batch and PREFETCH.batch.quota else 0
)


class FilePrefetchService(ProductService):
    """Prefetch tasks and the daily quota over the generic emulation of both actions."""

    def __init__(self, task_seconds: float = 2.0) -> None:
        super().__init__(FILEPREFETCH)
        self.task_seconds = task_seconds
        self.board = TaskBoard(task_seconds, {"url": DAILY_URLS})

    def reset(self) -> None:
        self.board = TaskBoard(self.task_seconds, {"url": DAILY_URLS}, failing=self.board.failing)
        # What cache refresh's GetPrefetchQuota reports, in the same emulator.
        self.context.shared["prefetch_remaining"] = lambda: self.board.remaining("url")

    def mark_failing(self, url: str) -> None:
        """Prefetches of ``url`` submitted from now on end in ``failure``."""
        self.board.failing.add(url)

    def answer(self, action: Action[Any, Any], request: Any, raw: EmulatorRequest) -> Any:
        if action.name == "Prefetch":
            for url in request.urls:
                if not url.startswith(("http://", "https://")):
                    raise refusal(
                        action,
                        400,
                        "InvalidParameter",
                        f"{url!r} must start with http:// or https://",
                    )
            item_id = self.board.submit([(u, 0, "url") for u in request.urls], self.now())
            if item_id is None:
                raise refusal(action, 400, "QuotaExceeded", "the daily prefetch quota is used up")
            return self.sample_reply(action, itemId=item_id)
        if action.name == "GetPrefetchStatus":
            try:
                found = self.board.query(
                    self.now(),
                    item_id=request.item_id,
                    url=request.url,
                    status=request.status,
                    start_time=request.start_time,
                    end_time=request.end_time,
                )
            except ValueError as exc:
                raise refusal(action, 400, "InvalidParameter", f"bad time: {exc}") from None
            shown, _ = page(found, request.page_no, request.page_size)
            for detail in shown:
                del detail["isDir"]
            return self.sample_reply(
                action,
                resultDetail=shown,
                # The number of matching tasks on all pages, as the service counts (not pages).
                count=len(found),
                pageNo=request.page_no or 1,
                pageSize=request.page_size or 20,
            )
        return super().answer(action, request, raw)
