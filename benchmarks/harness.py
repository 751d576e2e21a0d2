"""A tiny, dependency-free benchmark harness: medians of repeated timed runs, side by side.

Every comparison runs its baseline and candidates interleaved in the same process, so the
machine's state affects them alike, and reports each as a ratio to the baseline.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[[], object]


@dataclass(frozen=True)
class Target:
    """A number the project promises (issue 13), checked in the same run as its baseline."""

    #: What is promised, e.g. "typed vmp_query_image(limit=20) vs raw httpx, sync".
    name: str
    measured: str
    #: The measured value against its baseline, e.g. "1.12x raw httpx".
    ratio: str
    #: The promise, e.g. "<= 1.08x".
    limit: str
    ok: bool


@dataclass(frozen=True)
class Row:
    group: str
    name: str
    median_s: float
    ratio: float
    note: str = ""
    #: Set on rows that check one of the project's targets.
    target: Target | None = None


def _time_once(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(
    group: str, baseline: Case, candidates: list[Case], *, number: int = 200, repeat: int = 15
) -> list[Row]:
    """Median per-call time of each case over ``repeat`` rounds of ``number`` calls."""
    cases = [baseline, *candidates]
    for case in cases:  # warm up caches, connection pools, JIT-free but import-lazy paths
        _time_once(case.fn, max(1, number // 10))
    samples: dict[str, list[float]] = {c.name: [] for c in cases}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for case in cases:
                samples[case.name].append(_time_once(case.fn, number))
    finally:
        if gc_was_enabled:
            gc.enable()
    base = statistics.median(samples[baseline.name])
    return [
        Row(
            group,
            c.name,
            statistics.median(samples[c.name]),
            statistics.median(samples[c.name]) / base,
        )
        for c in cases
    ]


def fmt_seconds(seconds: float) -> str:
    if seconds < 0:
        return "-" + fmt_seconds(-seconds)
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def targets_table(targets: list[Target]) -> str:
    """The targets, each with its ratio and whether it was met."""
    lines = ["| target | measured | ratio | limit | met |", "|---|---|---|---|---|"]
    for t in targets:
        met = "yes" if t.ok else "**NO**"
        lines.append(f"| {t.name} | {t.measured} | {t.ratio} | {t.limit} | {met} |")
    return "\n".join(lines)


def table(rows: list[Row]) -> str:
    """A Markdown table, ready for the docs' performance page."""
    lines = ["| group | case | median | ratio to baseline | note |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.group} | {r.name} | {fmt_seconds(r.median_s)} | {r.ratio:.2f}x | {r.note} |"
        )
    return "\n".join(lines)
