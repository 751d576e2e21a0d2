"""The emulator's sense of time: a source clock plus an offset tests move forward at will.

Everything time-dependent in the emulator (the signature's 5-minute window, throttling windows,
images that finish building, pre-warming that advances) reads `EmulatorClock.now`, so a
test calls ``emulator.advance(60)`` instead of sleeping a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class EmulatorClock:
    """Unix time in seconds: ``source()`` (``time.time`` unless given) plus an offset."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward (a negative value moves it back, e.g. to fake a slow server clock)."""
        with self._lock:
            self._offset += seconds
