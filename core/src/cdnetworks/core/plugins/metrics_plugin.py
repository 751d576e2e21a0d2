"""Built-in plugin: per-action counters and latencies a program can read.

``client.metrics.snapshot()`` returns, per action: calls, successes, errors by exception class,
attempts, retries, and call latency (count, mean, min, max, p50, p95 over the most recent
``window`` calls). Thread-safe; ``reset()`` starts over.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from ..errors import CdnetworksError
from .markers import hookimpl


@dataclass
class _ActionStats:
    calls: int = 0
    successes: int = 0
    attempts: int = 0
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    total_seconds: float = 0.0
    min_seconds: float = float("inf")
    max_seconds: float = 0.0
    recent: deque[float] = field(default_factory=deque)


class MetricsCollector:
    """Counts and latencies per action, fed by the call hooks."""

    name = "cdnetworks.metrics"

    def __init__(self, window: int = 1024) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._stats: dict[str, _ActionStats] = {}

    def _get(self, action: str) -> _ActionStats:
        stats = self._stats.get(action)
        if stats is None:
            stats = self._stats[action] = _ActionStats(recent=deque(maxlen=self.window))
        return stats

    @hookimpl
    def cdnetworks_on_retry(self, action: str) -> None:
        with self._lock:
            self._get(action).retries += 1

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        attempts: int,
        duration: float,
        outcome: str,
        error: CdnetworksError | None,
    ) -> None:
        with self._lock:
            stats = self._get(action)
            stats.calls += 1
            stats.attempts += attempts
            if outcome == "success":
                stats.successes += 1
            else:
                # "cancelled" calls have no exception of the SDK's to name.
                stats.errors[type(error).__name__ if error is not None else outcome] += 1
            stats.total_seconds += duration
            stats.min_seconds = min(stats.min_seconds, duration)
            stats.max_seconds = max(stats.max_seconds, duration)
            stats.recent.append(duration)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """A plain-data copy of the figures, keyed by action name."""
        with self._lock:
            out: dict[str, dict[str, Any]] = {}
            for action, s in self._stats.items():
                recent = sorted(s.recent)
                out[action] = {
                    "calls": s.calls,
                    "successes": s.successes,
                    "errors": dict(s.errors),
                    "attempts": s.attempts,
                    "retries": s.retries,
                    "latency": {
                        "count": s.calls,
                        "mean": s.total_seconds / s.calls if s.calls else 0.0,
                        "min": s.min_seconds if s.calls else 0.0,
                        "max": s.max_seconds,
                        "p50": _median(recent),
                        "p95": recent[min(len(recent) - 1, int(len(recent) * 0.95))]
                        if recent
                        else 0.0,
                    },
                }
            return out

    def reset(self) -> None:
        with self._lock:
            self._stats.clear()


def _median(ordered: list[float]) -> float:
    """The median of sorted figures (``statistics.median`` costs an import of its own)."""
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
