"""Progress for waiters: a redrawn bar on a terminal, one plain line per update otherwise."""

from __future__ import annotations

from typing import Any, TextIO

WIDTH = 30


def describe(update: Any) -> str:
    """A one-line text for a progress update (products give it ``summary`` or a readable str)."""
    summary = getattr(update, "summary", None)
    text = summary() if callable(summary) else summary
    return " ".join(str(text if text is not None else update).split())


class Progress:
    """Callable passed as a waiter's ``progress=`` argument."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._drawn = False

    def __call__(self, update: Any) -> None:
        text = describe(update)
        done, total = getattr(update, "done", None), getattr(update, "total", None)
        if self.tty and isinstance(done, int) and isinstance(total, int) and total > 0:
            filled = WIDTH * min(done, total) // total
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} {text}"[:200].ljust(80))
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
