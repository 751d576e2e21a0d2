"""Following a task cheaply: calls per poll that do not grow with the task's size.

A status answer carries ``count``, the number of entries matching the query, and the query can
ask for one state only. So a poll asks how many of the task's entries succeeded (one entry a
page); when not all did, it asks for the failed ones, a page of `FAILURE_PAGE` with their
count: the task is done once successes and failures make up its size. A task of 5 URLs or of
500 costs the same one or two calls a poll, and its failures come with the last one. A waiter,
which does not know the task's size, reads it once first (one more call).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..action import Action
from ..paging import attribute_path
from ..waiters import Schedule
from .spec import STATUS_FIELDS
from .steps import Call, Pause, Steps

FAILURE_PAGE = 100
def stamp(seconds: float) -> str:
    """The status filter's time format (``yyyy-MM-dd HH:mm:ss``), in UTC."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


@dataclass(frozen=True)
class TaskQuery:
    """Which entries a status query selects: a task by item id, or (a task whose id was never
    received) the entries created in a time window."""

    item_id: str | None = None
    since: float | None = None
    until: float | None = None

    def arguments(self, fields: Mapping[str, str]) -> dict[str, Any]:
        if self.item_id is not None:
            return {fields["item_id"]: self.item_id}
        out: dict[str, Any] = {}
        if self.since is not None:
            out[fields["start_time"]] = stamp(self.since)
        if self.until is not None:
            out[fields["end_time"]] = stamp(self.until)
        return out


@dataclass
class TaskState:
    """What following a task found so far: its size, how many succeeded or failed, whether
    it is done, its failures (key -> state) and the status calls it took."""

    total: int | None = None
    succeeded: int = 0
    failed: int = 0
    done: bool = False
    failures: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    _stalled: int = 0
    _checked_total: bool = False


def _count(response: Any, fields: Mapping[str, str]) -> int:
    count = attribute_path(response, fields["count"])
    items = attribute_path(response, fields["items"]) or ()
    # `count` counts matching entries; an answer without it still shows whether any matched.
    return int(count) if isinstance(count, int) else len(items)


def _query(
    query: TaskQuery, fields: Mapping[str, str], state: str | None, page: int, size: int
) -> dict[str, Any]:
    arguments = {**query.arguments(fields), fields["page_no"]: page, fields["page_size"]: size}
    if state is not None:
        arguments[fields["status"]] = state
    return arguments


def poll_task(
    status: Action[Any, Any],
    query: TaskQuery,
    task: TaskState,
    fields: Mapping[str, str] = STATUS_FIELDS,
    keep: Callable[[str], bool] | None = None,
) -> Steps[TaskState]:
    """One poll of a task (``task.total`` known, or read first): updates ``task``."""
    if task.total is None:
        response = yield Call(status, _query(query, fields, None, 1, 1))
        task.calls += 1
        task.total = _count(response, fields)
        if task.total == 0:
            # Not listed (yet): a task appears in the status some time after it is accepted.
            task.total = None
            return task
    response = yield Call(status, _query(query, fields, "success", 1, 1))
    task.calls += 1
    succeeded = _count(response, fields)
    before = task.succeeded + task.failed
    task.succeeded = succeeded
    if succeeded < task.total:
        failures: dict[str, str] = {}
        page = 1
        while True:
            response = yield Call(status, _query(query, fields, "failure", page, FAILURE_PAGE))
            task.calls += 1
            task.failed = _count(response, fields)
            items = list(attribute_path(response, fields["items"]) or ())
            for item in items:
                key = str(attribute_path(item, fields["key"]))
                if keep is None or keep(key):
                    failures[key] = str(attribute_path(item, fields["state"]) or "failure")
            # Failed entries are read whole only once the task is done.
            if succeeded + task.failed < task.total or len(items) < FAILURE_PAGE:
                break
            if page * FAILURE_PAGE >= task.failed:
                break
            page += 1
        task.failures = failures
    task.done = task.succeeded + task.failed >= task.total
    if not task.done and not task._checked_total:
        task._stalled = task._stalled + 1 if task.succeeded + task.failed == before else 0
        if task._stalled >= 2:
            # The service may have merged entries (a URL sent twice, a pattern it de-duplicated):
            # read the task's real size once instead of waiting for entries that never come.
            response = yield Call(status, _query(query, fields, None, 1, 1))
            task.calls += 1
            task._checked_total = True
            task.total = min(task.total, _count(response, fields))
            task.done = task.succeeded + task.failed >= task.total
    return task


def follow_task(
    status: Action[Any, Any],
    query: TaskQuery,
    schedule: Schedule,
    fields: Mapping[str, str] = STATUS_FIELDS,
    progress: Callable[[TaskState, float], object] | None = None,
    total: int | None = None,
) -> Steps[TaskState]:
    """Poll until the task is done or the schedule's timeout passes (the waiters' loop)."""
    started = time.monotonic()
    interval = schedule.poll_interval
    task = TaskState(total=total)
    while True:
        yield from poll_task(status, query, task, fields)
        elapsed = time.monotonic() - started
        if progress is not None:
            progress(task, elapsed)
        if task.done or elapsed >= schedule.timeout:
            return task
        yield Pause(min(interval, schedule.timeout - elapsed), "poll")
        interval = min(interval * schedule.backoff, schedule.max_interval)
