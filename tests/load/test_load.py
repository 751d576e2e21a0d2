"""Many calls through ``AsyncClient`` at concurrency 100 against the emulator's HTTP server with
1% injected faults (seeded): every call ends in a result or a typed error, none hangs, the
connections stay within the pool's limit and the client's memory stays flat.

What the test asserts is what holds on any machine, however loaded: a call fails only when an
attempt of it met an injected fault, so the failures of each kind are at most the requests the
emulator faulted that way (it reports them when it stops). The client's timeouts are far above
anything ordinary slowness reaches (a loaded 2-core machine answers in seconds, not tens of
seconds), and the latency fault is longer still, so a timeout can only come from that fault.

The suite runs 1,000 calls; ``CDNETWORKS_LOAD_CALLS=10000 uv run pytest tests/load -s`` runs the
full size and prints the report (throughput, failures by type, connections, memory).
"""

from __future__ import annotations

import os

import pytest

from cdnetworks.core import Timeout

from .load import ServedLog, open_connections, run_load

CALLS = int(os.environ.get("CDNETWORKS_LOAD_CALLS", "1000"))
CONCURRENCY = 100
#: Fewer connections than concurrent calls, so the pool's queue (and its timeout) is exercised.
MAX_CONNECTIONS = 20
#: Per attempt (read) and per call (pool, total): beyond any answer that was not delayed on purpose.
TIMEOUT = Timeout(connect=10.0, read=10.0, write=10.0, pool=120.0, total=120.0)
LATENCY_FAULT = 12.0

#: The faults that can end a call with each error (its last attempt met one of them).
CAUSES = {
    "TransportTimeoutError": {"Latency"},
    "ProtocolError": {"Drop"},
    "ConnectError": {"Drop"},
    "DecodeError": {"Malformed"},
    "ServerError": {"ErrorBurst", "Html", "Empty"},
}


@pytest.mark.slow
def test_load_with_faults() -> None:
    memory_round = max(200, CALLS // 10)
    served = ServedLog()
    report = run_load(
        CALLS,
        CONCURRENCY,
        served=served,
        latency=LATENCY_FAULT,
        max_connections=MAX_CONNECTIONS,
        memory_round=memory_round,
        deadline=max(600.0, CALLS / 10),
        timeout=TIMEOUT,
    )
    print("\n" + report.summary(), f"\nserved {served.requests} requests, faults {served.faults}")
    assert report.untyped == [], report.untyped[:5]
    assert report.finished == CALLS + 3 * memory_round  # every call ended, none hangs
    # Every request the client made reached the emulator and was logged (retries included).
    assert served.requests >= report.finished
    # The seeded 1% did fire, so the failures below were provoked, not merely absent.
    assert sum(served.faults.values()) > 0
    failures = {kind: n for kind, n in report.outcomes.items() if kind != "ok"}
    assert set(failures) <= set(CAUSES), failures
    for kind, n in failures.items():
        faulted = sum(served.faults[cause] for cause in CAUSES[kind])
        assert n <= faulted, (kind, n, served.faults)
    # Retries absorb faults on GETs: the calls that failed are at most the faults injected.
    assert sum(failures.values()) <= sum(served.faults.values())
    if open_connections(1) is not None:
        assert report.peak_open_connections is not None
        assert 0 < report.peak_open_connections <= MAX_CONNECTIONS
    # Flat: a second round of calls leaves the client's live memory about where it was.
    assert report.memory_growth_bytes < 512 * 1024, "\n".join(
        [report.summary(), *report.top_growth]
    )
