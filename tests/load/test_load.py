"""Many calls through ``AsyncClient`` at concurrency 100 against the emulator's HTTP server with
1% injected faults: every call ends in a result or a typed error, none hangs, the connections
stay within the pool's limit and the client's memory stays flat.

The suite runs 1,000 calls; ``CDNETWORKS_LOAD_CALLS=10000 uv run pytest tests/load -s`` runs the
full size and prints the report (throughput, failures by type, connections, memory).
"""

from __future__ import annotations

import os

from .load import open_connections, run_load

CALLS = int(os.environ.get("CDNETWORKS_LOAD_CALLS", "1000"))
CONCURRENCY = 100
#: Fewer connections than concurrent calls, so the pool's queue (and its timeout) is exercised.
MAX_CONNECTIONS = 20


def test_load_with_faults() -> None:
    memory_round = max(200, CALLS // 10)
    report = run_load(
        CALLS,
        CONCURRENCY,
        max_connections=MAX_CONNECTIONS,
        memory_round=memory_round,
        deadline=max(120.0, CALLS / 20),
    )
    print("\n" + report.summary())
    assert report.untyped == [], report.untyped[:5]
    assert report.finished == CALLS + 3 * memory_round  # every call ended, none hangs
    failures = sum(n for kind, n in report.outcomes.items() if kind != "ok")
    # 1% of requests are faulted; retries absorb most of the GETs' faults.
    assert failures <= 0.02 * report.finished
    assert report.outcomes["ok"] > 0.97 * report.finished
    if open_connections(1) is not None:
        assert report.peak_open_connections is not None
        assert 0 < report.peak_open_connections <= MAX_CONNECTIONS
    # Flat: a second round of calls leaves the client's live memory about where it was.
    assert report.memory_growth_bytes < 512 * 1024, "\n".join(
        [report.summary(), *report.top_growth]
    )
