"""Waiting until polled items reach a final state, written once and free of I/O.

A product declares a `WaiterSpec` per waiter (which action to poll, where the items and their
states are); `WaiterSpec.start` makes the waiter, a generator that yields `Poll` (make this
call, send me the response) and `Pause` (sleep this long) and returns the final value or
raises. The product clients drive it with their core client's ``call`` and ``time.sleep`` or
``anyio.sleep``: every poll is an ordinary call, so retries, rate limiting and hooks apply.

Arguments are checked before the first poll: a bad one is a `ValidationError` naming it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .action import Action
from .errors import CdnetworksError, ValidationError
from .operations import AttributeValue, Operation
from .paging import attribute_path

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class Poll:
    action: Action[Any, Any]
    request: Any
    #: The waiter's client method (``wait_for_image``) and subject, for its `Operation`.
    waiter: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Pause:
    seconds: float


Waiter = Generator["Poll | Pause | Progress[Any]", Any, T]


@dataclass(frozen=True)
class Progress(Generic[V]):
    """What a ``progress`` callback receives after each poll.

    ``value`` is what the waiter would return now: the item (``None`` while it is not listed)
    for single-item waiters, a ``{key: state}`` mapping (``None`` for an item not reported yet)
    for the others, where ``done`` / ``total`` count the items in a final state. ``finished``
    is true on the last poll (done or failed); ``request_id`` is the poll's
    ``x-cnc-request-id``; `summary` is one line for people (the CLI prints it).
    """

    poll: int
    elapsed: float
    value: V
    finished: bool
    request_id: str | None
    text: str = ""
    done: int | None = None
    total: int | None = None

    def summary(self) -> str:
        return f"{self.text} (poll {self.poll}, {self.elapsed:.1f} s)"


class WaiterError(CdnetworksError):
    """A waiter stopped without reaching a good state. ``last`` is the last observed value."""

    def __init__(self, message: str, *, last: Any, polls: int, action: str | None = None):
        super().__init__(message, action=action)
        self.last = last
        self.polls = polls


class WaitFailedError(WaiterError):
    """The resource reached a failure state, or the service reported it missing."""


class WaitTimeoutError(WaiterError, TimeoutError):
    """The timeout ran out before a terminal state."""


def _seconds(name: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"must be a number of seconds, not {type(value).__name__}", field=name
        )
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValidationError(
            f"must be a finite, {'positive' if positive else 'non-negative'} number of "
            f"seconds, not {value!r}",
            field=name,
        )
    return float(value)


@dataclass(frozen=True)
class Schedule:
    """How long to wait in all and between polls: ``poll_interval`` growing by ``backoff``."""

    timeout: float = 600.0
    poll_interval: float = 5.0
    max_interval: float = 60.0
    backoff: float = 1.5

    def __post_init__(self) -> None:
        _seconds("timeout", self.timeout)
        # A zero interval would poll the API in a tight loop.
        _seconds("poll_interval", self.poll_interval, positive=True)
        _seconds("max_interval", self.max_interval, positive=True)
        backoff = self.backoff
        if isinstance(backoff, bool) or not isinstance(backoff, int | float):
            raise ValidationError("must be a number >= 1", field="backoff")
        if not math.isfinite(backoff) or backoff < 1:
            raise ValidationError("must be a finite number >= 1", field="backoff")


@dataclass(frozen=True)
class Verdict(Generic[V]):
    """One poll judged: the value to report, and whether it is done or failed (with why)."""

    value: V
    text: str
    done: bool = False
    failure: str | None = None
    #: Counts for a progress bar (items in a final state, items in all), when they mean something.
    count: tuple[int, int] | None = None


def poll_until(
    action: Action[Any, Any],
    request: Any,
    judge: Callable[[Any], Verdict[V]],
    schedule: Schedule,
    what: str,
    progress: Callable[[Progress[V]], object] | None = None,
    *,
    name: str = "",
    subject: str = "",
) -> Waiter[V]:
    """The loop every waiter shares: poll, judge, report, then finish, fail or pause.

    After each poll it yields the `Progress` (the driver tells the waiter's `Operation`, and
    sends nothing back), then calls ``progress`` with it."""
    started = time.monotonic()
    deadline = started + schedule.timeout
    interval = schedule.poll_interval
    polls = 0
    while True:
        response = yield Poll(action, request, name, subject)
        polls += 1
        verdict = judge(response)
        now = time.monotonic()
        done, total = verdict.count or (None, None)
        report = Progress(
            polls,
            now - started,
            verdict.value,
            verdict.done or verdict.failure is not None,
            getattr(response, "request_id", None),
            verdict.text,
            done,
            total,
        )
        yield report
        if progress is not None:
            progress(report)
        if verdict.failure is not None:
            raise WaitFailedError(
                f"{what} failed: {verdict.failure}",
                last=verdict.value,
                polls=polls,
                action=action.name,
            )
        if verdict.done:
            return verdict.value
        remaining = deadline - now
        if remaining <= 0:
            raise WaitTimeoutError(
                f"{what}: not done after {schedule.timeout:g} s and {polls} poll(s); "
                f"last seen: {verdict.value!r}",
                last=verdict.value,
                polls=polls,
                action=action.name,
            )
        yield Pause(min(interval, remaining))
        interval = min(interval * schedule.backoff, schedule.max_interval)


def _states(name: str, states: Any) -> frozenset[str]:
    """Final states as given, upper-cased; text alone would be read letter by letter."""
    if isinstance(states, str) or not isinstance(states, Collection):
        raise ValidationError(
            f"must be a collection of state names such as [{states!r}], not "
            f"{type(states).__name__}",
            field=name,
        )
    if not all(isinstance(s, str) and s.strip() for s in states):
        raise ValidationError("must hold non-empty state names", field=name)
    return frozenset(s.upper() for s in states)


def _text(name: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"must be a non-empty {what}, not {value!r}", field=name)
    return value


@dataclass(frozen=True)
class WaiterSpec:
    """A declared waiter: poll ``action`` until the items at ``items`` reach a final state.

    The request puts the waiter's subject in ``subject_field`` (as a one-item list when
    ``subject_list``). Items are told apart by ``key`` and their state is ``state`` (dotted
    attribute paths). ``returns="item"`` waits for the one item whose key is the subject and
    returns it; it fails once the item has been missing from ``missing_polls`` answers in a
    row. ``returns="states"`` waits for every item reported (or the keys asked for) and returns
    ``{key: state}``; it fails once all are final and any failed.
    """

    method: str
    action: Action[Any, Any]
    subject: str
    subject_field: str
    items: str
    key: str
    state: str
    returns: str = "states"
    subject_list: bool = False
    keys_param: str | None = None
    success_param: str = "done_states"
    failure_param: str = "failed_states"
    label: str = "item"
    item_label: str = "item"
    missing_polls: int = 3
    #: Cheap following of a whole task (``returns="states"``): the answer attribute counting
    #: the entries that match (``count``) and the request field filtering them by state. With
    #: both, a poll costs one or two calls whatever the task's size (`cdnetworks.core.jobs.follow`).
    count: str | None = None
    state_filter: str | None = None

    def start(
        self,
        subject: Any,
        keys: Collection[str] | None,
        *,
        schedule: Schedule,
        success: Collection[str],
        failure: Collection[str],
        progress: Callable[[Progress[Any]], object] | None = None,
    ) -> Waiter[Any]:
        """The waiter, once every argument checked out (else a `ValidationError`)."""
        subject = _text(self.subject, subject, self.subject.replace("_", " "))
        done = _states(self.success_param, success)
        failed = _states(self.failure_param, failure)
        if done & failed:
            raise ValidationError(
                f"states {sorted(done & failed)} are both done and failed",
                field=self.failure_param,
            )
        if progress is not None and not callable(progress):
            raise ValidationError("must be a callable", field="progress")
        wanted = self._wanted(keys)
        value = [subject] if self.subject_list else subject
        request = self.action.request(**{self.subject_field: value})
        if self.count is not None and self.state_filter is not None and self.returns == "states":
            return self._task_waiter(subject, wanted, success, failure, schedule, progress)
        judge = (
            self._item_judge(subject, done, failed)
            if self.returns == "item"
            else self._states_judge(subject, wanted, done, failed)
        )
        what = f"waiting for {self.label} {subject}"
        return poll_until(
            self.action, request, judge, schedule, what, progress, name=self.method, subject=subject
        )

    def _task_waiter(
        self,
        subject: str,
        wanted: list[str] | None,
        success: Collection[str],
        failure: Collection[str],
        schedule: Schedule,
        progress: Callable[[Progress[Any]], object] | None,
    ) -> Waiter[Any]:
        from .jobs.follow import task_waiter

        paging = self.action.paging
        fields = {
            "item_id": self.subject_field,
            "status": self.state_filter or "status",
            "page_no": (paging.page if paging and paging.page else "page_no"),
            "page_size": (paging.page_size if paging else "page_size"),
            "items": self.items,
            "key": self.key,
            "state": self.state,
            "count": self.count or "count",
        }
        # The service filters by one state: the first done and failed states name them.
        done_state = next(iter(success))
        failed_state = next(iter(failure), "failure")
        what = f"{self.label} {subject}"
        waiter: Waiter[Any] = task_waiter(
            self.action,
            subject,
            wanted,
            done_state,
            failed_state,
            schedule,
            fields,
            what,
            self.item_label,
            progress,
            self.method,
        )
        return waiter

    def _wanted(self, keys: Collection[str] | None) -> list[str] | None:
        if keys is None:
            return None
        name = self.keys_param or "keys"
        if isinstance(keys, str) or not isinstance(keys, Collection):
            raise ValidationError(
                f"must be a list of names such as [{keys!r}], not {type(keys).__name__}",
                field=name,
            )
        wanted = list(dict.fromkeys(keys))
        if not wanted or not all(isinstance(k, str) and k.strip() for k in wanted):
            raise ValidationError(
                "must be non-empty names, or None for every one reported", field=name
            )
        return wanted

    def _reported(self, response: Any) -> list[Any]:
        return list(attribute_path(response, self.items) or ())

    def _item_judge(
        self, subject: str, done: frozenset[str], failed: frozenset[str]
    ) -> Callable[[Any], Verdict[Any]]:
        missing = 0

        def judge(response: Any) -> Verdict[Any]:
            nonlocal missing
            item = next(
                (i for i in self._reported(response) if attribute_path(i, self.key) == subject),
                None,
            )
            missing = missing + 1 if item is None else 0
            state = None if item is None else attribute_path(item, self.state)
            shown = "not listed yet" if item is None else (state or "no state")
            text = f"{self.label} {subject}: {shown}"
            if item is None and missing >= self.missing_polls:
                return Verdict(
                    item,
                    text,
                    failure=f"{self.label} {subject} was not listed in {missing} answers in a "
                    "row: it does not exist, or was removed",
                )
            if item is not None and (state or "").upper() in failed:
                return Verdict(item, text, failure=f"{self.label} {subject} is {state}")
            return Verdict(item, text, done=item is not None and (state or "").upper() in done)

        return judge

    def _states_judge(
        self,
        subject: str,
        wanted: list[str] | None,
        done: frozenset[str],
        failed: frozenset[str],
    ) -> Callable[[Any], Verdict[Mapping[str, str | None]]]:
        def judge(response: Any) -> Verdict[Mapping[str, str | None]]:
            reported = {
                str(attribute_path(i, self.key)): attribute_path(i, self.state)
                for i in self._reported(response)
            }
            states = reported if wanted is None else {k: reported.get(k) for k in wanted}
            upper = {k: (s or "").upper() for k, s in states.items()}
            final = sum(s in done | failed for s in upper.values())
            listing = ", ".join(f"{k}={s or 'not reported'}" for k, s in states.items())
            text = (
                f"{self.label} {subject}: {final} of {len(states)} {self.item_label}s final "
                f"({listing or 'none reported'})"
            )
            count = (final, len(states))
            if not states or final < len(states):
                return Verdict(states, text, count=count)
            bad = sorted(k for k, s in upper.items() if s in failed)
            if bad:
                detail = ", ".join(f"{k}={states[k]}" for k in bad)
                return Verdict(
                    states, text, failure=f"{self.label} {subject} failed on {detail}", count=count
                )
            return Verdict(states, text, done=True, count=count)

        return judge


def poll_attributes(report: Progress[Any]) -> dict[str, AttributeValue]:
    """What a waiter's ``"poll"`` event carries (see ``cdnetworks_operation_event``)."""
    attributes: dict[str, AttributeValue] = {
        "poll": report.poll,
        "state": report.text,
        "finished": report.finished,
    }
    if report.done is not None and report.total is not None:
        attributes["done"], attributes["total"] = report.done, report.total
    if report.request_id:
        attributes["request_id"] = report.request_id
    return attributes


def waiter_operation(core: Any, first: Poll) -> Operation:
    """The `Operation` of a waiter, from its first poll."""
    attributes: dict[str, AttributeValue] = {"cdnetworks.waiter.action": first.action.name}
    if first.subject:
        attributes["cdnetworks.waiter.subject"] = first.subject
    operation: Operation = core.operation(
        "waiter",
        first.waiter or first.action.name,
        product=first.action.product,
        attributes=attributes,
    )
    return operation
