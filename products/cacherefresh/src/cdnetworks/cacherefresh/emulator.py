"""The cache-refresh service as the emulator serves it: purge tasks that finish, quotas that shrink.

Every action is validated from its declaration (`ProductService`); this module adds state. A
purge (of URLs, directories, patterns or a tag) becomes a task whose entries go ``wait`` ->
``run`` -> ``success`` ``task_seconds`` after submission, or ``failure`` for a target marked
with `CacheRefreshService.mark_failing`; each entry uses one of the day's quota, and a
submission over the remaining quota is refused with HTTP 400 and nothing recorded.

Registered for discovery as::

    [project.entry-points."cdnetworks.emulators"]
    cacherefresh = "cdnetworks.cacherefresh.emulator:CacheRefreshService"
"""

from __future__ import annotations

from typing import Any

from cdnetworks.core import Action
from cdnetworks.core.emulator import EmulatorRequest
from cdnetworks.core.emulator.spec_service import ProductService, refusal
from cdnetworks.core.emulator.tasks import TaskBoard, page

from .actions import PURGE, PURGE_URLS_MATCHING_REGEX
from .product import CACHEREFRESH


def _daily(action: Action[Any, Any], kind: str) -> int:
    assert action.batch is not None
    assert action.batch.quota is not None
    return action.batch.quota.daily[kind]


#: Daily limits of a fresh account, from the actions' declared facts where they state them
#: (URLs, directories, patterns); tags, and prefetch files and GB (the prefetch quota is
#: file prefetch's when that service runs alongside).
QUOTAS = {
    "url": _daily(PURGE, "purge_urls"),
    "dir": _daily(PURGE, "purge_dirs"),
    "regex": _daily(PURGE_URLS_MATCHING_REGEX, "regex_patterns"),
    "tag": 100,
    "prefetch": 20000,
    "volume": 200,
}
#: isDir codes of a task entry.
FILE, PATTERN, DIRECTORY, TAG = 0, 1, 2, 3


class CacheRefreshService(ProductService):
    """Purge tasks and quotas over the generic emulation of every cache-refresh action."""

    def __init__(self, task_seconds: float = 2.0) -> None:
        super().__init__(CACHEREFRESH)
        self.task_seconds = task_seconds
        self.board = TaskBoard(task_seconds, dict(QUOTAS))

    def reset(self) -> None:
        self.board = TaskBoard(self.task_seconds, dict(QUOTAS), failing=self.board.failing)

    def mark_failing(self, target: str) -> None:
        """Purges of ``target`` submitted from now on end in ``failure``."""
        self.board.failing.add(target)

    def answer(self, action: Action[Any, Any], request: Any, raw: EmulatorRequest) -> Any:
        handler = getattr(self, "_" + action.method_name, None)
        if handler is None:
            return super().answer(action, request, raw)
        return handler(action, request)

    def _submit(self, action: Action[Any, Any], targets: list[tuple[str, int, str]]) -> Any:
        if not targets:
            raise refusal(action, 400, "InvalidParameter", "nothing to purge")
        for target, kind, _ in targets:
            if kind in (FILE, DIRECTORY) and not target.startswith(("http://", "https://")):
                raise refusal(
                    action,
                    400,
                    "InvalidParameter",
                    f"{target!r} must start with http:// or https://",
                )
            if kind == DIRECTORY and not target.endswith("/"):
                raise refusal(
                    action, 400, "InvalidParameter", f"directory {target!r} must end with /"
                )
        item_id = self.board.submit(targets, self.now())
        if item_id is None:
            raise refusal(action, 400, "QuotaExceeded", "the daily purge quota is used up")
        return self.sample_reply(action, itemId=item_id)

    def _purge(self, action: Action[Any, Any], request: Any) -> Any:
        targets = [(u, FILE, "url") for u in request.urls or ()]
        targets += [(d, DIRECTORY, "dir") for d in request.dirs or ()]
        return self._submit(action, targets)

    def _purge_urls_matching_regex(self, action: Action[Any, Any], request: Any) -> Any:
        return self._submit(action, [(r, PATTERN, "regex") for r in request.url_regulars or ()])

    def _purge_file_with_tag(self, action: Action[Any, Any], request: Any) -> Any:
        return self._submit(action, [(request.tag, TAG, "tag")])

    def _get_purge_status(self, action: Action[Any, Any], request: Any) -> Any:
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
        return self.sample_reply(
            action,
            resultDetail=shown,
            # The number of matching tasks on all pages, as the service counts (not pages).
            count=len(found),
            pageNo=request.page_no or 1,
            pageSize=request.page_size or 20,
        )

    def _quota(self, *names: str) -> dict[str, int]:
        return {name: self.board.remaining(name) for name in names}

    def _get_purge_quota(self, action: Action[Any, Any], request: Any) -> Any:
        left = self._quota("url", "dir", "regex", "tag")
        return self.sample_reply(
            action,
            urlQuota=QUOTAS["url"],
            remainingUrlQuota=left["url"],
            dirQuota=QUOTAS["dir"],
            remainingDirQuota=left["dir"],
            regexQuota=QUOTAS["regex"],
            remainingRegexQuota=left["regex"],
            tagQuota=QUOTAS["tag"],
            remainingTagQuota=left["tag"],
        )

    def _query_purge_limit(self, action: Action[Any, Any], request: Any) -> Any:
        left = self._quota("url", "dir", "regex", "tag")
        return self.sample_reply(
            action,
            urlUpper=QUOTAS["url"],
            urlRemain=left["url"],
            dirUpper=QUOTAS["dir"],
            dirRemain=left["dir"],
            regexUpper=QUOTAS["regex"],
            regexRemain=left["regex"],
            tagUpper=QUOTAS["tag"],
            tagRemain=left["tag"],
        )

    def _query_purge_residuals(self, action: Action[Any, Any], request: Any) -> Any:
        if request.type == "fetch":
            left = self._prefetch_remaining()
            return self.sample_reply(action, urlUpper=QUOTAS["prefetch"], urlRemain=left)
        left_all = self._quota("url", "dir", "tag")
        return self.sample_reply(
            action,
            urlUpper=QUOTAS["url"],
            urlRemain=left_all["url"],
            dirUpper=QUOTAS["dir"],
            dirRemain=left_all["dir"],
            tagUpper=QUOTAS["tag"],
            tagRemain=left_all["tag"],
        )

    def _prefetch_remaining(self) -> int:
        # File prefetch spends the prefetch quota; when it runs in this emulator it says what
        # remains, as the account's one quota would.
        remaining = self.context.shared.get("prefetch_remaining")
        return int(remaining()) if callable(remaining) else self.board.remaining("prefetch")

    def _get_prefetch_quota(self, action: Action[Any, Any], request: Any) -> Any:
        return self.sample_reply(
            action,
            prefetchQuota=QUOTAS["prefetch"],
            remainingPrefetchQuota=self._prefetch_remaining(),
            prefetchVolumeQuota=QUOTAS["volume"],
            remainingPrefetchVolumeQuota=QUOTAS["volume"],
        )
