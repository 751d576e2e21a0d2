"""Waiting for an image to become usable and for pre-warming to finish, written once, free of I/O.

A waiter is a generator: it yields `Poll` (make this call, send me the response) and
`Pause` (sleep this long), and returns the final value or raises. The product clients
drive it with their core client's ``call`` and ``time.sleep`` or ``anyio.sleep``. Every poll is
an ordinary call, so retries, rate limiting and the core's hooks apply to each one.

The API does not list pre-warming states, so which states are terminal is an argument:
``done_states`` and ``failed_states`` (compared case-insensitively).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cdnetworks.core import Action, CdnetworksError, ValidationError

from .actions import QUERY_VMP_IMAGE_PREHEATING_STATE, VMP_QUERY_IMAGE
from .models import (
    Image,
    QueryVmpImagePreheatingStateRequest,
    QueryVmpImagePreheatingStateResponse,
    VMPQueryImageRequest,
    VMPQueryImageResponse,
)

T = TypeVar("T")
V = TypeVar("V")

IMAGE_READY_STATES = ("ACTIVE",)
IMAGE_FAILED_STATES = ("INACTIVE",)
#: Defaults only: the API documents no pre-warming states. Override them when yours differ.
PREHEATING_DONE_STATES = ("SUCCESS", "SUCCEEDED", "SUCCESSFUL", "COMPLETED", "FINISHED", "DONE")
PREHEATING_FAILED_STATES = ("FAILED", "FAILURE", "FAIL", "ERROR", "TIMEOUT", "CANCELLED")


@dataclass(frozen=True)
class Poll:
    action: Action[Any, Any]
    request: Any


@dataclass(frozen=True)
class Pause:
    seconds: float


Waiter = Generator[Poll | Pause, Any, T]


@dataclass(frozen=True)
class Progress(Generic[V]):
    """What a ``progress`` callback receives after each poll.

    ``value`` is the image (``None`` while it is not listed yet) for `wait_for_image`, and
    a ``{node_name: state}`` mapping (``None`` for a node not reported yet) for
    `wait_for_preheating`, where ``done`` / ``total`` count the nodes in a final state.
    ``finished`` is true on the last poll (done or failed); ``request_id`` is the poll's
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
    """The resource reached a failure state (an INACTIVE image, a node that failed to pre-warm)."""


class WaitTimeoutError(WaiterError, TimeoutError):
    """The timeout ran out before a terminal state."""


@dataclass(frozen=True)
class Schedule:
    """How long to wait in all and between polls: ``poll_interval`` growing by ``backoff``."""

    timeout: float = 600.0
    poll_interval: float = 5.0
    max_interval: float = 60.0
    backoff: float = 1.5

    def __post_init__(self) -> None:
        for name in ("timeout", "poll_interval", "max_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError("must be a non-negative number of seconds", field=name)
        if isinstance(self.backoff, bool) or not isinstance(self.backoff, int | float):
            raise ValidationError("must be a number >= 1", field="backoff")
        if self.backoff < 1:
            raise ValidationError("must be a number >= 1", field="backoff")


@dataclass(frozen=True)
class Verdict(Generic[V]):
    """One poll judged: the value to report, and whether it is done or failed (with why)."""

    value: V
    text: str
    done: bool = False
    failure: str | None = None
    #: Counts for a progress bar (nodes in a final state, nodes in all), when they mean something.
    count: tuple[int, int] | None = None


def poll_until(
    action: Action[Any, Any],
    request: Any,
    judge: Callable[[Any], Verdict[V]],
    schedule: Schedule,
    what: str,
    progress: Callable[[Progress[V]], object] | None = None,
) -> Waiter[V]:
    """The loop every waiter shares: poll, judge, report, then finish, fail or pause."""
    started = time.monotonic()
    deadline = started + schedule.timeout
    interval = schedule.poll_interval
    polls = 0
    while True:
        response = yield Poll(action, request)
        polls += 1
        verdict = judge(response)
        now = time.monotonic()
        if progress is not None:
            done, total = verdict.count or (None, None)
            progress(
                Progress(
                    polls,
                    now - started,
                    verdict.value,
                    verdict.done or verdict.failure is not None,
                    getattr(response, "request_id", None),
                    verdict.text,
                    done,
                    total,
                )
            )
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


def _upper(states: Collection[str]) -> frozenset[str]:
    return frozenset(s.upper() for s in states)


def _image_id(image_id: str) -> str:
    if not isinstance(image_id, str) or not image_id.strip():
        raise ValidationError("must be a non-empty image id", field="image_id")
    return image_id


def wait_for_image(
    image_id: str,
    *,
    schedule: Schedule,
    ready_states: Collection[str] = IMAGE_READY_STATES,
    failed_states: Collection[str] = IMAGE_FAILED_STATES,
    progress: Callable[[Progress[Image | None]], object] | None = None,
) -> Waiter[Image | None]:
    """Poll ``VMPQueryImage(ids=[image_id])`` until the image is ACTIVE; INACTIVE fails at once.

    An image not listed yet (just created) counts as not ready. Returns the ready `Image`.
    """
    ready, failed = _upper(ready_states), _upper(failed_states)
    request = VMPQueryImageRequest(ids=[_image_id(image_id)])

    def judge(page: VMPQueryImageResponse) -> Verdict[Image | None]:
        image = next((i for i in page.images if i.id == image_id), None)
        shown = "not listed yet" if image is None else (image.state or "no state")
        text = f"image {image_id}: {shown}"
        if image is not None and (image.state or "").upper() in failed:
            return Verdict(image, text, failure=f"image {image_id} is {image.state}")
        return Verdict(image, text, done=image is not None and (image.state or "").upper() in ready)

    return poll_until(
        VMP_QUERY_IMAGE, request, judge, schedule, f"waiting for image {image_id}", progress
    )


def wait_for_preheating(
    image_id: str,
    node_names: Collection[str] | None = None,
    *,
    schedule: Schedule,
    done_states: Collection[str] = PREHEATING_DONE_STATES,
    failed_states: Collection[str] = PREHEATING_FAILED_STATES,
    progress: Callable[[Progress[Mapping[str, str | None]]], object] | None = None,
) -> Waiter[Mapping[str, str | None]]:
    """Poll ``QueryVmpImagePreheatingState`` until every node is in a done or failed state.

    ``node_names`` ``None`` means every node the service reports (at least one). When all are
    terminal and any failed, raises `WaitFailedError` naming them; else returns
    ``{node_name: state}``.
    """
    done, failed = _upper(done_states), _upper(failed_states)
    if done & failed:
        raise ValidationError(
            f"states {sorted(done & failed)} are both done and failed", field="failed_states"
        )
    wanted = None if node_names is None else list(dict.fromkeys(node_names))
    if wanted is not None and (not wanted or any(not n.strip() for n in wanted)):
        raise ValidationError("must be non-empty names, or None for all nodes", field="node_names")
    request = QueryVmpImagePreheatingStateRequest(image_id=_image_id(image_id))

    def judge(answer: QueryVmpImagePreheatingStateResponse) -> Verdict[Mapping[str, str | None]]:
        reported = {n.node_name: n.state for n in answer.data.pre_heating_info}
        states = reported if wanted is None else {n: reported.get(n) for n in wanted}
        upper = {n: (s or "").upper() for n, s in states.items()}
        final = sum(s in done | failed for s in upper.values())
        listing = ", ".join(f"{n}={s or 'not reported'}" for n, s in states.items()) or "no nodes"
        text = f"pre-warming {image_id}: {final} of {len(states)} nodes final ({listing})"
        count = (final, len(states))
        if not states or final < len(states):
            return Verdict(states, text, count=count)
        bad = sorted(n for n, s in upper.items() if s in failed)
        if bad:
            detail = ", ".join(f"{n}={states[n]}" for n in bad)
            failure = f"pre-warming image {image_id} failed on {detail}"
            return Verdict(states, text, failure=failure, count=count)
        return Verdict(states, text, done=True, count=count)

    return poll_until(
        QUERY_VMP_IMAGE_PREHEATING_STATE,
        request,
        judge,
        schedule,
        f"waiting for pre-warming of image {image_id}",
        progress,
    )
