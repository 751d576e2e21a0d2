"""Asynchronous content tasks as emulated services keep them: purges, prefetches and the like.

A submitted task gets an item id; each of its entries (a URL, a directory, a pattern, a tag)
goes ``wait`` -> ``run`` -> ``success`` on the emulator's clock, ``seconds`` after submission
(or ``failure``, for an entry marked to fail). Daily quotas shrink with every entry submitted.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    item_id: str
    target: str
    kind: int
    created_at: float
    fails: bool = False


@dataclass
class TaskBoard:
    """Tasks and quotas of one emulated service; time comes from the caller (the emulator)."""

    seconds: float = 2.0
    quotas: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    _next: int = 0

    def remaining(self, kind: str) -> int:
        return self.quotas.get(kind, 0) - self.used.get(kind, 0)

    def submit(self, targets: list[tuple[str, int, str]], now: float) -> str | None:
        """Record ``(target, kind code, quota name)`` entries as one task; ``None`` when a quota
        is short (nothing is recorded then)."""
        needed: dict[str, int] = {}
        for _, _, quota in targets:
            needed[quota] = needed.get(quota, 0) + 1
        if any(self.remaining(quota) < count for quota, count in needed.items()):
            return None
        for quota, count in needed.items():
            self.used[quota] = self.used.get(quota, 0) + count
        self._next += 1
        item_id = f"{int(now)}{self._next:06d}"
        self.entries += [
            Entry(item_id, target, kind, now, fails=target in self.failing)
            for target, kind, _ in targets
        ]
        return item_id

    def status(self, entry: Entry, now: float) -> str:
        age = now - entry.created_at
        if age < self.seconds / 3:
            return "wait"
        if age < self.seconds:
            return "run"
        return "failure" if entry.fails else "success"

    def detail(self, entry: Entry, now: float) -> dict[str, Any]:
        state = self.status(entry, now)
        finished = state in ("success", "failure")
        return {
            "url": entry.target,
            "status": state,
            "rate": "100" if state == "success" else "0",
            "isDir": entry.kind,
            "createTime": _stamp(entry.created_at),
            "beginTime": _stamp(entry.created_at + self.seconds / 3),
            "finishTime": _stamp(entry.created_at + self.seconds) if finished else "",
        }

    def query(
        self,
        now: float,
        *,
        item_id: str | None,
        url: str | None,
        status: str | None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> list[dict[str, Any]]:
        """Entries matching every filter given: the task, the URL, the state (one, or several
        comma-separated) and the creation time window (``yyyy-MM-dd HH:mm:ss``, UTC)."""
        since = _parse_stamp(start_time)
        until = _parse_stamp(end_time)
        states = None if not status else set(status.split(","))
        found = [
            self.detail(e, now)
            for e in self.entries
            if (item_id is None or e.item_id == item_id)
            and (url is None or e.target == url)
            and (since is None or e.created_at >= since)
            # The filter's text has whole seconds: an entry of 12:00:00.4 was created "at 12:00:00".
            and (until is None or int(e.created_at) <= until)
        ]
        return [d for d in found if states is None or d["status"] in states]


def _parse_stamp(text: str | None) -> float | None:
    if not text:
        return None
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def page(items: list[Any], page_no: int | None, page_size: int | None) -> tuple[list[Any], int]:
    """One page of ``items`` (page numbers from 1) and the number of pages."""
    size = page_size or 20
    number = page_no or 1
    pages = max(1, -(-len(items) // size))
    return items[(number - 1) * size : number * size], pages
