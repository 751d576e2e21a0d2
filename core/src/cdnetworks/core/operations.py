"""What the wrapping hooks receive: a call (`CallInfo`) and an operation (`Operation`).

A call is one API action from its first attempt to its last. An operation is work above calls
that makes several of them: a waiter's polls, a walk's pages, a job and its batches. Plugins
see both through ``cdnetworks_wrap_call`` and ``cdnetworks_wrap_operation`` (pluggy
``wrapper=True``); the SDK's own waiters and walks open operations, and any code may open its
own with ``client.operation(kind, name, ...)``.

The SDK keeps the operation in progress in a context variable, so a call knows its operation
(`CallInfo.operation`) and an operation its parent (`Operation.parent`) without anything being
made current in the caller's context across a walk's pages, which are handed back to the
caller one at a time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import ClientUsageError, ValidationError

if TYPE_CHECKING:
    from .plugins.manager import PluginHost
    from .plugins.wrapping import Opened, Wrappers

#: What an attribute may hold: what OpenTelemetry and most metric systems accept.
AttributeValue = str | bool | int | float
_SCALARS = (str, bool, int, float)

_current: ContextVar[Operation | None] = ContextVar("cdnetworks_operation", default=None)


def current_operation() -> Operation | None:
    """The operation whose calls are being made here (this thread, or this task), if any."""
    return _current.get()


@dataclass
class CallInfo:
    """One call, as ``cdnetworks_wrap_call`` wrappers see it.

    The first fields are known before the first attempt; ``attempts``, ``status_code`` and
    ``request_id`` follow the attempts; ``outcome`` (``"success"``, ``"error"`` or
    ``"cancelled"``), ``error`` and ``duration`` (seconds, waits included) are set when the
    wrappers resume after their ``yield``. ``url`` is the request URL without its query (query
    values may carry anything); ``product`` is ``""`` for `Client.invoke`.
    """

    call_id: str
    action: str
    product: str
    method: str
    url: str
    server_address: str
    server_port: int
    #: The operation this call is made for (a waiter's poll, a walk's page), if any.
    operation: Operation | None = None
    attempts: int = 0
    status_code: int | None = None
    request_id: str | None = None
    outcome: str | None = None
    error: BaseException | None = None
    duration: float | None = None


def _check_attributes(attributes: Mapping[str, Any] | None) -> dict[str, AttributeValue]:
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping):
        raise ValidationError(
            f"must be a mapping of names to values, not {type(attributes).__name__}",
            field="attributes",
        )
    for key, value in attributes.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(f"names must be non-empty str, not {key!r}", field="attributes")
        if not isinstance(value, _SCALARS):
            raise ValidationError(
                f"must be a str, bool, int or float, not {type(value).__name__}",
                field=f"attributes[{key!r}]",
            )
    return dict(attributes)


@dataclass(eq=False)
class Operation:
    """Work that makes calls: a waiter, a walk, a job, a batch of a job, or your own.

    Use it as a context manager (``with client.operation("job", "purge") as op:``, also inside
    async code: entering and leaving do no I/O): the wrappers of ``cdnetworks_wrap_operation``
    run on entry and on exit, and the calls made inside the block are its calls. `event` tells
    plugins about something that happened (a waiter's poll). ``attributes`` may grow while the
    operation runs; wrappers read the final set after their ``yield``.

    Code that hands control back between its calls (an iterator) uses `start`, `active` around
    each call, and `finish`, so that nothing stays current while the caller runs.
    """

    kind: str
    name: str
    product: str = ""
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    #: The operation in progress where this one was created (a batch's job).
    parent: Operation | None = None
    operation_id: str = field(default_factory=lambda: os.urandom(8).hex())
    outcome: str | None = None
    error: BaseException | None = None
    duration: float | None = None
    _host: PluginHost | None = field(default=None, repr=False)
    _wrappers: Wrappers | None = field(default=None, repr=False)
    _opened: Opened | None = field(default=None, repr=False)
    _started: float | None = field(default=None, repr=False)
    _tokens: list[Token[Operation | None]] = field(default_factory=list, repr=False)

    def start(self) -> Operation:
        """Run the wrappers' code before their ``yield``; a failure is `PluginError`."""
        if self._started is not None:
            raise ClientUsageError(f"operation {self.kind} {self.name!r} was already started")
        self._started = time.monotonic()
        wrappers = None if self._host is None else self._host.operation_wrappers()
        if wrappers is not None:
            self._opened = wrappers.enter({"operation": self})
            self._wrappers = wrappers
        return self

    def finish(self, error: BaseException | None = None) -> None:
        """End the operation (``error``: why it failed; `GeneratorExit` counts as a success:
        the caller stopped reading). Runs the wrappers' code after their ``yield``."""
        if self._started is None or self.outcome is not None:
            return  # never started, or finished already (a walk closed twice)
        self.duration = time.monotonic() - self._started
        if isinstance(error, GeneratorExit):
            error = None
        if error is None:
            self.outcome = "success"
        else:
            self.outcome = "error" if isinstance(error, Exception) else "cancelled"
            self.error = error
        if self._wrappers is not None and self._opened is not None:
            opened, self._opened = self._opened, None
            self._wrappers.exit(opened, None, error)

    @contextmanager
    def active(self) -> Iterator[Operation]:
        """Make this the operation of the calls made inside the block."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def event(self, name: str, **attributes: AttributeValue) -> None:
        """Tell plugins (``cdnetworks_operation_event``) that ``name`` happened now."""
        if self._host is not None:
            self._host.notify(
                "cdnetworks_operation_event",
                operation=self,
                name=name,
                attributes=_check_attributes(attributes),
            )

    def __enter__(self) -> Operation:
        self.start()
        self._tokens.append(_current.set(self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _current.reset(self._tokens.pop())
        self.finish(exc)


def new_operation(
    host: PluginHost | None,
    kind: str,
    name: str,
    product: str = "",
    attributes: Mapping[str, Any] | None = None,
) -> Operation:
    """An operation checked field by field, its parent the operation in progress here."""
    for label, value in (("kind", kind), ("name", name)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"must be a non-empty str, not {value!r}", field=label)
    if not isinstance(product, str):
        raise ValidationError(f"must be a str, not {type(product).__name__}", field="product")
    return Operation(
        kind, name, product, _check_attributes(attributes), parent=_current.get(), _host=host
    )
