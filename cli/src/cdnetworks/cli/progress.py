"""Progress for waiters: one line redrawn in place on a terminal, a line per change otherwise.

No colour is used, so ``NO_COLOR`` has nothing to turn off.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

BAR = 20
CLEAR_TO_END = "\x1b[K"


def describe(update: Any) -> str:
    """A one-line text for a progress update (products give it ``summary`` or a readable str)."""
    summary = getattr(update, "summary", None)
    text = summary() if callable(summary) else summary
    return " ".join(str(text if text is not None else update).split())


def _state(update: Any) -> str:
    """What counts as a change: the update's ``text`` (its state) when it has one."""
    text = getattr(update, "text", None)
    return str(text) if isinstance(text, str) and text else describe(update)


def fit(text: str, columns: int) -> str:
    """``text`` cut to ``columns`` terminal columns (wide characters count two)."""
    from .output import width

    if width(text) <= columns:
        return text
    while text and width(text) > columns - 1:
        text = text[:-1]
    return text + "…"


class Progress:
    """Callable passed as a waiter's ``progress=`` argument."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        try:
            self.tty = stream.isatty()
        except ValueError:  # a closed stream
            self.tty = False
        self._drawn = False
        self._last: str | None = None

    def _columns(self) -> int:
        # One column is left free at the call site: a full line wraps on some terminals.
        try:
            return max(20, os.get_terminal_size(self.stream.fileno()).columns)
        except (OSError, ValueError, AttributeError):
            return 80

    def __call__(self, update: Any) -> None:
        text = describe(update)
        if not self.tty:
            state = _state(update)
            if state != self._last:
                self._last = state
                self.stream.write(text + "\n")
                self.stream.flush()
            return
        done, total = getattr(update, "done", None), getattr(update, "total", None)
        if isinstance(done, int) and isinstance(total, int) and total > 0:
            filled = BAR * min(done, total) // total
            text = f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} {text}"
        self.stream.write("\r" + fit(text, self._columns() - 1) + CLEAR_TO_END)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
