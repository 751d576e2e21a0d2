"""What a sans-I/O job asks its driver to do; the sync and async drivers are the only I/O."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..action import Action

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """Call ``action`` with these keyword arguments; the answer is sent back, a failure
    (a `CdnetworksError`) is thrown back in."""

    action: Action[Any, Any]
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """Sleep; ``reason`` says why (``"rate limit"``, ``"poll"``)."""

    seconds: float
    reason: str = "poll"


@dataclass(frozen=True)
class LedgerStep:
    """Call the quota ledger's ``method`` (sync or async, as the driver's ledger is)."""

    method: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mark:
    """A point of the job for tracing: ``"job"`` (planned; its attributes), ``"batch"`` (a
    batch starts), ``"batch_end"`` (it ended; the driver finishes its operation)."""

    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


Step = Call | Pause | LedgerStep | Mark
Steps = Generator[Step, Any, T]
