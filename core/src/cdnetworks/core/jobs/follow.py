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
from .steps import Call, Steps

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
    done_state: str = "success",
    failed_state: str = "failure",
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
    response = yield Call(status, _query(query, fields, done_state, 1, 1))
    task.calls += 1
    succeeded = _count(response, fields)
    before = task.succeeded + task.failed
    task.succeeded = succeeded
    if succeeded < task.total:
        failures: dict[str, str] = {}
        page = 1
        while True:
            response = yield Call(status, _query(query, fields, failed_state, page, FAILURE_PAGE))
            task.calls += 1
            task.failed = _count(response, fields)
            items = list(attribute_path(response, fields["items"]) or ())
            for item in items:
                key = str(attribute_path(item, fields["key"]))
                if keep is None or keep(key):
                    failures[key] = str(attribute_path(item, fields["state"]) or failed_state)
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


def read_states(
    status: Action[Any, Any],
    query: TaskQuery,
    total: int,
    fields: Mapping[str, str] = STATUS_FIELDS,
) -> Steps[dict[str, str | None]]:
    """Every entry's state, once the task is done: pages of `FAILURE_PAGE`."""
    states: dict[str, str | None] = {}
    page = 1
    while True:
        response = yield Call(status, _query(query, fields, None, page, FAILURE_PAGE))
        items = list(attribute_path(response, fields["items"]) or ())
        for item in items:
            states[str(attribute_path(item, fields["key"]))] = attribute_path(item, fields["state"])
        if len(items) < FAILURE_PAGE or page * FAILURE_PAGE >= total:
            return states
        page += 1


def task_waiter(
    status: Action[Any, Any],
    item_id: str,
    wanted: list[str] | None,
    done_state: str,
    failed_state: str,
    schedule: Schedule,
    fields: Mapping[str, str],
    what: str,
    item_label: str,
    progress: Callable[..., object] | None,
    name: str = "",
) -> Any:
    """A waiter (`cdnetworks.core.waiters.Waiter`) following a whole task cheaply: polls
    count the task's entries by state, then its entries are read once (``wanted``: only the
    failures, the others of ``wanted`` succeeded). Returns ``{key: state}``."""
    from ..waiters import Pause as WaitPause
    from ..waiters import Poll, Progress, WaitFailedError, WaitTimeoutError

    started = time.monotonic()
    interval = schedule.poll_interval
    query = TaskQuery(item_id=item_id)
    task = TaskState()
    polls = 0
    request_id: str | None = None

    def run(steps: Steps[Any]) -> Any:
        nonlocal request_id
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as stop:
                return stop.value
            assert isinstance(step, Call)
            request = status.request(**status.convenient(step.arguments))
            reply = yield Poll(status, request, name, item_id)
            request_id = getattr(reply, "request_id", None)

    while True:
        yield from run(poll_task(status, query, task, fields, None, done_state, failed_state))
        polls += 1
        now = time.monotonic()
        total = task.total or 0
        final = task.succeeded + task.failed
        value: dict[str, str | None] = dict(task.failures)
        if task.done:
            if wanted is not None:
                value = {k: task.failures.get(k, done_state) for k in wanted}
            else:
                value = yield from run(read_states(status, query, total, fields))
        text = (
            f"{what}: {final} of {total} {item_label}s final "
            f"({task.succeeded} {done_state}, {task.failed} {failed_state})"
        )
        if task.total is None:
            text = f"{what}: not listed yet"
        report = Progress(polls, now - started, value, task.done, request_id, text, final, total)
        # Yielded for the driver (the waiter's operation hears of each poll), then reported.
        yield report
        if progress is not None:
            progress(report)
        if task.done:
            bad = sorted(k for k, s in value.items() if s == failed_state)
            if bad:
                detail = ", ".join(f"{k}={value[k]}" for k in bad[:10])
                raise WaitFailedError(
                    f"waiting for {what} failed: {what} failed on {detail}"
                    + (f" and {len(bad) - 10} more" if len(bad) > 10 else ""),
                    last=value,
                    polls=polls,
                    action=status.name,
                )
            return value
        remaining = started + schedule.timeout - now
        if remaining <= 0:
            raise WaitTimeoutError(
                f"waiting for {what}: not done after {schedule.timeout:g} s and {polls} poll(s); "
                f"{text}",
                last=value,
                polls=polls,
                action=status.name,
            )
        yield WaitPause(min(interval, remaining))
        interval = min(interval * schedule.backoff, schedule.max_interval)
