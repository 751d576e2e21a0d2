"""Issue 19's fuzz test: arbitrary answers from a loopback server to ``invoke`` and typed calls,
sync and async. Every outcome is a result or a typed SDK error, within the call's deadline.

Seeded (``derandomize``) and bounded, so the suite runs the same examples every time; the long,
random run is ``benchmarks/fuzz.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from tests.faults.fuzzing import Callers, Current, answers, check
from tests.faults.server import fault_server


@pytest.fixture(scope="module")
def rig() -> Iterator[tuple[Callers, Current]]:
    holder = Current()
    with fault_server(holder, keep_seen=False) as server:
        callers = Callers(server.endpoint)
        try:
            yield callers, holder
        finally:
            callers.close()


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=answers())
def test_every_answer_ends_typed_and_in_time(rig: tuple[Callers, Current], answer: bytes) -> None:
    callers, holder = rig
    assert check(callers, holder, answer) == []
